"""The build as a Provenance Run Crate, made with ro-crate-py (the ``rocrate`` package).

:func:`build_crate` turns what the build knows about itself (:class:`BuildFacts`:
its jobs, its configuration, the SHA-256 of its files, the software it ran)
into an RO-Crate 1.1 whose root is the build's results directory. The mapping
follows the Workflow Run RO-Crate profiles (0.5):

* the main workflow is the ``Snakefile`` (a copy kept in the crate, ``workflow/``,
  with the rule files), typed ``File``, ``SoftwareSourceCode``,
  ``ComputationalWorkflow`` and ``HowTo``, in the Snakemake language;
* each rule is a tool (``SoftwareApplication``, ``#rule-<name>``) that the workflow
  lists in ``hasPart`` and a step (``HowToStep``, ``#step-<name>``, with its place
  in the workflow as ``position``) that it lists in ``step``;
* each job is a ``CreateAction`` (``#job-<rule>[-<wildcards>]``) whose instrument is
  its rule, whose ``object`` holds its input files, the configuration values its
  step was given and its other parameters, and whose ``result`` holds its
  outputs; a ``ControlAction`` ties it to its step, and an ``OrganizeAction`` (the
  Snakemake run) to the workflow's own ``CreateAction`` (``#run``), whose object
  is every input no job made plus the configuration and whose result is every
  file the build kept;
* the configuration is one ``FormalParameter`` per top-level key (an input of
  the workflow, ``#param-<key>``) realised by a ``PropertyValue``
  (``#config-<key>``); a section is a ``PropertyValue`` of ``PropertyValue`` s,
  and a list is written as its JSON text (order and emptiness kept);
* a file in the crate is a data entity with ``sha256`` and ``contentSize``; a file
  outside it has a local identifier (``#source/<path>``, its path as
  ``alternateName``), an intermediate file Snakemake deleted is
  ``#intermediate/<path>``, and a restricted input is named by its hash only
  (``#restricted-sha256-<hex>``) where the configuration allows publishing it
  (``publish_restricted_hashes``), and otherwise by its place among the
  restricted inputs alone (``#restricted-input-<n>``, no checksum): a digest lets
  anyone holding a copy of a restricted table confirm that it is the one analysed.

Nothing that differs between two identical builds is recorded: no time, host,
user or absolute path (the actions have no start or end time, and no agent).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from rocrate.model.contextentity import ContextEntity
from rocrate.rocrate import ROCrate

from analysis.provenance.jobs import Job, rule_levels
from analysis.provenance.profile import (
    CRATE_NAME,
    EXCLUDED_PARTS,
    EXTRA_TERMS,
    PROFILE_LABEL,
    PROFILES,
    README,
    ROCRATE_VERSION,
)

#: Media types of the files the build reads and writes, by extension.
MEDIA_TYPES = {
    ".csv": "text/csv", ".json": "application/json", ".yml": "application/yaml",
    ".yaml": "application/yaml", ".md": "text/markdown", ".qmd": "text/markdown",
    ".png": "image/png", ".svg": "image/svg+xml", ".pdf": "application/pdf",
    ".html": "text/html",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".sav": "application/x-spss-sav", ".dta": "application/x-stata-dta",
    ".qdpx": "application/zip", ".qdc": "application/xml", ".py": "text/x-python",
    ".smk": "text/plain", ".bib": "application/x-bibtex",
    ".csl": "application/vnd.citationstyles.style+xml", ".lua": "text/x-lua",
    ".typ": "text/plain", ".txt": "text/plain", ".cff": "application/yaml",
    ".pkl": "application/octet-stream",
}
#: Files without an extension that the build reads.
MEDIA_TYPES_BY_NAME = {"Snakefile": "text/plain"}
SPDX = "https://spdx.org/licenses/"
#: Full names of the licences the package uses (SPDX identifiers and names).
LICENSE_NAMES = {"MIT": "MIT License",
                 "CC-BY-4.0": "Creative Commons Attribution 4.0 International"}
#: An action's ``actionStatus``, as the profile writes it (a string, not a reference).
COMPLETED = "http://schema.org/CompletedActionStatus"


@dataclass(frozen=True)
class FileFacts:
    """What the crate says about one file's content."""

    sha256: str
    size: int


