"""How the pipeline runs dbt in its own process: what it leaves behind in that process.

dbt takes the profile's paths and settings from the environment, and dbt-duckdb keeps its
DuckDB database open after an invocation. Neither may outlast the invocation: the environment
is restored, and the database files are closed, so that the pipeline, and any other process,
can open them read-only at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from scripts.dbt_build import DbtProject, environment
from scripts.settings import DUCKDB_SETTINGS, Inputs, duckdb_limits

VARIABLE = "FUNDING_TEST_VARIABLE"


def test_the_environment_is_set_for_the_block_and_restored_after_it(monkeypatch):
    monkeypatch.setenv(VARIABLE, "before")
    monkeypatch.delenv(f"{VARIABLE}_UNSET", raising=False)
    with environment({VARIABLE: "during", f"{VARIABLE}_UNSET": "during"}):
        assert os.environ[VARIABLE] == os.environ[f"{VARIABLE}_UNSET"] == "during"
    assert os.environ[VARIABLE] == "before"
    assert f"{VARIABLE}_UNSET" not in os.environ


def test_the_environment_is_restored_when_the_block_fails(monkeypatch):
    monkeypatch.setenv(VARIABLE, "before")
    with pytest.raises(RuntimeError), environment({VARIABLE: "during"}):
        raise RuntimeError("dbt failed")
    assert os.environ[VARIABLE] == "before"


OPEN_READ_ONLY = "import sys, duckdb; duckdb.connect(sys.argv[1], read_only=True).close()"


@pytest.mark.pipeline
def test_after_an_invocation_the_environment_is_as_before_and_the_files_open_read_only(
    shared_project, tmp_path: Path, monkeypatch
):
    database, marts = tmp_path / "build.duckdb", tmp_path / "marts.duckdb"
    variables = ["WAREHOUSE_BUILD_PATH", "WAREHOUSE_MARTS_PATH", "APPENDIX_FILES_DIR"]
    variables += [variable for variable, _ in DUCKDB_SETTINGS.values()]
    for variable in variables:
        monkeypatch.delenv(variable, raising=False)
    before = dict(os.environ)

    dbt = DbtProject(
        shared_project.project, database, marts, tmp_path / "target", Inputs(tmp_path / "inputs", "parquet")
    )
    dbt.manifest = shared_project.dbt.manifest  # parsed once for the worker's tests
    # a query opens dbt-duckdb's database, with the marts attached, as a build does
    shown = dbt.invoke("show", "--inline", "select 1 as one")
    assert shown.success, shown.error

    assert dict(os.environ) == before
    for path in (database, marts):
        assert path.exists()
        # in this process, as the pipeline opens the marts right after dbt
        with duckdb.connect(str(path), read_only=True, config=duckdb_limits()) as connection:
            assert connection.execute("select 1").fetchone() == (1,)
        # and from another process, as a BI tool or the GX process does
        other = subprocess.run([sys.executable, "-c", OPEN_READ_ONLY, str(path)], capture_output=True, text=True)
        assert other.returncode == 0, other.stderr
