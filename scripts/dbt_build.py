"""Run dbt in this process: parse once, then `dbt build`.

dbt costs seconds to import and parse, so the pipeline calls it through dbt's programmatic
runner instead of a subprocess, and hands the parsed manifest to the build. One `dbt build`
rather than seed, run and test apart: in a build a failing test stops everything downstream of
it, so a bad seed row is reported by the staging test that names it, not by a mart's contract
further on.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from dbt.cli.main import dbtRunner
from dbt_common.events.event_manager_client import cleanup_event_logger

from scripts.settings import LOG_FOLDER, Inputs, dbt_duckdb_environment, duckdb_limits

FAILED_STATUSES = {"error", "fail", "runtime error"}
FAILURE_ROWS_SHOWN = 20
AUDIT_SCHEMA = "audit"  # where a failed test's rows are kept, in the build database
MARTS_ALIAS = "marts_db"  # the marts database as attached in profiles.yml


@dataclass
class NodeFailure:
    name: str
    message: str
    rows: list[str] = field(default_factory=list)


@dataclass
class StageResult:
    success: bool
    counts: Counter = field(default_factory=Counter)  # (resource type, status) -> number of nodes
    failures: list[NodeFailure] = field(default_factory=list)
    error: str | None = None  # a failure before any node ran

    def count(self, resource_type: str, status: str | None = None) -> int:
        return sum(
            number
            for (kind, state), number in self.counts.items()
            if kind == resource_type and (status is None or state == status)
        )

    def failure_lines(self) -> list[str]:
        """What went wrong, as the pipeline prints it: the error before any node ran, then each
        failing node's name and message, with its failing rows indented below it."""
        lines = [self.error] if self.error else []
        for failure in self.failures:
            lines.append(f"{failure.name}: {failure.message}")
            lines.extend(f"  - {row}" for row in failure.rows)
        return lines