@dataclass(frozen=True)
class Software:
    """A program the build ran: an absolute URI as ``id`` (its home page, as RO-Crate
    identifies software), a name, a version, and another identifier (a Package URL)."""

    id: str
    name: str
    version: str
    url: str | None = None
    identifier: str | None = None


@dataclass(frozen=True)
class BuildFacts:
    """Everything :func:`build_crate` describes, gathered by the ``crate`` step.

    Paths are relative to the workflow's directory. ``files`` holds the facts of
    every file the crate gives a checksum (the build's kept outputs, the inputs
    it read); ``workflow_copies`` maps each copy of the workflow definition kept
    in the crate (its path in the crate) to the file it copies; ``restricted`` is
    the directory of restricted inputs, named by hash only when
    ``restricted_hashes`` (configuration ``publish_restricted_hashes``), else
    by number; ``rule_software`` adds programs to the rules that run them (the
    render tools).
    """

    jobs: Sequence[Job]
    config: Mapping[str, Any]
    results: str
    files: Mapping[str, FileFacts]
    workflow_copies: Mapping[str, str]
    software: Sequence[Software]
    engine: Software
    date: str
    version: str
    authors: Sequence[str]
    name: str
    description: str
    results_license: str
    code_license: str
    restricted: str | None = None
    restricted_hashes: bool = False
    rule_software: Mapping[str, Sequence[Software]] = field(default_factory=dict)
    descriptions: Mapping[str, str] = field(default_factory=dict)


def media_type(path: str) -> str | None:
    """The media type of a file, from its name (None when this package does not know it)."""
    pure = PurePosixPath(path)
    return MEDIA_TYPES_BY_NAME.get(pure.name) or MEDIA_TYPES.get(pure.suffix.lower())


def _one(values: Sequence[Any]) -> Any:
    """A single value as itself, several as a list (RO-Crate 1.1 prefers no singleton lists)."""
    values = list(values)
    return values[0] if len(values) == 1 else values


def _ref(entity_id: str) -> dict[str, str]:
    return {"@id": entity_id}


def _refs(ids: Sequence[str]) -> Any:
    return _one([_ref(i) for i in ids])


def _fragment(text: str) -> str:
    """``text`` safe in a local identifier (``#...``)."""
    return quote(text, safe="/._-")


def parameter_type(value: Any) -> str:
    """The ``additionalType`` of a configuration value's ``FormalParameter``."""
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, Mapping):
        return "PropertyValue"
    return "Text"


def property_value(value: Any) -> Any:
    """A configuration value as a ``PropertyValue``'s value: lists as their JSON text."""
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value), separators=(", ", ": "))
    return value


