# The study in the formats other tools open: REFI-QDA codebook and project
# (ATLAS.ti, NVivo, MAXQDA, QualCoder, ...) and SPSS/Stata copies of the
# quantitative tables. These are row-level exports, so they are made from the
# synthetic study only: in restricted mode the rule does not exist.
# Directories are derived from the input and output files (lint-clean).
import os


if not RESTRICTED:

    EXCHANGE = f"{RESULTS}/exchange"
    EXCHANGE_OUTPUTS = [
        f"{EXCHANGE}/codebook.qdc",
        f"{EXCHANGE}/study.qdpx",
        *expand(f"{EXCHANGE}/{{table}}.{{ext}}",
                table=["participants", "incidents", "violence", "strategies"],
                ext=["sav", "dta"]),
    ]

    rule exchange:
        input:
            study_tables(),
            modules("exchange", "schemas", "datapackage"),
        output:
            EXCHANGE_OUTPUTS,
        params:
            python=PYTHON,
            data=lambda wildcards, input: os.path.dirname(input[0]),
            outdir=lambda wildcards, output: os.path.dirname(output[0]),
        log:
            f"{LOGS}/exchange.log",
        conda:
            ENV
        shell:
            "{params.python} -m analysis.exchange --data {params.data} --outdir {params.outdir} "
            "> {log} 2>&1"

    FINAL.extend(EXCHANGE_OUTPUTS)
