"""One writer at a time: runs and rollbacks take the warehouse's lock, wait for it, and name its holder.

The lock is tried with real processes: a holder in a child process that the test releases or
kills, and two whole pipeline runs started two seconds apart on one warehouse.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from pipeline_runs import read_until_stage, run_pipeline, start_pipeline, swallow_a_ctrl_c_after_the_build
from seed_files import PROJECT_DIR, seed_rows

from scripts.publish import Warehouse, sha256, writer_lock

HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from scripts.publish import Warehouse, writer_lock
    with writer_lock(Warehouse(Path(sys.argv[1])), "the test's holder", print):
        print("holding", flush=True)
        sys.stdin.readline()
""")


def start_holder(warehouse: Warehouse) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse.published)],
        cwd=PROJECT_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "holding"
    return holder


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse" / "funding.duckdb")


def test_a_second_writer_waits_and_names_the_holder(warehouse):
    holder = start_holder(warehouse)
    said: list[str] = []
    started = time.monotonic()
    releaser = subprocess.Popen(["sh", "-c", f"sleep 1; kill -TERM {holder.pid}"])
    with writer_lock(warehouse, "the waiting writer", said.append):
        waited = time.monotonic() - started
    releaser.wait()
    holder.wait(timeout=30)
    assert waited >= 0.5, "the second writer did not wait"
    assert said[0].startswith(f"Waiting for the test's holder (process {holder.pid} on ")
    assert str(warehouse.published) in said[0]


def test_a_lock_left_by_a_killed_holder_does_not_block(warehouse):
    holder = start_holder(warehouse)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    said: list[str] = []
    with writer_lock(warehouse, "the next writer", said.append):
        pass
    assert said == [], "a dead holder's lock made the next writer wait"


def test_a_free_lock_is_taken_without_a_word(warehouse):
    said: list[str] = []
    with writer_lock(warehouse, "the only writer", said.append):
        assert warehouse.lock_path.exists()
    assert said == []


def test_rollback_waits_for_a_run(warehouse):
    holder = start_holder(warehouse)
    rollback = subprocess.Popen(
        [sys.executable, "-m", "scripts", "rollback", "--warehouse", str(warehouse.published)],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1)
    assert rollback.poll() is None, "rollback did not wait for the lock"
    holder.stdin.write("done\n")
    holder.stdin.flush()
    holder.wait(timeout=30)
    stdout, stderr = rollback.communicate(timeout=60)
    assert f"Waiting for the test's holder (process {holder.pid}" in stdout
    assert "no previous release" in stderr and "Traceback" not in stderr


def start_run(project: Path) -> subprocess.Popen:
    return start_pipeline(project, project / "warehouse" / "funding.duckdb")


@pytest.mark.pipeline
def test_two_runs_two_seconds_apart_both_publish_one_after_the_other(project_copy: Path):
    """The first run is `make run`'s process; the second starts two seconds later in this
    process, another one all the same, and waits for the first's lock."""
    first = start_run(project_copy)
    time.sleep(2)
    second = run_pipeline(project_copy)
    first_output, _ = first.communicate(timeout=600)

    for output in (first_output, second.output):
        assert "Traceback" not in output, output
    assert (first.returncode, second.exit_code) == (0, 0), first_output + second.output
    assert f"Waiting for make run (process {first.pid} on " in second.output
    warehouse = Warehouse(project_copy / "warehouse" / "funding.duckdb")
    first_release = first_output.split("(release ")[-1].split(")")[0]
    assert warehouse.release_of(warehouse.previous_link).name == first_release
    expected = len(seed_rows(project_copy, "published_totals"))
    with duckdb.connect(str(warehouse.published), read_only=True) as connection:
        statuses = connection.execute(
            "select reconciliation_status, count(*) from marts.rpt_reconciliation group by all"
        ).fetchall()
    assert statuses == [("reconciled", expected)]


def test_an_unexpected_error_is_one_sentence_and_a_log_not_a_traceback(tmp_path, monkeypatch, capsys):
    from scripts import pipeline

    def fail(paths, timings):
        raise OSError("No space left on device")

    monkeypatch.setattr(pipeline, "run", fail)
    paths = pipeline.RunPaths(PROJECT_DIR, Warehouse(tmp_path / "warehouse" / "funding.duckdb"), tmp_path / "target")
    assert pipeline.run_reporting_errors(paths, {}) == pipeline.EXIT_ERROR
    printed = capsys.readouterr().out
    assert "The run stopped on an unexpected error: OSError: No space left on device" in printed
    assert "Traceback" not in printed
    log = tmp_path / "target" / "logs" / "pipeline-error.log"
    assert "Traceback" in log.read_text(encoding="utf-8") and str(log) in printed


@pytest.mark.pipeline
@pytest.mark.parametrize("stage", ["seed", "build"])
def test_ctrl_c_stops_a_run_in_one_sentence(stage, project_copy: Path, published_before: Path):
    """Ctrl-C reaches the run's whole process group, as a terminal sends it; no traceback, nothing published."""
    from scripts.pipeline import EXIT_INTERRUPTED

    checksum = sha256(published_before)
    run = start_pipeline(project_copy, published_before, own_session=True)
    seen = read_until_stage(run, stage)
    time.sleep(1.0)
    os.killpg(run.pid, signal.SIGINT)
    seen.append(run.stdout.read())
    run.wait(timeout=120)
    output = "".join(seen)
    # 130 as the run returns it, or death by the signal itself when the Ctrl-C lands while the
    # interpreter shuts down: a shell reports both as 130
    assert run.returncode in (EXIT_INTERRUPTED, -signal.SIGINT), output
    assert "Interrupted: nothing was published" in output and "Traceback" not in output, output
    assert sha256(published_before) == checksum


@pytest.mark.pipeline
@pytest.mark.usefixtures("interruptible")
def test_a_ctrl_c_that_a_library_swallows_still_publishes_nothing(
    project_copy: Path, published_before: Path, monkeypatch: pytest.MonkeyPatch
):
    checksum = sha256(published_before)
    swallow_a_ctrl_c_after_the_build(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(project_copy, published_before)
    assert sha256(published_before) == checksum


@pytest.mark.pipeline
@pytest.mark.usefixtures("interruptible")
def test_without_remembering_a_ctrl_c_a_swallowed_one_would_publish(
    project_copy: Path, published_before: Path, monkeypatch: pytest.MonkeyPatch
):
    """The check above can fail: with Ctrl-C not remembered, the same run publishes."""
    from contextlib import nullcontext

    from scripts import pipeline

    checksum = sha256(published_before)
    swallow_a_ctrl_c_after_the_build(monkeypatch)
    monkeypatch.setattr(pipeline, "remembered_interrupts", lambda: nullcontext(lambda: None))
    assert run_pipeline(project_copy, published_before).exit_code == 0
    assert sha256(published_before) != checksum


def test_a_run_started_with_ctrl_c_ignored_leaves_it_ignored_and_restores_a_handler():
    """A command started in the background keeps ignoring Ctrl-C, as Unix intends; otherwise the
    run's handler is in force for the run only."""
    from scripts.interrupts import remembered_interrupts

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with remembered_interrupts():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        signal.signal(signal.SIGINT, signal.default_int_handler)
        with remembered_interrupts() as stop_if_interrupted:
            assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
            stop_if_interrupted()  # no Ctrl-C came: nothing raised
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
