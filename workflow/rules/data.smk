# The synthetic study: generated from the configuration, validated, written as a
# data package. In restricted mode the tables are read from data/restricted/,
# and the publish check compares the synthetic tables with them.


if not RESTRICTED:

    rule generate:
        input:
            schema="workflow/schemas/config.schema.yaml",
            code=step_code("generate"),
        output:
            tables=tables(V.ALL_TABLES),
            package=[f"{DATA}/{name}" for name in V.PACKAGE_FILES],
        # Most jobs wait for the study: generate it first (scheduling order only).
        priority: 20
        params:
            cfg=step_params("generate"),
            outdir=parent(0, "output"),
        log:
            f"{LOGS}/generate.log",
        conda:
            ENV
        shell:
            "python -m analysis generate --params {params.cfg:q} --outdir {params.outdir} > {log} 2>&1"


    # The committed synthetic study is a declared input: it must be what the
    # configuration in config/config.yaml generates (check_committed_data), and the
    # manuscript's reproducibility statement reads this rule's report, never the
    # files behind a rule's back.
    rule check_committed:
        input:
            regenerated=[f"{DATA}/{name}" for name in COMPARED_FILES],
            committed=[f"data/synthetic/{name}" for name in COMPARED_FILES],
            code=step_code("check-committed"),
        output:
            f"{RESULTS}/data/committed.json",
        params:
            cfg=step_params("check-committed"),
            reference=committed_reference(),
            committed_sha256=committed_digest(),
            regenerated=parent(0),
            committed=lambda wildcards, input: os.path.dirname(input.committed[0]),
        log:
            f"{LOGS}/check_committed.log",
        conda:
            ENV
        shell:
            "python -m analysis check-committed --params {params.cfg:q} --reference {params.reference:q} --committed {params.committed} --regenerated {params.regenerated} --output {output} > {log} 2>&1"


if RESTRICTED:

    # Before synthetic data made from the restricted data are published (as
    # data/synthetic/), check that they do not reproduce real survivors: each
    # synthetic survivor's whole record (participant row, violence, strategies,
    # contacts in sequence) is compared with the restricted ones, and the share
    # of synthetic records closer to one than independently generated studies
    # come must stay below disclosure_max_close_share. The job fails, and so
    # the build, when it does not.
    rule publish_check:
        input:
            synthetic=tables(V.QUANT_TABLES, "data/synthetic"),
            restricted=tables(V.QUANT_TABLES),
            code=step_code("publish-check"),
        output:
            f"{RESULTS}/disclosure.json",
        params:
            cfg=step_params("publish-check"),
            synthetic=lambda wildcards, input: os.path.dirname(input.synthetic[0]),
            restricted=lambda wildcards, input: os.path.dirname(input.restricted[0]),
        log:
            f"{LOGS}/publish_check.log",
        conda:
            ENV
        shell:
            "python -m analysis publish-check --params {params.cfg:q} --synthetic {params.synthetic} "
            "--restricted {params.restricted} --output {output} > {log} 2>&1"
