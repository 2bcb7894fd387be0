import os

# values.yml, the manuscript's tables, and the rendered manuscript.

MD_TABLES = ["sample", "claims", "models", "survivor_tests", "agreement", "expected_vs_actual",
             "robustness", "parameters", "safety_change", "software", "hashes"]


rule values:
    input:
        rules.claims.output,
        rules.describe.output,
        rules.infer.output,
        rules.qualitative.output,
        rules.robustness_merge.output,
        tables=study_tables(),
        code=modules("values", "tables", "fmt", "datapackage", "schemas", "disclosure"),
    output:
        f"{RESULTS}/values.yml",
        expand(f"{RESULTS}/tables/{{name}}.md", name=MD_TABLES),
    params:
        cfg=step_params("seed", "scenario", "alpha", "robustness_replications",
                        "robustness_shards", "qualitative", *DISCLOSURE_KEYS),
        commit=git_commit(),
        data=lambda wildcards, input: os.path.dirname(input.tables[0]),
        results=lambda wildcards, output: os.path.dirname(output[0]),
    log:
        f"{LOGS}/values.log",
    conda:
        ENV
    shell:
        "python -m analysis.cli values --params {params.cfg:q} --data {params.data} --outdir {params.results} --name {params.commit} > {log} 2>&1"


FINAL.extend(rules.values.output)


FIGURES = ["initiation_by_race", "practices_by_initiator", "arrest_curve", "race_forest",
           "code_by_case", "violence_strategies", "robustness", "expected_vs_actual",
           "workflow_dag"]


rule render:
    input:
        "manuscript/manuscript.qmd",
        "manuscript/_quarto.yml",
        "manuscript/references.bib",
        "manuscript/apa.csl",
        "analysis/resources/quarto_compat.lua",
        modules("render"),
        values=rules.values.output[0],
        tables=rules.values.output[1:],
        figures=expand(f"{RESULTS}/figures/{{name}}.{{ext}}", name=FIGURES, ext=["png", "md"]),
    output:
        f"{RESULTS}/manuscript/manuscript.html",
        f"{RESULTS}/manuscript/manuscript.pdf",
    params:
        values=lambda wildcards, input: input.values,
        outdir=parent(0, "output"),
        # Restricted builds: the manuscript's ../results/ paths read results/restricted.
        results=f" --results-dir {RESULTS}" if RESTRICTED else "",
    log:
        f"{LOGS}/render.log",
    conda:
        ENV
    shell:
        "python -m analysis.render --project manuscript --values {params.values} --outdir {params.outdir}{params.results} > {log} 2>&1"


FINAL.extend(rules.render.output)
