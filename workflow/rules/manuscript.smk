# values.yml, the manuscript's tables, and the rendered manuscript. The render
# step's inputs are the Quarto project's files (the root _quarto.yml and what it
# names) and what the manuscript itself includes (its include lines), read by the
# renderer's own parser; the values step writes every table of
# analysis.paper.tables.TABLES and records the render engine (RENDER_TOOLS).


rule values:
    input:
        rules.claims.output,
        rules.describe.output,
        rules.infer.output,
        rules.qualitative.output,
        rules.robustness_merge.output,
        rules.simulation_merge.output,
        rules.simulation_truth.output,
        tables=tables(V.RESTRICTED_TABLES if RESTRICTED else V.ALL_TABLES),
        committed=[] if RESTRICTED else rules.check_committed.output,
        code=step_code("values"),
    output:
        values=f"{RESULTS}/values.yml",
        tables=[f"{RESULTS}/tables/{name}.md" for name in MARKDOWN_TABLES],
    params:
        cfg=step_params("values"),
        commit=git_commit(),
        render=RENDER_TOOLS.to_json(),
        data=lambda wildcards, input: os.path.dirname(input.tables[0]),
        results=lambda wildcards, output: os.path.dirname(output.values),
        committed=lambda wildcards, input: f" --committed {input.committed}" if input.committed else "",
    log:
        f"{LOGS}/values.log",
    conda:
        ENV
    shell:
        "python -m analysis values --params {params.cfg:q} --data {params.data} --results {params.results} --commit {params.commit} --render-tools {params.render:q}{params.committed} > {log} 2>&1"


rule render:
    input:
        sources=MANUSCRIPT.sources,
        code=step_code("render"),
        values=rules.values.output.values,
        includes=[path.replace("results/", f"{RESULTS}/", 1) for path in MANUSCRIPT.includes],
        images=[path.replace("results/", f"{RESULTS}/", 1) for path in MANUSCRIPT.images],
    output:
        html=f"{RESULTS}/manuscript/manuscript.html",
        pdf=f"{RESULTS}/manuscript/manuscript.pdf",
        docx=f"{RESULTS}/manuscript/manuscript.docx",
    params:
        values=lambda wildcards, input: input.values,
        outdir=parent(0, "output"),
        engine=RENDER_TOOLS.engine,
        # Restricted builds: the manuscript's ../results/ paths read results/restricted.
        results=f" --results-dir {RESULTS}" if RESTRICTED else "",
    log:
        f"{LOGS}/render.log",
    conda:
        ENV
    shell:
        "python -m analysis render --project manuscript --engine {params.engine} --values {params.values} --outdir {params.outdir}{params.results} > {log} 2>&1"
