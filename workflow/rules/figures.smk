# Figures: one job per figure, each drawn by one function of analysis/figures/.
# The figures and the files each one reads are listed once, in
# analysis.figures.FIGURES; a job's inputs are its figure's own module, the
# shared style and the results it reads, so editing one figure's module reruns
# that figure only. Outputs: PNG (300 dpi), SVG, the YAML sidecar (caption and
# alt text) and the Markdown figure block the manuscript includes. The report
# caption (workflow/report/figure.rst) is read from the same sidecar.
import os

from analysis.figures import FIGURES as FIGURE_SPECS
from analysis.figures import OUTPUTS as FIGURE_OUTPUTS


rule figure:
    input:
        lambda wildcards: FIGURE_SPECS[wildcards.name].inputs(RESULTS, DATA, RESTRICTED),
        modules(),
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
        "python -m analysis.figures {wildcards.name} --results {params.results} --data {params.data} --outdir {params.outdir} --manuscript {params.manuscript}{params.restricted} > {log} 2>&1"


FINAL.extend(expand(f"{RESULTS}/figures/{{name}}.{{ext}}", name=FIGURE_SPECS,
                    ext=FIGURE_OUTPUTS))
