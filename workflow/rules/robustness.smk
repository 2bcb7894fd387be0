# Robustness: regenerate the study under the published and null scenarios and
# evaluate every claim each time. Sharded so it spreads over cores (or a
# cluster); a replication's seed depends only on the master seed, the scenario
# and its number, so results do not depend on the number of shards.

# The scenario is set per shard and the coders do not enter any claim, so neither
# `scenario` nor `qualitative` is passed: changing them does not rerun this study.
ROBUSTNESS_KEYS = [k for k in GENERATOR_KEYS if k not in ("scenario", "qualitative")] + [
    "alpha", "robustness_replications", "robustness_shards", "arrest_model_extra_covariates"]


rule robustness_shard:
    input:
        "analysis/claims.yaml",
        modules("robustness", "claims", "infer", "generate"),
    output:
        temp(f"{RESULTS}/robustness/shards/{{scenario}}-{{shard}}.csv"),
    wildcard_constraints:
        scenario="published|null",
        shard=r"\d+",
    params:
        cfg=step_params(*ROBUSTNESS_KEYS),
    log:
        f"{LOGS}/robustness/{{scenario}}-{{shard}}.log",
    conda:
        ENV
    shell:
        "python -m analysis.cli robustness-shard --params {params.cfg:q} --name {wildcards.scenario}:{wildcards.shard} --outputs {output} > {log} 2>&1"


rule robustness_merge:
    input:
        shards=expand(f"{RESULTS}/robustness/shards/{{scenario}}-{{shard}}.csv",
                      scenario=SCENARIOS, shard=range(config["robustness_shards"])),
        code=modules("robustness"),
    output:
        f"{RESULTS}/robustness/replications.csv",
        f"{RESULTS}/robustness/summary.csv",
    log:
        f"{LOGS}/robustness/merge.log",
    conda:
        ENV
    shell:
        "python -m analysis.cli robustness-merge --inputs {input.shards} --outputs {output} > {log} 2>&1"
