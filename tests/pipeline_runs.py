"""Running the pipeline from a test, and reading what it published."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
import pytest
from seed_files import PROJECT_DIR

from scripts.pipeline import STAGES, run
from scripts.publish import Warehouse
from scripts.settings import Inputs, RunPaths, default_target_dir
from scripts.validation import ValidationOutcome

Shared = TypeVar("Shared")


class SuiteInThisProcess:
    """Runs the GX suite in the test's own process, as a `ValidatorProcess` does in its child.

    A test session runs many pipelines in one process: importing GX there once costs less than
    a child importing it for every run. The child itself is tested in test_gx_validate.py, and
    every pipeline a test starts as a process of its own uses it.
    """

    def start(self) -> None:
        """Nothing to start: the suite is imported on first use."""

    def validate(self, warehouse_path, inputs: Inputs, result_path: Path) -> ValidationOutcome:
        from scripts.validation.suite import validate_marts

        return validate_marts(warehouse_path, inputs, result_path)

    def __enter__(self) -> SuiteInThisProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        pass


def once_for_all_workers(tmp_path_factory: pytest.TempPathFactory, name: str, compute: Callable[[], Shared]) -> Shared:
    """`compute()` once for the whole session, whatever the number of pytest-xdist workers.

    The first worker to ask computes the value, holding a lock, and leaves it pickled in the
    session's folder, which every worker shares; the others wait for the lock and read it. The
    value must be picklable, and whatever files it names stay where the first worker made them.
    """
    folder = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = folder.parent  # each worker's base folder lies in the session's
    with (folder / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stored = folder / f"{name}.pickle"
        if stored.exists():
            return pickle.loads(stored.read_bytes())
        value = compute()
        stored.write_bytes(pickle.dumps(value))
        return value


@dataclass
class PipelineRun:
    paths: RunPaths
    exit_code: int
    lines: list[str]

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def copy_release_to(self, folder: Path) -> Path:
        """Copy the published warehouse, links and releases, into `folder`/warehouse; return its published path."""
        shutil.copytree(self.paths.warehouse.published.parent, folder / "warehouse", symlinks=True)
        return folder / "warehouse" / self.paths.warehouse.published.name


def run_pipeline(
    project_dir: Path,
    warehouse: Path | None = None,
    input_dir: Path | None = None,
    input_format: str = "parquet",
    engine: str = "duckdb",
) -> PipelineRun:
    """`make run` on `project_dir`, in this process; `engine="postgres"` builds and publishes on
    the PostgreSQL server of the environment instead (the `postgres_server` fixture's)."""
    paths = RunPaths(
        project_dir=project_dir,
        warehouse=Warehouse(warehouse or project_dir / "warehouse" / "funding.duckdb"),
        target_dir=default_target_dir(project_dir),
        inputs=Inputs(input_dir, input_format) if input_dir else None,
    )
    lines: list[str] = []
    if engine == "postgres":
        from scripts import postgres_pipeline

        exit_code = postgres_pipeline.run(paths, say=lines.append, validator=SuiteInThisProcess)
    else:
        exit_code = run(paths, say=lines.append, validator=SuiteInThisProcess)
    return PipelineRun(paths, exit_code, lines)


def mart_row_counts(database: Path) -> dict[str, int]:
    """Every table in the schema marts, with its number of rows."""
    with duckdb.connect(str(database), read_only=True) as connection:
        marts = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
        return {mart: connection.execute(f"select count(*) from marts.{mart}").fetchone()[0] for (mart,) in marts}


def start_pipeline(project: Path, published: Path, own_session: bool = False) -> subprocess.Popen:
    """`make run`'s pipeline as a process of its own, its output merged into `stdout`.

    `own_session` puts it in a process group of its own, so that a test can signal the whole
    group (the pipeline and its GX child) as a terminal does.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "scripts", "run", "--project-dir", str(project), "--warehouse", str(published)],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=own_session,
        preexec_fn=interruptible if own_session else None,
    )


def interruptible() -> None:
    """Ctrl-C as a terminal's foreground command has it: Python's KeyboardInterrupt. A command
    started in the background by a non-interactive shell (`make test &`, some CI runners)
    inherits Ctrl-C ignored, and Python keeps it ignored; a test of Ctrl-C must not inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def read_until_stage(process: subprocess.Popen, stage: str) -> list[str]:
    """The lines the process printed up to the announcement of `stage`, which must come."""
    marker = f"[{STAGES.index(stage) + 1}/{len(STAGES)}] {stage}"
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith(marker):
            return seen
    raise AssertionError(f"the run ended before {stage!r}:\n{''.join(seen)}")


def swallow_a_ctrl_c_after_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the dbt build end with a Ctrl-C that a library catches and ignores, as a bare
    `except:` would."""
    from scripts.dbt_build import DbtProject

    build_as_usual = DbtProject.invoke

    def invoke(self, command: str, *args, **kwargs):
        result = build_as_usual(self, command, *args, **kwargs)
        if command == "build":
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5)  # Python runs the handler here, at once
            except KeyboardInterrupt:
                pass
        return result

    monkeypatch.setattr(DbtProject, "invoke", invoke)
