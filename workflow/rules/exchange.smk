# The study in the formats other tools open: REFI-QDA codebook and project
# (ATLAS.ti, NVivo, MAXQDA, QualCoder, ...) and SPSS/Stata copies of the
# quantitative tables. These are row-level exports, so they are made from the
# synthetic study only: in restricted mode the rule does not exist.


if not RESTRICTED:

    rule exchange:
        input:
            tables=tables(V.ALL_TABLES),
            code=step_code("exchange"),
        output:
            [f"{RESULTS}/exchange/{name}" for name in EXPORT_FILES],
        params:
            data=parent(0),
            outdir=parent(0, "output"),
        log:
            f"{LOGS}/exchange.log",
        conda:
            ENV
        shell:
            "python -m analysis exchange --data {params.data} --outdir {params.outdir} > {log} 2>&1"
