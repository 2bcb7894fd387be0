# Descriptive, inferential and qualitative analyses, and the claims registry.

QUANT_TABLES = expand(f"{DATA}/{{table}}.csv",
                      table=["participants", "incidents", "violence", "strategies"])
# In restricted mode every step publishes through one suppression plan made from
# the quantitative tables, the codebook and the code applications.
STEP_TABLES = study_tables() if RESTRICTED else QUANT_TABLES
QUAL_TABLES = study_tables() if RESTRICTED else expand(
    f"{DATA}/{{table}}.csv", table=["participants", "qual_codebook", "code_applications"])
DISCLOSURE_MODULES = ["analysis/disclosure.py", "analysis/describe.py",
                      "analysis/qualitative.py", "analysis/infer.py",
                      "analysis/claims.py"] if RESTRICTED else []
# The code-by-case matrix (survivors x codes) is row-level: synthetic builds only.
QUALITATIVE_OUTPUTS = ["themes", "cooccurrence", "agreement"] if RESTRICTED else [
    "code_by_case", "themes", "cooccurrence", "agreement"]
DESCRIPTIVES = ["sample", "initiation_patterns", "practices_by", "arrests_by",
                "expected_vs_actual", "violence_forms", "informal_strategies", "safety_change"]


rule describe:
    input:
        STEP_TABLES,
        modules("describe", "schemas", "datapackage", "infer"),
        DISCLOSURE_MODULES,
    output:
        expand(f"{RESULTS}/tables/{{name}}.csv", name=DESCRIPTIVES),
    params:
        cfg=step_params("alpha", *DISCLOSURE_KEYS),
        data=parent(0),
        outdir=parent(0, "output"),
    log:
        f"{LOGS}/describe.log",
    conda:
        ENV
    shell:
        "python -m analysis.cli describe --params {params.cfg:q} --data {params.data} --outdir {params.outdir} > {log} 2>&1"


rule infer:
    input:
        STEP_TABLES,
        modules("infer", "claims", "schemas", "datapackage"),
        DISCLOSURE_MODULES,
    output:
        f"{RESULTS}/inference/models.csv",
        f"{RESULTS}/inference/survivor_tests.csv",
        f"{RESULTS}/inference/power.json",
    params:
        cfg=step_params("alpha", "arrest_model_extra_covariates", *DISCLOSURE_KEYS),
        data=parent(0),
        outdir=parent(0, "output"),
    log:
        f"{LOGS}/infer.log",
    conda:
        ENV
    shell:
        "python -m analysis.cli infer --params {params.cfg:q} --data {params.data} --outdir {params.outdir} > {log} 2>&1"


rule qualitative:
    input:
        QUAL_TABLES,
        modules("qualitative", "schemas", "datapackage"),
        DISCLOSURE_MODULES,
    output:
        expand(f"{RESULTS}/qualitative/{{name}}.csv", name=QUALITATIVE_OUTPUTS),
        f"{RESULTS}/qualitative/agreement.json",
    params:
        cfg=step_params("qualitative", *DISCLOSURE_KEYS, *(["alpha"] if RESTRICTED else [])),
        data=parent(0),
        outdir=parent(0, "output"),
    log:
        f"{LOGS}/qualitative.log",
    conda:
        ENV
    shell:
        "python -m analysis.cli qualitative --params {params.cfg:q} --data {params.data} --outdir {params.outdir} > {log} 2>&1"


rule claims:
    input:
        STEP_TABLES,
        "analysis/claims.yaml",
        modules("claims", "infer", "schemas", "datapackage"),
        DISCLOSURE_MODULES,
    output:
        f"{RESULTS}/claims.json",
    params:
        cfg=step_params("alpha", "arrest_model_extra_covariates", *DISCLOSURE_KEYS),
        data=parent(0),
    log:
        f"{LOGS}/claims.log",
    conda:
        ENV
    shell:
        "python -m analysis.cli claims --params {params.cfg:q} --data {params.data} --outputs {output} > {log} 2>&1"
