"""Shared fixtures: a project copy built once per session, and a project copy to change.

The helpers that tests import live in modules of their own (pipeline_runs.py, seed_files.py,
shared_project.py): a test imports helpers, never conftest.

Nothing here touches the user's warehouse or target directory: every run builds into a project
copy of the session's own, in a temporary folder or in a folder of pytest's cache that the
session holds (`kept_folder`).
"""

from __future__ import annotations

import fcntl
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pipeline_runs import PipelineRun, once_for_all_workers, run_pipeline
from seed_files import copy_project, renew_project

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # this process's pytest-xdist worker

if TYPE_CHECKING:
    from postgres_server import PostgresServer
    from shared_project import SharedProject


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that run the whole pipeline first, the others after them, each part in its own order.

    The pipeline tests take seconds each, the others mostly milliseconds: run last, the short
    ones even out the pytest-xdist workers' ends, where a long one would keep one worker busy
    while the others have finished.
    """
    items.sort(key=lambda item: item.get_closest_marker("pipeline") is None)


@pytest.fixture(scope="session")
def kept_folder(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Path]]:
    """`kept_folder(name)`: a folder kept from one session to the next, in pytest's cache.

    For project copies that dbt builds: dbt reuses its parse of a project (target/
    partial_parse.msgpack) while the project's folder and its profile's paths stay the same,
    and reads again only the files that changed. Kept between sessions, a warm `make test`
    parses each copy in full only where its files changed, instead of once per copy per
    session. The files a test builds from are copied afresh (seed_files.renew_project); only
    dbt's output carries over. Each folder is locked for the session: a second session running
    at the same time gets a temporary folder instead. Name a worker's folders after `WORKER`.
    """
    cache = request.config.cache.mkdir("dbt-projects") if hasattr(request.config, "cache") else None
    locks = []

    def kept(name: str) -> Path:
        if cache is None:  # pytest's cache is switched off (-p no:cacheprovider)
            return tmp_path_factory.mktemp(name)
        lock = (cache / f"{name}.lock").open("w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return tmp_path_factory.mktemp(name)
        locks.append(lock)
        (cache / name).mkdir(exist_ok=True)
        return cache / name

    yield kept
    for lock in locks:
        lock.close()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, kept_folder: Callable[[str], Path]) -> PipelineRun:
    """The real seeds, built, tested, validated and published once for the whole session."""

    def build() -> PipelineRun:
        return run_pipeline(renew_project(kept_folder("built")))

    result = once_for_all_workers(tmp_path_factory, "built", build)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="session")
def shared_project(kept_folder: Callable[[str], Path]) -> SharedProject:
    """One project copy, parsed once per worker, for the tests whose cases differ only in seed rows.

    Each build restores the pristine seeds first, so the fault and tolerance cases share it.
    Imported here, not at the top: it imports dbt, which most test files never need.
    """
    from shared_project import SharedProject

    return SharedProject(kept_folder(f"shared-project-{WORKER}"))


@pytest.fixture(scope="session")
def project_home(kept_folder: Callable[[str], Path]) -> Path:
    """The one folder of this worker's `project_copy`: the same for every test, so that dbt's
    parse of the project carries over from one test's run to the next (seed_files.renew_project)."""
    return kept_folder(f"project-{WORKER}")


@pytest.fixture
def project_copy(project_home: Path) -> Path:
    """A fresh copy of the project for a test to change, its warehouse folder empty."""
    return renew_project(project_home)


@pytest.fixture
def published_before(built: PipelineRun, project_copy: Path) -> Path:
    """A published warehouse in the copy's place, as a previous good run left it."""
    return built.copy_release_to(project_copy)


# --- PostgreSQL (tests marked `postgres`; `make test-postgres`) ---------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the session, its connection in this process's
    environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE: the builder role), as
    profiles.yml and scripts/postgres.py read it. Stopped and removed at the end.

    Each pytest-xdist worker that runs a `postgres` test starts a server of its own, so no
    worker waits for another's; `make test-postgres` runs in one process (-n0) and starts one.
    """
    from postgres_server import PostgresServer

    server = PostgresServer.start()
    before = {name: os.environ.get(name) for name in server.environment()}
    os.environ.update(server.environment())
    try:
        yield server
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


@pytest.fixture(scope="session")
def pg_built(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """The real seeds built, tested, validated and published on PostgreSQL (schema marts)."""
    result = run_pipeline(copy_project(tmp_path_factory.mktemp("pg-built")), engine="postgres")
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="session")
def rejected(pg_built: PipelineRun, postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory):
    """A run on PostgreSQL whose seeds hold one wrong amount, after pg_built's publish: the
    marts as the BI role read them before and after it, the run, and the changed line's code."""
    from postgres_marts import first_amount_changed, snapshot

    before = snapshot(postgres_server)
    project = copy_project(tmp_path_factory.mktemp("pg-rejected"))
    line_code = first_amount_changed(project)
    result = run_pipeline(project, engine="postgres")
    return before, snapshot(postgres_server), result, line_code


@pytest.fixture
def interruptible() -> Iterator[None]:
    """Ctrl-C as a terminal's foreground command has it, Python's KeyboardInterrupt, even where
    the test runner was started with Ctrl-C ignored (in the background by a non-interactive
    shell), which a run respects (scripts/interrupts.py)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
