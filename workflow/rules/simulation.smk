# The simulation study: every claim over a grid of effect multipliers and sample
# sizes (config simulation). One job per sample size and shard draws every
# multiplier's replications; a replication's seed depends only on the master
# seed, its cell and its number, so results do not depend on the shards. The
# true values come from one large study per multiplier.

SIMULATION = f"{RESULTS}/simulation"


rule simulation_truth:
    input:
        code=step_code("simulation-truth"),
    output:
        f"{SIMULATION}/truth.csv",
    # The longest jobs go first, so that the two cores stay busy to the end (order only).
    priority: 10
    params:
        cfg=step_params("simulation-truth"),
    log:
        f"{LOGS}/simulation/truth.log",
    conda:
        ENV
    shell:
        "python -m analysis simulation-truth --params {params.cfg:q} --output {output} > {log} 2>&1"


rule simulation_shard:
    input:
        code=step_code("simulation-shard"),
    output:
        temp(f"{SIMULATION}/shards/n{{n}}-{{shard}}.pkl"),
    priority: 5
    wildcard_constraints:
        n=r"\d+",
        shard=r"\d+",
    params:
        cfg=step_params("simulation-shard"),
    log:
        f"{LOGS}/simulation/n{{n}}-{{shard}}.log",
    conda:
        ENV
    shell:
        "python -m analysis simulation-shard --params {params.cfg:q} --n {wildcards.n} --shard {wildcards.shard} --output {output} > {log} 2>&1"


rule simulation_merge:
    input:
        shards=expand(f"{SIMULATION}/shards/n{{n}}-{{shard}}.pkl",
                      n=config["simulation"]["n_participants"],
                      shard=range(config["simulation"]["shards"])),
        truth=rules.simulation_truth.output[0],
        code=step_code("simulation-merge"),
    output:
        performance=f"{SIMULATION}/performance.csv",
        sample_size=f"{SIMULATION}/sample_size.csv",
        covariance=f"{SIMULATION}/covariance.csv",
    params:
        cfg=step_params("simulation-merge"),
        outdir=parent(0, "output"),
    log:
        f"{LOGS}/simulation/merge.log",
    conda:
        ENV
    shell:
        "python -m analysis simulation-merge --params {params.cfg:q} --inputs {input.shards} --truth {input.truth} --outdir {params.outdir} > {log} 2>&1"
