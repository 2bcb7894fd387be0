# Robustness: regenerate the study under each scenario of robustness_scenarios and
# evaluate every claim each time. Sharded so it spreads over cores (or a
# cluster); a replication's seed depends only on the master seed, the scenario's
# name and its number, so results do not depend on the number of shards.
# The scenario is set per shard and the coders do not enter any claim, so neither
# `scenario` nor `qualitative` is passed: changing them does not rerun this study.


rule robustness_shard:
    input:
        code=step_code("robustness-shard"),
    output:
        temp(f"{RESULTS}/robustness/shards/{{scenario}}-{{shard}}.csv"),
    priority: 8
    wildcard_constraints:
        scenario="|".join(config["robustness_scenarios"]),
        shard=r"\d+",
    params:
        cfg=step_params("robustness-shard"),
    log:
        f"{LOGS}/robustness/{{scenario}}-{{shard}}.log",
    conda:
        ENV
    shell:
        "python -m analysis robustness-shard --params {params.cfg:q} --scenario {wildcards.scenario} --shard {wildcards.shard} --output {output} > {log} 2>&1"


rule robustness_merge:
    input:
        shards=expand(f"{RESULTS}/robustness/shards/{{scenario}}-{{shard}}.csv",
                      scenario=config["robustness_scenarios"],
                      shard=range(config["robustness_shards"])),
        code=step_code("robustness-merge"),
    output:
        replications=f"{RESULTS}/robustness/replications.csv",
        summary=f"{RESULTS}/robustness/summary.csv",
        scenarios=f"{RESULTS}/robustness/scenarios.json",
    params:
        cfg=step_params("robustness-merge"),
    log:
        f"{LOGS}/robustness/merge.log",
    conda:
        ENV
    shell:
        "python -m analysis robustness-merge --params {params.cfg:q} --inputs {input.shards} --replications {output.replications} --summary {output.summary} --scenarios {output.scenarios} > {log} 2>&1"
