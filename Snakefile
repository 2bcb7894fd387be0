# Entry point of the replication workflow: load and validate the configuration,
# include the rules by topic, declare the final targets.
#
#   snakemake --cores 4                         # build the paper
#   snakemake --cores 4 --config scenario=null  # the same study with no effects
from analysis.config import ConfigError, coerce_overrides, merge, read_yaml, validate_config
from analysis.steps.limits import study_limits
from snakemake.exceptions import WorkflowError

# Snakemake's own YAML reading keeps the last of two equal keys and names no line on a
# syntax error: read the workflow's file and every --configfile strictly first, so a
# duplicate key or a syntax error stops the run with the file and the line.
try:
    for _path in ["config/config.yaml", *workflow.overwrite_configfiles]:
        read_yaml(_path)
except ConfigError as error:
    raise WorkflowError(str(error)) from None


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


# Validation runs at parse time, before any job: a bad value stops the run
# with the key, the value and what is allowed, and nothing is written. Nested
# --config values arrive as strings ('sample={age_min: 20}' gives '20'); they
# are given the schema's types first, then merged into their section. The
# study's size is checked against what the estimators and the machine need.
try:
    _overrides = coerce_overrides(dict(workflow.config_settings.config))
    config.update(validate_config(merge(config, _overrides), checks=[study_limits]))
except ConfigError as error:
    raise WorkflowError(str(error)) from None


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/robustness.smk"
include: "workflow/rules/simulation.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/exchange.smk"
include: "workflow/rules/manuscript.smk"
include: "workflow/rules/provenance.smk"


rule all:
    default_target: True
    input:
        final_targets(),


# Every rule is defined: keep what the import graph read (workflow/rules/common.smk).
save_cache()
