# Descriptive, inferential and qualitative analyses, and the claims registry.
# Each rule reads the study tables, runs one `python -m analysis <step>`, and
# depends on exactly the code that step imports (step_code). In restricted mode
# each also reads the build's disclosure plan, solved once by disclosure_plan.

# The code-by-case matrix (survivors x codes) and the saturation curve are row-level, and
# the disagreement table and quoted excerpts need the excerpts: synthetic builds only.
QUALITATIVE_OUTPUTS = [n for n in V.QUALITATIVE_OUTPUTS
                       if not (RESTRICTED and n in V.QUALITATIVE_SYNTHETIC_ONLY)]
QUALITATIVE_SUMMARIES = [n for n in V.QUALITATIVE_SUMMARIES
                         if not (RESTRICTED and n in V.QUALITATIVE_SYNTHETIC_ONLY)]


if RESTRICTED:

    rule disclosure_plan:
        input:
            tables=tables(V.RESTRICTED_TABLES),
            code=step_code("disclosure-plan"),
        output:
            PLAN,
        params:
            cfg=step_params("disclosure-plan"),
            data=parent(0),
        log:
            f"{LOGS}/disclosure_plan.log",
        conda:
            ENV
        shell:
            "python -m analysis disclosure-plan --params {params.cfg:q} --data {params.data} --output {output} > {log} 2>&1"


rule describe:
    input:
        tables=tables(V.QUANT_TABLES),
        plan=PLAN,
        code=step_code("describe"),
    output:
        [f"{RESULTS}/tables/{name}.csv" for name in V.DESCRIPTIVE_TABLES],
    params:
        cfg=step_params("describe"),
        plan=plan_argument,
        data=parent(0),
        outdir=parent(0, "output"),
    log:
        f"{LOGS}/describe.log",
    conda:
        ENV
    shell:
        "python -m analysis describe --params {params.cfg:q}{params.plan} --data {params.data} --outdir {params.outdir} > {log} 2>&1"


rule infer:
    input:
        tables=tables(V.QUANT_TABLES),
        plan=PLAN,
        code=step_code("infer"),
    output:
        models=f"{RESULTS}/inference/models.csv",
        fits=f"{RESULTS}/inference/fits.json",
        survivor_tests=f"{RESULTS}/inference/survivor_tests.csv",
        power=f"{RESULTS}/inference/power.json",
    params:
        cfg=step_params("infer"),
        plan=plan_argument,
        data=parent(0),
        outdir=parent(0, "output"),
    log:
        f"{LOGS}/infer.log",
    conda:
        ENV
    shell:
        "python -m analysis infer --params {params.cfg:q}{params.plan} --data {params.data} --outdir {params.outdir} > {log} 2>&1"


rule qualitative:
    input:
        tables=tables(V.CODING_TABLES if RESTRICTED else V.TEXT_CODING_TABLES),
        plan=PLAN,
        code=step_code("qualitative"),
    output:
        tables=[f"{RESULTS}/qualitative/{name}.csv" for name in QUALITATIVE_OUTPUTS],
        summaries=[f"{RESULTS}/qualitative/{name}.json" for name in QUALITATIVE_SUMMARIES],
    params:
        cfg=step_params("qualitative"),
        plan=plan_argument,
        data=parent(0),
        outdir=parent(0, "output"),
    log:
        f"{LOGS}/qualitative.log",
    conda:
        ENV
    shell:
        "python -m analysis qualitative --params {params.cfg:q}{params.plan} --data {params.data} --outdir {params.outdir} > {log} 2>&1"


rule claims:
    input:
        tables=tables(V.QUANT_TABLES),
        plan=PLAN,
        code=step_code("claims"),
    output:
        f"{RESULTS}/claims.json",
    params:
        cfg=step_params("claims"),
        plan=plan_argument,
        data=parent(0),
    log:
        f"{LOGS}/claims.log",
    conda:
        ENV
    shell:
        "python -m analysis claims --params {params.cfg:q}{params.plan} --data {params.data} --output {output} > {log} 2>&1"
