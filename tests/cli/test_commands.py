"""The command line: one module per step, configuration from exactly one source."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analysis import cli
from analysis.cli import STEPS, step_module
from analysis.config import load_config
from analysis.dependencies import module_constant
from tests.conftest import write_config


@pytest.mark.parametrize("step", list(STEPS))
def test_every_step_has_a_module_with_arguments_and_a_run(step):
    module = step_module(step)
    assert callable(module.add_arguments) and callable(module.run)
    assert (module.__doc__ or "").strip(), step
    keys = module_constant(module.__name__, "CONFIG_KEYS", ())
    assert set(keys) <= set(load_config()), step


def test_a_step_needs_the_keys_it_reads_and_says_which(tmp_path, capsys, repo_root):
    params = json.dumps({"alpha": 0.05})  # describe also reads data_source
    code = cli.main(["describe", "--params", params, "--data", str(repo_root / "data/synthetic"),
                     "--outdir", str(tmp_path)])
    assert code == 2
    assert "needs the configuration key(s) data_source" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_a_step_with_no_configuration_source_says_so(tmp_path, capsys, repo_root):
    code = cli.main(["describe", "--data", str(repo_root / "data/synthetic"),
                     "--outdir", str(tmp_path)])
    assert code == 2
    assert "give --params" in capsys.readouterr().err


def test_params_are_validated_as_given(tmp_path, capsys, repo_root):
    code = cli.main(["describe", "--params", json.dumps({"alpha": 2, "data_source": "synthetic"}),
                     "--data", str(repo_root / "data/synthetic"), "--outdir", str(tmp_path)])
    assert code == 2
    assert "config key 'alpha' has value 2" in capsys.readouterr().err


def test_values_take_the_model_from_params_not_from_the_file_on_disk(tmp_path, repo_root):
    """The defect this replaced: the parameters table read config/config.yaml behind the rule."""
    from analysis.paper.tables import parameters_table

    config = load_config()
    config["model"]["arrest"]["visible_injury"]["effect"] = 0.25
    table = parameters_table(config)
    assert "| Arrest | visible injury | +0.25 |" in table
    assert "+1.90" not in table.split("visible injury")[1].splitlines()[0]


def test_unknown_step_is_refused(capsys):
    assert cli.main(["nonsense"]) == 2
    assert "unknown step 'nonsense'" in capsys.readouterr().err


def test_configfile_gives_the_same_output_as_params(tmp_path, repo_root):
    config = write_config(tmp_path / "c.yaml", alpha=0.1)
    keys = module_constant("analysis.cli.describe", "CONFIG_KEYS")
    full = load_config(config)
    params = json.dumps({k: full[k] for k in keys})
    data = str(repo_root / "data/synthetic")
    assert cli.main(["describe", "--configfile", str(config), "--data", data,
                     "--outdir", str(tmp_path / "a")]) == 0
    assert cli.main(["describe", "--params", params, "--data", data,
                     "--outdir", str(tmp_path / "b")]) == 0
    for path in sorted((tmp_path / "a").iterdir()):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_python_m_analysis_lists_the_steps(repo_root):
    out = subprocess.run([sys.executable, "-m", "analysis", "--help"], cwd=repo_root,
                         capture_output=True, text=True, check=True).stdout
    for step in STEPS:
        assert step in out


def test_a_figure_command_loads_no_statistics_library(repo_root):
    """Start-up: a figure job imports neither statsmodels nor the estimators."""
    probe = ("import sys, runpy; sys.argv = ['analysis', 'figure', '--help']\n"
             "try:\n    runpy.run_module('analysis', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith(('statsmodels', 'scipy'))))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=repo_root, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_check_committed_keys_are_the_generators_and_the_opt_out():
    """The workflow reads check_committed's CONFIG_KEYS as a literal; it must follow generate's."""
    from analysis.cli import check_committed, generate

    assert check_committed.CONFIG_KEYS == (*generate.CONFIG_KEYS, "check_committed_data")
