"""Shared fixtures: a project copy built once per session, and a way to run the pipeline.

Nothing here touches the user's warehouse or target directory: every run builds into a
temporary directory of its own.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from seed_files import copy_project

from scripts.pipeline import RunPaths, run
from scripts.publish import Warehouse


@dataclass
class PipelineRun:
    paths: RunPaths
    exit_code: int
    lines: list[str]

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def run_pipeline(
    project_dir: Path, warehouse: Path | None = None, input_dir: Path | None = None, input_format: str = "parquet"
) -> PipelineRun:
    paths = RunPaths(
        project_dir=project_dir,
        warehouse=Warehouse(warehouse or project_dir / "warehouse" / "funding.duckdb"),
        target_dir=project_dir / "target",
        input_dir=input_dir,
        input_format=input_format,
    )
    lines: list[str] = []
    exit_code = run(paths, say=lines.append)
    return PipelineRun(paths, exit_code, lines)


def mart_row_counts(database: Path) -> dict[str, int]:
    """Every table in the schema marts, with its number of rows."""
    with duckdb.connect(str(database), read_only=True) as connection:
        marts = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
        return {mart: connection.execute(f"select count(*) from marts.{mart}").fetchone()[0] for (mart,) in marts}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """The real seeds, built, tested, validated and published once for the whole session."""
    project_dir = copy_project(tmp_path_factory.mktemp("built"))
    result = run_pipeline(project_dir)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A fresh copy of the project for a test to change."""
    return copy_project(tmp_path / "project")


@pytest.fixture
def published_before(built: PipelineRun, project_copy: Path) -> Path:
    """A published warehouse in the copy's place, as a previous good run left it."""
    shutil.copytree(built.paths.warehouse.published.parent, project_copy / "warehouse", symlinks=True)
    return project_copy / "warehouse" / built.paths.warehouse.published.name
