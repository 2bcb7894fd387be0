# Figures: one job per figure, each drawn by one function of analysis/paper/figures/.
# The figures and the result files each one reads are listed once, in
# analysis.paper.figures.FIGURES; a job's code is its figure's own module and
# what it imports (step_code), so editing one figure's module reruns that
# figure only. Outputs: PNG (300 dpi), SVG, the YAML sidecar (caption and alt
# text) and the Markdown figure block the manuscript includes. The report
# caption (workflow/report/figure.rst) is read from the same sidecar.


rule figure:
    input:
        unpack(figure_inputs),
    output:
        png=report(f"{RESULTS}/figures/{{name}}.png", caption="../report/figure.rst",
                   category="Figures", labels={"figure": "{name}"}),
        svg=f"{RESULTS}/figures/{{name}}.svg",
        yml=f"{RESULTS}/figures/{{name}}.yml",
        md=f"{RESULTS}/figures/{{name}}.md",
    wildcard_constraints:
        name="|".join(FIGURE_SPECS),
    params:
        results=lambda wildcards, output: os.path.dirname(os.path.dirname(output.png)),
        data=DATA,
        outdir=parent(0, "output"),
        manuscript="manuscript",
        # Restricted data: suppressed cells are not drawn, no single survivor is shown.
        restricted=(f" --small-cell-threshold {config['small_cell_threshold']}"
                    if RESTRICTED else ""),
    log:
        f"{LOGS}/figures/{{name}}.log",
    conda:
        ENV
    shell:
        "python -m analysis figure {wildcards.name} --results {params.results} --data {params.data} --outdir {params.outdir} --manuscript {params.manuscript}{params.restricted} > {log} 2>&1"
