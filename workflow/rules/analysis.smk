# Descriptive, inferential and qualitative analyses, and the claims registry.

QUANT_TABLES = expand(f"{DATA}/{{table}}.csv",
                      table=["participants", "incidents", "violence", "strategies"])
DESCRIPTIVES = ["sample", "initiation_patterns", "practices_by", "arrests_by",
                "expected_vs_actual", "violence_forms", "informal_strategies", "safety_change"]


rule describe:
    input:
        QUANT_TABLES,
        modules("describe", "schemas", "datapackage", "infer"),
    output:
        expand(f"{RESULTS}/tables/{{name}}.csv", name=DESCRIPTIVES),
    params:
        cfg=step_params("alpha"),
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
        QUANT_TABLES,
        modules("infer", "claims", "schemas", "datapackage"),
    output:
        f"{RESULTS}/inference/models.csv",
        f"{RESULTS}/inference/survivor_tests.csv",
        f"{RESULTS}/inference/power.json",
    params:
        cfg=step_params("alpha", "arrest_model_extra_covariates"),
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
        expand(f"{DATA}/{{table}}.csv",
               table=["participants", "qual_codebook", "code_applications"]),
        modules("qualitative", "schemas", "datapackage"),
    output:
        f"{RESULTS}/qualitative/code_by_case.csv",
        f"{RESULTS}/qualitative/themes.csv",
        f"{RESULTS}/qualitative/cooccurrence.csv",
        f"{RESULTS}/qualitative/agreement.csv",
        f"{RESULTS}/qualitative/agreement.json",
    params:
        cfg=step_params("qualitative"),
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
        QUANT_TABLES,
        "analysis/claims.yaml",
        modules("claims", "infer", "schemas", "datapackage"),
    output:
        f"{RESULTS}/claims.json",
    params:
        cfg=step_params("alpha", "arrest_model_extra_covariates"),
        data=parent(0),
    log:
        f"{LOGS}/claims.log",
    conda:
        ENV
    shell:
        "python -m analysis.cli claims --params {params.cfg:q} --data {params.data} --outputs {output} > {log} 2>&1"