class _Builder:
    """Adds the entities of :func:`build_crate` in a fixed order."""

    def __init__(self, facts: BuildFacts):
        self.facts = facts
        self.crate = ROCrate(version=ROCRATE_VERSION)
        self.crate.metadata.extra_terms = dict(EXTRA_TERMS)
        self.root = facts.results.rstrip("/") + "/"
        self.produced = {path for job in facts.jobs for path in job.outputs}
        self.temporary = {path for job in facts.jobs for path in job.temporary}
        self.copies = {source: copy for copy, source in facts.workflow_copies.items()}

    # --- helpers ------------------------------------------------------------------------------

    def add(self, entity_id: str, properties: dict[str, Any]) -> ContextEntity:
        return self.crate.add(ContextEntity(self.crate, entity_id, properties=properties))

    def facts_of(self, path: str) -> FileFacts:
        try:
            return self.facts.files[path]
        except KeyError:
            raise ValueError(f"no checksum for '{path}': the crate describes every file the "
                             "build kept with its SHA-256") from None

    def file_properties(self, path: str, facts: FileFacts | None) -> dict[str, Any]:
        props: dict[str, Any] = {"@type": "File"}
        if facts is not None:
            props.update(sha256=facts.sha256, contentSize=str(facts.size))
        encoding = media_type(path)
        if encoding:
            props["encodingFormat"] = encoding
        return props

    def in_crate(self, path: str) -> str | None:
        """The crate-relative path of a workflow-relative path inside the crate, else None."""
        if not path.startswith(self.root):
            return None
        rel = path[len(self.root):]
        return None if PurePosixPath(rel).parts[0] in EXCLUDED_PARTS else rel

    def is_restricted(self, path: str) -> bool:
        """Whether ``path`` is a restricted input (under the restricted data directory)."""
        return bool(self.facts.restricted) and path.startswith(
            str(self.facts.restricted).rstrip("/") + "/")

    def file_id(self, path: str) -> str:
        """The entity of one file a job reads or writes, added on first use."""
        rel = self.in_crate(path)
        if rel == CRATE_NAME:
            return CRATE_NAME
        if rel is not None and path in self.temporary:
            entity_id = f"#intermediate/{_fragment(rel)}"
            props = self.file_properties(path, None)
            props.update(alternateName=rel, description=(
                "An intermediate file: Snakemake deleted it once every job that reads it had "
                "run (temp()), so the crate names it without a checksum."))
        elif rel is not None:
            if self.crate.get(rel) is None:
                self.crate.add_file(dest_path=rel,
                                    properties=self.file_properties(path, self.facts_of(path)))
            return rel
        elif self.facts.restricted and self.is_restricted(path):
            if self.facts.restricted_hashes:
                digest = self.facts_of(path).sha256
                entity_id = f"#restricted-sha256-{digest}"
                props = {"@type": "File", "sha256": digest, "description": (
                    "A restricted input table, named by its SHA-256 only: its name, rows and "
                    "values stay in the secure environment.")}
            else:
                number = sorted(p for p in self.facts.files if self.is_restricted(p)).index(path)
                entity_id = f"#restricted-input-{number + 1}"
                props = {"@type": "File", "description": (
                    "A restricted input table: its name, rows, values and checksum stay in the "
                    "secure environment (publish_restricted_hashes is false: a checksum would "
                    "let anyone holding a copy of the table confirm it).")}
            if media_type(path):
                props["encodingFormat"] = media_type(path)
        else:
            entity_id = f"#source/{_fragment(path)}"
            props = self.file_properties(path, self.facts_of(path))
            props.update(alternateName=path, description=(
                "A file of the package the build read (outside the crate; its path in the "
                "repository is the alternateName)."))
        if self.crate.get(entity_id) is None:
            self.add(entity_id, props)
        return entity_id

    # --- the parts of the crate ---------------------------------------------------------------

    def root_dataset(self) -> None:
        facts, root = self.facts, self.crate.root_dataset
        root["name"] = facts.name
        root["description"] = facts.description
        root["datePublished"] = facts.date
        root["license"] = _ref(self.license(facts.results_license))
        authors = [self.add(f"#author-{i + 1}", {"@type": "Organization", "name": name}).id
                   for i, name in enumerate(facts.authors)]
        if authors:
            root["author"] = _refs(authors)
        root["conformsTo"] = _refs([self.add(p.id, {"@type": "CreativeWork", "name": p.name,
                                                    "version": p.version}).id
                                    for p in PROFILES])

    def license(self, spdx: str) -> str:
        entity_id = SPDX + spdx
        if self.crate.get(entity_id) is None:
            self.add(entity_id, {"@type": "CreativeWork", "identifier": spdx,
                                 "name": LICENSE_NAMES.get(spdx, spdx)})
        return entity_id

    def software(self, program: Software) -> str:
        known = self.crate.get(program.id)
        if known is not None and known.get("softwareVersion") != program.version:
            raise ValueError(f"two programs share the identifier {program.id}: "
                             f"{known.get('name')} and {program.name}")
        if known is None:
            props = {"@type": "SoftwareApplication", "name": program.name,
                     "softwareVersion": program.version}
            if program.url:
                props["url"] = _ref(program.url)
            if program.identifier:
                props["identifier"] = program.identifier
            self.add(program.id, props)
        return program.id

    def workflow(self):
        facts = self.facts
        main = next(copy for copy, source in facts.workflow_copies.items()
                    if PurePosixPath(source).name == "Snakefile")
        workflow = self.crate.add_workflow(
            dest_path=main, main=True, lang="snakemake", lang_version=facts.engine.version,
            properties={"@type": ["File", "SoftwareSourceCode", "ComputationalWorkflow", "HowTo"],
                        "name": "Snakefile", "alternateName": facts.workflow_copies[main],
                        "version": facts.version, "license": _ref(self.license(facts.code_license)),
                        "conformsTo": _ref(
                            "https://bioschemas.org/profiles/ComputationalWorkflow/1.0-RELEASE"),
                        "encodingFormat": media_type(main),
                        **self.file_facts(main)})
        for copy, source in facts.workflow_copies.items():
            if copy != main:
                props = self.file_properties(copy, self.facts_of(self.root + copy))
                props.update(license=_ref(self.license(facts.code_license)))
                if copy != source:
                    props["alternateName"] = source
                self.crate.add_file(dest_path=copy, properties=props)
        return workflow

    def file_facts(self, copy: str) -> dict[str, str]:
        facts = self.facts_of(self.root + copy)
        return {"sha256": facts.sha256, "contentSize": str(facts.size)}

    def config(self, workflow) -> dict[str, str]:
        """The configuration's parameters and values; returns key -> PropertyValue id."""
        values = {}
        parameters = []
        for key in sorted(self.facts.config):
            value = self.facts.config[key]
            param = f"#param-{_fragment(key)}"
            pv = f"#config-{_fragment(key)}"
            props = {"@type": "FormalParameter", "name": key,
                     "additionalType": parameter_type(value), "valueRequired": True,
                     "conformsTo": _ref(
                         "https://bioschemas.org/profiles/FormalParameter/1.0-RELEASE"),
                     "workExample": _ref(pv)}
            if key in self.facts.descriptions:
                props["description"] = self.facts.descriptions[key]
            self.add(param, props)
            self.value(pv, key, value, exampleOfWork=_ref(param))
            parameters.append(param)
            values[key] = pv
        workflow["input"] = _refs(parameters)
        return values

    def value(self, entity_id: str, name: str, value: Any, **extra: Any) -> str:
        """One ``PropertyValue`` (a section: one per member, recursively)."""
        if isinstance(value, Mapping):
            members = [self.value(f"{entity_id}.{_fragment(str(k))}", str(k), value[k])
                       for k in sorted(value)]
            shown: Any = _refs(members) if members else "{}"
        else:
            shown = property_value(value)
        self.add(entity_id, {"@type": "PropertyValue", "name": name, "value": shown, **extra})
        return entity_id

    def tools_and_steps(self, workflow) -> tuple[dict[str, str], dict[str, str]]:
        facts = self.facts
        levels = rule_levels(facts.jobs)
        rules = sorted(levels, key=lambda rule: (levels[rule], rule))
        rule_files = {job.rule: job.rule_file for job in facts.jobs}
        common = [self.software(program) for program in facts.software]
        tools, steps = {}, {}
        for position, rule in enumerate(rules):
            extra = [self.software(p) for p in facts.rule_software.get(rule, ())]
            source = rule_files[rule]
            props = {"@type": "SoftwareApplication", "name": rule,
                     "description": f"The Snakemake rule '{rule}' of {source}.",
                     "softwareVersion": facts.version,
                     "softwareRequirements": _refs(common + extra)}
            if source in self.copies:
                props["url"] = _ref(self.copies[source])
            tools[rule] = self.add(f"#rule-{rule}", props).id
            steps[rule] = self.add(f"#step-{rule}", {
                "@type": "HowToStep", "name": rule, "position": str(position),
                "workExample": _ref(tools[rule])}).id
        workflow["hasPart"] = _refs([tools[r] for r in rules])
        workflow["step"] = _refs([steps[r] for r in rules])
        return tools, steps

    def job(self, job: Job, tool: str, config_values: Mapping[str, str]) -> str:
        objects = [self.file_id(path) for path in job.inputs]
        objects += [config_values[key] for key in job.config_keys()]
        for name, value in job.params:
            if name != "cfg":
                objects.append(self.value(f"#job-{_fragment(job.key)}-param-{_fragment(name)}",
                                          name, value))
        results = [self.file_id(path) for path in job.outputs]
        props: dict[str, Any] = {
            "@type": "CreateAction" if results else "ActivateAction",
            "name": f"Snakemake job {job.label}", "actionStatus": COMPLETED,
            "instrument": _ref(tool)}
        if job.command:
            props["description"] = job.command
        else:
            props["description"] = f"The rule '{job.rule}' runs no command: it names targets."
        if objects:
            props["object"] = _refs(objects)
        if results:
            props["result"] = _refs(results)
        return self.add(f"#job-{_fragment(job.key)}", props).id

    def build(self) -> ROCrate:
        facts = self.facts
        self.root_dataset()
        workflow = self.workflow()
        config_values = self.config(workflow)
        tools, steps = self.tools_and_steps(workflow)
        jobs = sorted(facts.jobs, key=lambda j: (steps[j.rule], j.wildcards))
        actions, controls = [], []
        for job in jobs:
            action = self.job(job, tools[job.rule], config_values)
            actions.append(action)
            controls.append(self.add(f"#control-{_fragment(job.key)}", {
                "@type": "ControlAction", "name": f"Snakemake schedules {job.label}",
                "instrument": _ref(steps[job.rule]), "object": _ref(action)}).id)
        inputs = sorted({p for job in facts.jobs for p in job.inputs} - self.produced)
        kept = [p for p in sorted(self.produced)
                if self.in_crate(p) is not None and p not in self.temporary]
        run = self.crate.add_action(
            workflow, identifier="#run",
            object=[self.crate.get(self.file_id(p)) for p in inputs]
            + [self.crate.get(config_values[k]) for k in sorted(config_values)],
            result=[self.crate.get(self.file_id(p)) for p in kept],
            properties={"name": "Run of the workflow (Snakemake, target all)",
                        "description": ("The build of the paper: every job of the workflow's "
                                        "target 'all', with the configuration recorded here."),
                        "actionStatus": COMPLETED})
        engine = self.software(facts.engine)
        self.add("#snakemake-run", {
            "@type": "OrganizeAction", "name": f"Snakemake {facts.engine.version} runs the jobs",
            "instrument": _ref(engine), "object": _refs(controls), "result": _ref(run.id)})
        self.crate.root_dataset["mentions"] = _refs([run.id, *actions])
        readme = self.crate.get(README)
        if readme is not None:
            readme["about"] = _ref("./")
        return self.crate


