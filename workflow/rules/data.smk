# The synthetic study: generated from the configuration, validated, written as a
# data package. In restricted mode the tables are read from data/restricted/.


if not RESTRICTED:

    rule generate:
        input:
            "workflow/schemas/config.schema.yaml",
            "analysis/resources/qualitative_codebook.yaml",
            modules("generate", "schemas", "datapackage"),
        output:
            study_tables(),
            f"{DATA}/codebook.csv",
            f"{DATA}/datapackage.json",
            f"{DATA}/README.md",
        params:
            cfg=step_params(*GENERATOR_KEYS),
            outdir=parent(0, "output"),
        log:
            f"{LOGS}/generate.log",
        conda:
            ENV
        shell:
            "python -m analysis.cli generate --params {params.cfg:q} --outdir {params.outdir} > {log} 2>&1"