class DbtProject:
    """One dbt project built into two DuckDB files: the build database and the marts database.

    The marts (the BI contract) go into `marts_database`, which is attached to the build
    database (profiles.yml); seeds, staging, intermediate and failing test rows stay in
    `database`. `for_postgres` makes one that builds on a PostgreSQL server instead, into the
    schemas of one build (scripts/postgres.py).
    """

    postgres_build: str | None = None  # on PostgreSQL, the prefix of the build's schemas

    @classmethod
    def for_postgres(cls, project_dir: Path, build: str, target_dir: Path, inputs: Inputs | None = None) -> DbtProject:
        """The project built on the PostgreSQL server of the environment (PGHOST, ...; see
        profiles.yml), into the schemas `<build>_raw`, `<build>_staging`, ..., `<build>_marts`."""
        project = cls(project_dir, Path(os.devnull), Path(os.devnull), target_dir, inputs)
        project.postgres_build = build
        project.environment = {
            "DBT_TARGET": "postgres",
            "PG_BUILD_SCHEMA": build,
            **(inputs.dbt_environment if inputs else {}),
        }
        return project

    def __init__(
        self,
        project_dir: Path,
        database: Path,
        marts_database: Path,
        target_dir: Path,
        inputs: Inputs | None = None,  # None: the project's seeds, dbt_project.yml's default
    ):
        self.database = database
        self.marts_database = marts_database
        # what profiles.yml and the sources read with env_var(), for every invocation
        self.environment = {
            "WAREHOUSE_BUILD_PATH": str(database),
            "WAREHOUSE_MARTS_PATH": str(marts_database),
            **dbt_duckdb_environment(),
            **(inputs.dbt_environment if inputs else {}),
        }
        self.common_args = [
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            "--target-path",
            str(target_dir),
            "--log-path",
            str(target_dir / LOG_FOLDER),
            "--log-level",
            "none",  # the console is the pipeline's
            # dbt's file log (target/logs/dbt.log) keeps warnings and errors: at its default,
            # debug, it writes several lines for every node, a tenth of a small run's time
            "--log-level-file",
            "warn",
            "--no-use-colors",
        ]
        if inputs and inputs.dbt_vars:
            self.common_args += ["--vars", json.dumps(inputs.dbt_vars)]
        self.manifest = None

    def node_counts(self) -> Counter:
        """How many nodes of each resource type the parsed project has."""
        counts = Counter(node.resource_type for node in self.manifest.nodes.values())
        counts["unit_test"] = len(self.manifest.unit_tests)
        return counts

    def tests_proved_by_seed_check(self, required_columns: dict[str, set[str]]) -> list[str]:
        """The names of the `not_null` tests that the seed check has already proved.

        A staging model keeps its seed's column names, and the seed check refuses an empty cell
        in a column whose meta says `required: true` (cells are stripped, as staging trims them).
        So a `not_null` test on such a column of a model that reads the seed directly cannot
        fail once the seed check has passed. `required_columns` maps a seed's name to those
        columns. Every other test, and every test of a run on input files, still runs in dbt.
        """
        seeds = {node.unique_id: node.name for node in self.manifest.nodes.values() if node.resource_type == "seed"}
        proved = []
        for node in self.manifest.nodes.values():
            metadata = getattr(node, "test_metadata", None)
            if node.resource_type != "test" or metadata is None or metadata.name != "not_null":
                continue
            model = self.manifest.nodes.get(getattr(node, "attached_node", None) or "")
            if model is None or model.resource_type != "model":
                continue
            read_seeds = [seeds[parent] for parent in model.depends_on.nodes if parent in seeds]
            if len(read_seeds) == 1 and node.column_name in required_columns.get(read_seeds[0], set()):
                proved.append(node.name)
        return sorted(proved)

    def build_as_run(
        self, required_columns: dict[str, set[str]] | None, *args: str, on_event: Callable | None = None
    ) -> tuple[StageResult, list[str]]:
        """`dbt build` as `make run` does it; return its result and the names of the tests left out.

        Unit tests check the models' logic on fixed rows, not the data, so they run where the
        code changes (`dbt build` in CI, `make test`), as dbt advises, not in every publish. The
        not_null tests that the seed check has proved (`required_columns`, the seeds' required
        columns; None where no seed check ran, as on input files) are not run again.
        `args` are passed on to dbt.
        """
        proved = self.tests_proved_by_seed_check(required_columns) if required_columns is not None else []
        excluded = ["--exclude", *proved] if proved else []
        result = self.invoke("build", "--exclude-resource-type", "unit_test", *excluded, *args, on_event=on_event)
        return result, proved

    def invoke(self, command: str, *args: str, on_event: Callable | None = None) -> StageResult:
        # dbt_common adds a console logger when it is imported, and dbt replaces it only once an
        # invocation has read its flags: an error or a Ctrl-C before that would print dbt's own
        # traceback on the pipeline's console. Until then, dbt logs nowhere; the pipeline reports.
        cleanup_event_logger()
        runner = dbtRunner(manifest=self.manifest, callbacks=[on_event] if on_event else [])
        with environment(self.environment):
            outcome = runner.invoke([command, *args, *self.common_args])
        if not self.postgres_build:
            release_duckdb_file()
        if isinstance(outcome.exception, KeyboardInterrupt):
            raise KeyboardInterrupt  # dbt caught Ctrl-C; the run stops as interrupted, not as failed

        if command == "parse":
            self.manifest = outcome.result if outcome.success else None
        if not hasattr(outcome.result, "results"):
            error = None if outcome.success else str(outcome.exception or f"dbt {command} failed")
            return StageResult(outcome.success, error=error)

        result = StageResult(outcome.success)
        for node_result in outcome.result.results:
            status = str(node_result.status).lower()
            result.counts[(node_result.node.resource_type, status)] += 1
            if status in FAILED_STATUSES:
                result.failures.append(
                    NodeFailure(
                        node_result.node.name, node_result.message or status, self.failing_rows(node_result.node)
                    )
                )
        result.success = outcome.success and not result.failures
        return result

    def failing_rows(self, node) -> list[str]:
        """Keep a failed test's rows in schema audit of the build database; return them as text.

        dbt's own `store_failures` writes a table for every test, passing or not; here only a
        failing test's rows are written, by running its compiled query once more. A row is
        shown by its `failure_message` column where the test has one.
        """
        if node.resource_type != "test" or not getattr(node, "compiled_code", None):
            return []
        if self.postgres_build:
            return self.failing_rows_on_postgres(node)
        marts = str(self.marts_database).replace("'", "''")
        try:
            with duckdb.connect(str(self.database), config=duckdb_limits()) as connection:
                connection.execute(f"attach if not exists '{marts}' as {MARTS_ALIAS}")
                connection.execute(f"create schema if not exists {AUDIT_SCHEMA}")
                table = f'{AUDIT_SCHEMA}."{node.alias}"'
                connection.execute(f"create or replace table {table} as {node.compiled_code}")
                cursor = connection.execute(f"select * from {table} limit {FAILURE_ROWS_SHOWN}")
                columns = [description[0] for description in cursor.description]
                rows = cursor.fetchall()
        except duckdb.Error as error:
            return [f"(its failing rows could not be kept: {error})"]
        return shown_rows(columns, rows)

    def failing_rows_on_postgres(self, node) -> list[str]:
        import psycopg2

        from scripts.postgres import keep_failing_rows

        try:
            columns, rows = keep_failing_rows(
                node.compiled_code, f"{self.postgres_build}_{AUDIT_SCHEMA}", node.alias, FAILURE_ROWS_SHOWN
            )
        except psycopg2.Error as error:
            return [f"(its failing rows could not be kept: {str(error).strip()})"]
        return shown_rows(columns, rows)


