# Entry point of the replication workflow: load and validate the configuration,
# include the rules by topic, declare the final targets.
#
#   snakemake --cores 4                         # build the paper
#   snakemake --cores 4 --config scenario=null  # the same study with no effects
from analysis.config import ConfigError, validate_config
from analysis.steps.limits import study_limits
from snakemake.exceptions import WorkflowError

configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


# Validation runs at parse time, before any job: a bad value stops the run
# with the key, the value and what is allowed, and nothing is written. The
# study's size is checked against what the estimators and the machine need.
try:
    config.update(validate_config(config, checks=[study_limits]))
except ConfigError as error:
    raise WorkflowError(str(error)) from None


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/robustness.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/exchange.smk"
include: "workflow/rules/manuscript.smk"


rule all:
    default_target: True
    input:
        final_targets(),
