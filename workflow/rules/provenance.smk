# The build described as a Workflow Run RO-Crate (Provenance Run Crate 0.5): one
# metadata file at the root of the results, with a copy of the workflow definition
# and a README (analysis/provenance/). The crate job runs last: its inputs are the
# build's final targets (everything else the crate describes is upstream of them),
# the workflow's files it copies, and the code that defines the job graph, which
# the step reads from Snakemake itself for the configuration the build used.

from analysis.provenance.jobs import workflow_modules
from analysis.provenance.profile import CRATE_NAME, README, commit_date, workflow_copy

WORKFLOW_FILES = ["Snakefile", *sorted(str(p) for p in Path("workflow/rules").glob("*.smk"))]


rule crate:
    input:
        # the final targets other than the crate's own files
        targets=lambda wildcards: [t for t in final_targets() if t not in rules.crate.output],
        workflow=WORKFLOW_FILES,
        citation="CITATION.cff",
        code=step_code("crate", *workflow_modules(WORKFLOW_FILES)),
    output:
        crate=f"{RESULTS}/{CRATE_NAME}",
        readme=f"{RESULTS}/{README}",
        workflow=[f"{RESULTS}/{workflow_copy(path)}" for path in WORKFLOW_FILES],
    params:
        config=json.dumps(config, sort_keys=True, separators=(",", ":")),
        # the date of the build's commit (outside git: SOURCE_DATE_EPOCH's, as the render's)
        date=commit_date(workflow.basedir,
                         module_constant("analysis.render.engine", "DEFAULT_SOURCE_DATE_EPOCH")),
        results=parent(0, "output"),
        restricted=f" --restricted-data {DATA}" if RESTRICTED else "",
    log:
        f"{LOGS}/crate.log",
    conda:
        ENV
    shell:
        "python -m analysis crate --config {params.config:q} --results {params.results} --date {params.date} --workflow {input.workflow} --citation {input.citation}{params.restricted} > {log} 2>&1"
