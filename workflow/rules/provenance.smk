# The build described as a Workflow Run RO-Crate (Provenance Run Crate 0.5): one
# metadata file at the root of the results, with a copy of the workflow definition
# and a README (analysis/provenance/). The crate job runs last: its inputs are the
# build's final targets (everything else the crate describes is upstream of them),
# the workflow's files it copies, and the code that defines the job graph, which
# the step reads from Snakemake itself for the configuration the build used.

from analysis.provenance.jobs import workflow_modules
from analysis.provenance.profile import CRATE_NAME, README, workflow_copy

WORKFLOW_FILES = ["Snakefile", *sorted(str(p) for p in Path("workflow/rules").glob("*.smk"))]


def commit_date():
    """The date of the commit the build is made from (the crate's datePublished).

    Outside a git checkout: the date of SOURCE_DATE_EPOCH, the fixed epoch the render
    gives every output (analysis.render.engine).
    """
    import datetime
    import subprocess

    try:
        out = subprocess.run(["git", "log", "-1", "--format=%cs", "HEAD"], capture_output=True,
                             text=True, check=True, cwd=workflow.basedir)
        if out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    from analysis.render.engine import DEFAULT_SOURCE_DATE_EPOCH

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_SOURCE_DATE_EPOCH))
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).date().isoformat()


def crate_targets(wildcards):
    """The final targets other than the crate's own files."""
    own = set(rules.crate.output)
    return [target for target in final_targets() if target not in own]


rule crate:
    input:
        targets=crate_targets,
        workflow=WORKFLOW_FILES,
        citation="CITATION.cff",
        code=step_code("crate", *workflow_modules(WORKFLOW_FILES)),
    output:
        crate=f"{RESULTS}/{CRATE_NAME}",
        readme=f"{RESULTS}/{README}",
        workflow=[f"{RESULTS}/{workflow_copy(path)}" for path in WORKFLOW_FILES],
    params:
        config=json.dumps(config, sort_keys=True, separators=(",", ":")),
        date=commit_date(),
        results=RESULTS,
        restricted=f" --restricted-data {DATA}" if RESTRICTED else "",
    log:
        f"{LOGS}/crate.log",
    conda:
        ENV
    shell:
        "python -m analysis crate --config {params.config:q} --results {params.results} --date {params.date} --workflow {input.workflow} --citation {input.citation}{params.restricted} > {log} 2>&1"