def crate_readme(name: str, description: str, results: str) -> str:
    """The crate's ``README.md``: what the directory is and how to check it (Markdown)."""
    return (f"# {name}\n\n{description}\n\n"
            f"`{CRATE_NAME}` describes this directory as a Workflow Run RO-Crate that follows "
            f"the {PROFILE_LABEL} profile: the workflow (a copy is in `workflow/`), the "
            "configuration, every Snakemake job with its inputs, outputs and parameters, the "
            "software with versions, and the SHA-256 of every file here (the jobs' logs "
            "aside).\n\n"
            "To check a build of your own against it, from the package's directory after "
            "`snakemake --cores 4`:\n\n"
            f"```sh\npython -m analysis verify-crate path/to/this/{CRATE_NAME} "
            f"--results {results}\n```\n\n"
            "It recomputes every checksum and lists each file that differs. To validate the "
            f"crate offline with the RO-Crate validator: `python -m analysis validate-crate "
            f"{results}`.\n")


def build_crate(facts: BuildFacts) -> ROCrate:
    """The build's Provenance Run Crate (see the module's description), in a fixed order.

    Raises
    ------
    ValueError
        If a file the crate must describe has no checksum in ``facts.files``.
    """
    return _Builder(facts).build()


def crate_bytes(crate: ROCrate) -> bytes:
    """The crate's ``ro-crate-metadata.json``, as ro-crate-py serialises it (sorted keys)."""
    (_, data), = crate.metadata.stream()
    return data + b"\n"
