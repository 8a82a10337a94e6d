"""A published release only ever changes to a fully tested state, and any client can read it.

Real processes here: a BI reader holding a read-only connection while a run publishes, a run
killed with SIGKILL at each stage, and a DuckDB 1.x client opening the published file.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from pipeline_runs import (
    PipelineRun,
    mart_row_counts,
    read_until_stage,
    run_pipeline,
    start_pipeline,
)
from seed_files import PROJECT_DIR, renew_project, seed_rows

from scripts.publish import sha256

READER = """
import select, sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
queries = 0
print("ready", flush=True)
while not select.select([sys.stdin], [], [], 0.05)[0]:
    connection.execute("select count(*) from marts.rpt_reconciliation").fetchone()
    queries += 1
print(queries, flush=True)
"""


def start_reader(database: Path) -> subprocess.Popen:
    """A BI tool stand-in: a second process that holds a read-only connection and keeps querying."""
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "ready", reader.stderr.read()
    return reader


def stop_reader(reader: subprocess.Popen) -> int:
    """Stop the reader; return how many queries it answered while it ran."""
    stdout, stderr = reader.communicate(input="stop\n", timeout=30)
    assert reader.returncode == 0, stderr
    return int(stdout.strip())


def assert_whole_release(published: Path, project: Path) -> None:
    """The published file opens, every published total reconciles, and its exports match it."""
    expected = len(seed_rows(project, "published_totals"))
    with duckdb.connect(str(published), read_only=True) as connection:
        statuses = connection.execute(
            "select reconciliation_status, count(*) from marts.rpt_reconciliation group by all"
        ).fetchall()
    assert statuses == [("reconciled", expected)]
    exports = published.parent / "exports"
    assert exports.resolve().parent == published.resolve().parent, "exports and database from different releases"
    package = json.loads((exports / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        assert f"sha256:{sha256(exports / resource['path'])}" == resource["hash"]


@dataclass
class SecondRelease:
    run: PipelineRun
    published: Path
    first_checksum: str
    reader_queries: int


@pytest.fixture(scope="session")
def second_release(built: PipelineRun, kept_folder) -> SecondRelease:
    """A second run over a copy of the first release, while another process reads the file.

    Its tests are one xdist group: one worker makes it while the others go on."""
    project = renew_project(kept_folder("second-release"))
    published = built.copy_release_to(project)
    first_checksum = sha256(published)
    reader = start_reader(published)
    run = run_pipeline(project, published)
    return SecondRelease(run, published, first_checksum, stop_reader(reader))


@pytest.mark.pipeline
@pytest.mark.xdist_group("second-release")
def test_a_reader_holding_the_file_does_not_block_the_run(second_release):
    assert second_release.run.exit_code == 0, second_release.run.output
    assert second_release.reader_queries > 0


@pytest.mark.pipeline
@pytest.mark.xdist_group("second-release")
def test_the_first_release_is_kept_one_generation_back(second_release):
    warehouse = second_release.run.paths.warehouse
    assert sha256(warehouse.previous) == second_release.first_checksum
    assert_whole_release(second_release.published, second_release.run.paths.project_dir)


@pytest.mark.pipeline
@pytest.mark.xdist_group("second-release")
def test_rollback_restores_the_previous_release_and_again_rolls_forward(second_release, tmp_path):
    # on a copy: the other tests read the shared second release
    shutil.copytree(second_release.published.parent, tmp_path / "warehouse", symlinks=True)
    published = tmp_path / "warehouse" / second_release.published.name
    second_checksum = sha256(published)
    command = [sys.executable, "-m", "scripts", "rollback", "--warehouse", str(published)]
    first = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    assert "Rolled back" in first.stdout
    assert sha256(published) == second_release.first_checksum
    subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    assert sha256(published) == second_checksum


# Where to kill a run: the seconds after a stage's announcement, so that the kill lands inside it.
KILL_DELAYS = {"seed": 1.0, "build": 0.5, "test": 0.2, "validate": 0.5, "export": 0.0, "publish": 0.0}


def kill_run_in(stage: str, project: Path, published: Path, delay: float = 0.0) -> subprocess.Popen:
    """Start `make run`'s pipeline as a process and SIGKILL it `delay` seconds into `stage`."""
    run = start_pipeline(project, published)
    read_until_stage(run, stage)
    time.sleep(delay)
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    run.stdout.close()
    return run


@pytest.mark.pipeline
@pytest.mark.parametrize("stage", list(KILL_DELAYS))
def test_sigkill_at_any_stage_leaves_a_whole_release(stage, project_copy: Path, published_before: Path):
    run = kill_run_in(stage, project_copy, published_before, KILL_DELAYS[stage])
    if stage != "publish":  # a publish takes milliseconds, and may be over before the signal lands
        assert run.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert_whole_release(published_before, project_copy)


@pytest.mark.pipeline
def test_a_run_after_a_killed_one_publishes(project_copy: Path, published_before: Path):
    kill_run_in("build", project_copy, published_before)
    result = run_pipeline(project_copy, published_before)
    assert result.exit_code == 0, result.output
    assert_whole_release(published_before, project_copy)


def duckdb1_python() -> Path:
    python = Path(os.environ.get("DUCKDB1_PYTHON", PROJECT_DIR / ".venv-duckdb1" / "bin" / "python"))
    if not python.exists():
        pytest.fail(f"no DuckDB 1.x client at {python}; `make test` installs it from requirements-duckdb1.lock")
    return python


OLD_CLIENT = """
import json, sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
marts = [name for (name,) in connection.execute(
    "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()]
counts = {mart: connection.execute(f"select count(*) from marts.{mart}").fetchone()[0] for mart in marts}
print(json.dumps({"version": duckdb.__version__, "counts": counts}))
"""


def test_a_duckdb_1_client_reads_every_mart(built: PipelineRun):
    published = built.paths.warehouse.published
    answer = subprocess.run(
        [str(duckdb1_python()), "-c", OLD_CLIENT, str(published)], capture_output=True, text=True, timeout=60
    )
    assert answer.returncode == 0, answer.stderr
    report = json.loads(answer.stdout)
    assert report["version"].startswith("1.")
    expected = mart_row_counts(published)
    assert report["counts"] == expected
    assert expected
