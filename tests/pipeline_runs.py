"""Running the pipeline from a test, and reading what it published."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

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
