"""Run `dbt build` in this process and turn its results into a short account.

dbt costs seconds to import and parse, so the pipeline calls it through dbt's programmatic
runner instead of a subprocess, once per run.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from dbt.cli.main import dbtRunner

FAILED_STATUSES = {"error", "fail", "runtime error"}
FAILURE_ROWS_SHOWN = 20


@dataclass
class TestFailure:
    name: str
    message: str
    rows: list[str] = field(default_factory=list)


@dataclass
class BuildResult:
    success: bool
    counts: Counter  # (resource type, status) -> number of nodes
    failures: list[TestFailure]
    error: str | None = None  # a failure before any node ran (parse or compile error)

    def count(self, resource_type: str, status: str | None = None) -> int:
        return sum(
            number
            for (kind, state), number in self.counts.items()
            if kind == resource_type and (status is None or state == status)
        )


def dbt_build(project_dir: Path, build_path: Path, target_dir: Path, threads: int | None = None) -> BuildResult:
    """Seed, build and test the whole project into the DuckDB file at `build_path`."""
    os.environ["WAREHOUSE_BUILD_PATH"] = str(build_path)
    if threads:
        os.environ["DBT_THREADS"] = str(threads)
    args = [
        "build",
        "--project-dir", str(project_dir),
        "--profiles-dir", str(project_dir),
        "--target-path", str(target_dir),
        "--log-path", str(target_dir / "logs"),
        "--quiet",
        "--no-use-colors",
        "--no-partial-parse",
    ]
    outcome = dbtRunner().invoke(args)
    release_duckdb_file()
    if outcome.result is None or not hasattr(outcome.result, "results"):
        error = str(outcome.exception) if outcome.exception else "dbt stopped before building anything"
        return BuildResult(success=False, counts=Counter(), failures=[], error=error)

    counts = Counter()
    failures = []
    for node_result in outcome.result.results:
        status = str(node_result.status).lower()
        counts[(node_result.node.resource_type, status)] += 1
        if status in FAILED_STATUSES:
            failures.append(
                TestFailure(
                    name=node_result.node.name,
                    message=node_result.message or status,
                    rows=failing_rows(build_path, node_result.node),
                )
            )
    return BuildResult(success=outcome.success and not failures, counts=counts, failures=failures)


def release_duckdb_file() -> None:
    """Close the DuckDB handle that dbt-duckdb keeps open for the life of the process.

    Until it is closed, this process cannot open the file read-only (DuckDB refuses a second
    connection with another configuration), nor can any other process open it at all.
    dbt-duckdb offers no public call for this; `close_all_connections` only drops the
    reference, so the environment is closed first.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        if environment is not None:
            environment.close()
        DuckDBConnectionManager._ENV = None


def failing_rows(build_path: Path, node) -> list[str]:
    """The rows a failed test stored, as text: its `failure_message` column where it has one."""
    relation = getattr(node, "relation_name", None)
    if node.resource_type != "test" or not relation:
        return []
    try:
        with duckdb.connect(str(build_path)) as connection:
            cursor = connection.execute(f"select * from {relation} limit {FAILURE_ROWS_SHOWN}")
            columns = [description[0] for description in cursor.description]
            rows = cursor.fetchall()
    except duckdb.Error:
        return []
    if "failure_message" in columns:
        position = columns.index("failure_message")
        return [row[position] for row in rows]
    return [", ".join(f"{name}={value}" for name, value in zip(columns, row)) for row in rows]
