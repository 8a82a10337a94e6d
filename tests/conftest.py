"""Shared fixtures: a project copy built once per session, and a project copy to change.

The helpers that tests import live in modules of their own (pipeline_runs.py, seed_files.py,
shared_project.py):
a test imports helpers, never conftest.

Nothing here touches the user's warehouse or target directory: every run builds into a
temporary directory of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pipeline_runs import PipelineRun, once_for_all_workers, run_pipeline
from seed_files import copy_project

if TYPE_CHECKING:
    from shared_project import SharedProject


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """The real seeds, built, tested, validated and published once for the whole session."""

    def build() -> PipelineRun:
        return run_pipeline(copy_project(tmp_path_factory.mktemp("built")))

    result = once_for_all_workers(tmp_path_factory, "built", build)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="session")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> SharedProject:
    """One project copy, parsed once per worker, for the tests whose cases differ only in seed rows.

    Each build restores the pristine seeds first, so the fault and tolerance cases share it.
    Imported here, not at the top: it imports dbt, which most test files never need.
    """
    from shared_project import SharedProject

    return SharedProject(tmp_path_factory.mktemp("shared-project"))


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A fresh copy of the project for a test to change."""
    return copy_project(tmp_path / "project")


@pytest.fixture
def published_before(built: PipelineRun, project_copy: Path) -> Path:
    """A published warehouse in the copy's place, as a previous good run left it."""
    return built.copy_release_to(project_copy)
