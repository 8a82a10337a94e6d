"""One definition of each path, input choice and DuckDB setting (scripts/settings.py), and the
one command line that turns options into them (scripts/cli.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from seed_files import PROJECT_DIR

from scripts import cli
from scripts.settings import (
    DUCKDB_SETTINGS,
    INPUT_TABLES,
    Inputs,
    dbt_duckdb_environment,
    default_target_dir,
    duckdb_limits,
)

COMMANDS = ["run", "rollback", "status", "docs", "report", "bench", "generate"]


# --- settings -------------------------------------------------------------------------------------


def test_the_input_tables_are_the_ones_dbt_declares_as_seeds_and_as_files():
    seeds = yaml.safe_load((PROJECT_DIR / "seeds" / "_seeds.yml").read_text(encoding="utf-8"))
    sources = yaml.safe_load(
        (PROJECT_DIR / "models" / "staging" / "_appendix__sources.yml").read_text(encoding="utf-8")
    )
    (appendix_files,) = [source for source in sources["sources"] if source["name"] == "appendix_files"]
    assert sorted(INPUT_TABLES) == sorted(seed["name"] for seed in seeds["seeds"])
    assert sorted(INPUT_TABLES) == sorted(table["name"] for table in appendix_files["tables"])


def test_the_seeds_need_no_dbt_variables_and_files_select_themselves(monkeypatch):
    monkeypatch.delenv("DBT_THREADS", raising=False)
    seeds = Inputs.seeds_of(PROJECT_DIR)
    assert seeds.files == [PROJECT_DIR / "seeds" / f"{table}.csv" for table in INPUT_TABLES]
    assert all(path.exists() for path in seeds.files)
    assert seeds.dbt_vars == {} and seeds.dbt_environment == {}

    files = Inputs(Path("/data/large"), "csv")
    assert files.files == [Path("/data/large") / f"{table}.csv" for table in INPUT_TABLES]
    assert files.dbt_vars == {"input_mode": "files", "input_format": "csv"}
    # one dbt thread for large files, unless the user asks for more
    assert files.dbt_environment == {"APPENDIX_FILES_DIR": "/data/large", "DBT_THREADS": "1"}
    monkeypatch.setenv("DBT_THREADS", "4")
    assert files.dbt_environment["DBT_THREADS"] == "4"
    with pytest.raises(ValueError, match="unknown input format"):
        Inputs(Path("/data/large"), "xlsx")


def test_duckdb_settings_reach_the_pipeline_and_dbt_alike(monkeypatch):
    for variable, _ in DUCKDB_SETTINGS.values():
        monkeypatch.delenv(variable, raising=False)
    defaults = {setting: default for setting, (_, default) in DUCKDB_SETTINGS.items()}
    assert duckdb_limits() == defaults
    assert dbt_duckdb_environment() == {variable: default for variable, default in DUCKDB_SETTINGS.values()}
    (variable, _), *_ = DUCKDB_SETTINGS.values()
    monkeypatch.setenv(variable, "1GB")
    assert "1GB" in duckdb_limits().values() and dbt_duckdb_environment()[variable] == "1GB"


def test_profiles_yml_reads_each_duckdb_setting_from_its_variable_and_holds_no_default_of_the_project():
    profile = (PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8")
    for setting, (variable, default) in DUCKDB_SETTINGS.items():
        assert re.search(rf"{setting}: \"{{{{ env_var\('{variable}'", profile), setting
        assert default not in profile, f"{setting}'s default {default} is written in profiles.yml too"


# --- the command line -----------------------------------------------------------------------------


def parse(*argv: str):
    return cli.parser().parse_args(list(argv))


def test_run_turns_its_options_into_the_run_paths(tmp_path: Path):
    args = parse(
        "run", "--warehouse", str(tmp_path / "w.duckdb"), "--input-dir", str(tmp_path), "--input-format", "csv"
    )
    inputs = Inputs(args.input_dir.resolve(), args.input_format)
    paths = cli.run_paths(args, inputs)
    assert paths.project_dir == PROJECT_DIR and paths.target_dir == default_target_dir(PROJECT_DIR)
    assert paths.warehouse.published == tmp_path / "w.duckdb"
    assert paths.inputs == Inputs(tmp_path, "csv")
    assert cli.run_paths(parse("run")).inputs == Inputs.seeds_of(PROJECT_DIR)


@pytest.mark.parametrize(
    "argv",
    [
        ["docs", "--input-dir", "/tmp"],
        ["docs", "--timings-json", "/tmp/t.json"],
        ["status", "--project-dir", "/tmp"],
        ["rollback", "--target-dir", "/tmp"],
        ["generate", "/tmp/out", "--lines", "10", "--warehouse", "/tmp/w.duckdb"],
        ["bench", "sizes", "--pairs", "2"],
    ],
)
def test_each_command_takes_only_its_own_options(argv: list[str], capsys):
    with pytest.raises(SystemExit) as exit_:
        parse(*argv)
    assert exit_.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_an_input_format_without_input_files_is_refused(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--input-format", "csv"])
    assert "--input-format" in capsys.readouterr().err


def test_make_reaches_every_command_through_the_one_entry():
    makefile = (PROJECT_DIR / "Makefile").read_text(encoding="utf-8")
    reached = set(re.findall(r"\$\(BIN\)/python -m scripts (\w+)", makefile))
    assert reached == set(COMMANDS)
    assert re.findall(r"python -m scripts\.\w", makefile) == []


def test_the_entry_lists_every_command():
    shown = subprocess.run(
        [sys.executable, "-m", "scripts", "--help"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    ).stdout
    assert all(re.search(rf"^\s+{command}\s", shown, re.MULTILINE) for command in COMMANDS), shown