def shown_rows(columns: list[str], rows: list[tuple]) -> list[str]:
    """A failed test's rows as text: its `failure_message` column where it has one."""
    if "failure_message" in columns:
        position = columns.index("failure_message")
        return [row[position] for row in rows]
    return [", ".join(f"{name}={value}" for name, value in zip(columns, row, strict=True)) for row in rows]


@contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """Set `variables` in this process's environment for the block, then restore what was there.

    dbt takes the values of the profile's and the sources' env_var() from os.environ, read when
    an invocation starts; dbtRunner has no other way to pass them. So they are set for the
    invocation alone, and restored after it, so that nothing else in the process (a later
    invocation for other files, DuckDB, a child process) sees one run's paths.
    """
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def release_duckdb_file() -> None:
    """Make dbt-duckdb close the DuckDB database that it keeps open after an invocation.

    Until it is closed, this process cannot open the file read-only (DuckDB refuses a second
    connection with another configuration), nor can another process open it at all. dbt closes
    its connections at the end of every invocation, but dbt-duckdb keeps the database itself
    open in an environment shared by the whole process, for the next invocation to reuse. The
    profile's `keep_open: false` would close it too, but also between any two nodes that do not
    overlap, reopening it for the next node all through the build.

    So the environment is closed here through the connection manager's public methods: `env()`,
    the adapter's own accessor, and `close_all_connections`, dbt-duckdb's clean-up at exit, which
    forgets the environment so that the next invocation opens a new one. Closing it first, rather
    than only forgetting it, does not depend on nothing else holding it (a traceback may).
    tests/test_dbt_build.py fails if a dbt-duckdb release keeps the file open after this.
    """
    from dbt.adapters.duckdb import DuckDBConnectionManager

    try:
        opened = DuckDBConnectionManager.env()
    except Exception:  # noqa: BLE001  env() raises a plain Exception when no database was opened
        return
    opened.close()
    DuckDBConnectionManager.close_all_connections()
