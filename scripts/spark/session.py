"""The local Spark warehouse: where it lives, the dbt runner on it, and Spark's own session.

dbt-spark's `session` method starts Spark inside this process, with the `server_side_parameters`
of profiles.yml (output `spark`), and the pipeline, the validation and the tests then read the
marts through that same session (`spark_session()`): one JVM, one Derby metastore, which an
embedded Derby lets only one process open at a time.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from scripts.dbt_build import AUDIT_SCHEMA, FAILURE_ROWS_SHOWN, DbtProject
from scripts.settings import Inputs

ROOT_VARIABLE = "SPARK_WAREHOUSE_ROOT"  # profiles.yml reads it too
DEFAULT_ROOT = Path("warehouse/spark")  # make run-spark's warehouse, relative to where it runs
READER_DATABASE = "marts"  # what BI tools read: one view per mart, switched by a publish
RELEASES_DATABASE = "funding_releases"  # the publish log: which build each release is
LAYERS = ("raw", "staging", "intermediate", "marts", "audit")  # a build's databases, `<build>_<layer>`


def default_root() -> Path:
    return Path(os.environ.get(ROOT_VARIABLE, DEFAULT_ROOT))


def build_schema(release_id: str) -> str:
    """The prefix of a build's databases: Spark's names take letters, digits and underscores."""
    return "build_" + re.sub(r"[^a-z0-9]+", "_", release_id.lower()).strip("_")


def profile_parameters(project_dir: Path, environment: dict[str, str]) -> dict[str, str]:
    """The `server_side_parameters` of profiles.yml's spark output, rendered for `environment`.

    Read from the profile, so that the session this process starts is the one dbt would start:
    profiles.yml is the one place they are written.
    """
    import jinja2
    import yaml

    profile = yaml.safe_load((project_dir / "profiles.yml").read_text(encoding="utf-8"))
    parameters = profile["funding_warehouse"]["outputs"]["spark"]["server_side_parameters"]
    variables = {**os.environ, **environment}

    def env_var(name: str, default: str | None = None) -> str:
        if name in variables:
            return variables[name]
        if default is None:
            raise KeyError(f"profiles.yml reads the environment variable {name}, which is not set")
        return default

    return {str(key): jinja2.Template(str(value)).render(env_var=env_var) for key, value in parameters.items()}


def start_session(project_dir: Path, environment: dict[str, str]):
    """Spark's session for this process, as profiles.yml configures it for `environment`.

    A process has one session, and its warehouse and metastore are fixed when it starts: asking
    for another warehouse later is an error, not a silent write to the first one.
    """
    from pyspark.sql import SparkSession

    parameters = profile_parameters(project_dir, environment)
    running = SparkSession.getActiveSession()
    if running is not None:
        wanted = str(Path(parameters["spark.sql.warehouse.dir"]).absolute())
        actual = running.conf.get("spark.sql.warehouse.dir").removeprefix("file:")
        if Path(actual) != Path(wanted):
            raise RuntimeError(f"this process's Spark session has its warehouse in {actual}, not {wanted}")
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in parameters.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_session():
    """The session of this process, which dbt-spark builds with (start_session starts it)."""
    from pyspark.sql import SparkSession

    # the active session is a thread's; dbt's worker threads leave it unset in others
    session = SparkSession.getActiveSession() or SparkSession._instantiatedSession
    if session is None:
        raise RuntimeError("no Spark session: start one with scripts.spark.session.start_session")
    return session


def quoted(text: str) -> str:
    """A Spark SQL string literal (Spark reads a backslash as an escape)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class SparkDbtProject(DbtProject):
    """dbt on the local Spark warehouse in `root`, building into the databases `<schema>_<layer>`."""

    def __init__(
        self,
        project_dir: Path,
        root: Path,
        schema: str,
        target_dir: Path,
        inputs: Inputs | None = None,
        threads: int | None = None,
    ):
        from scripts.spark.ansi import keep_profile_ansi_mode

        keep_profile_ansi_mode()
        root = root.absolute()
        super().__init__(project_dir, root / "unused.duckdb", root / "unused.duckdb", target_dir, inputs)
        self.root, self.schema = root, schema
        self.environment = {
            "DBT_TARGET": "spark",
            ROOT_VARIABLE: str(root),
            "SPARK_BUILD_SCHEMA": schema,
            **(inputs.dbt_environment if inputs else {}),
        }
        if threads:
            self.environment["DBT_THREADS"] = str(threads)
        self.inputs = inputs
        self.session = start_session(project_dir, self.environment)

    def layer_database(self, layer: str) -> str:
        return f"{self.schema}_{layer}"

    def register_input_files(self) -> None:
        """With --input-dir: each input file as a table of the build's raw database, where the
        source appendix_files reads on engines other than DuckDB (its schema, in
        models/staging/_appendix__sources.yml). An external table: Spark reads the file in place
        (Parquet typed, CSV as text, as DuckDB does), and dropping the build leaves it alone."""
        if not self.inputs or self.inputs.are_seeds:
            return
        session = spark_session()
        raw = self.layer_database("raw")
        session.sql(f"create database if not exists {raw}")
        options = "options (header 'true')" if self.inputs.file_format == "csv" else ""
        for path in self.inputs.files:
            table = f"{raw}.{path.stem}"
            session.sql(f"drop table if exists {table}")
            session.sql(
                f"create table {table} using {self.inputs.file_format} {options} location {quoted(str(path.absolute()))}"
            )

    def failing_rows(self, node) -> list[str]:
        """A failed test's rows, kept in the build's audit database and returned as text."""
        if node.resource_type != "test" or not getattr(node, "compiled_code", None):
            return []
        session = spark_session()
        audit = self.layer_database(AUDIT_SCHEMA)
        table = f"{audit}.`{node.alias}`"
        try:
            session.sql(f"create database if not exists {audit}")
            session.sql(f"drop table if exists {table}")
            session.sql(f"create table {table} using parquet as {node.compiled_code}")
            frame = session.sql(f"select * from {table} limit {FAILURE_ROWS_SHOWN}")
            columns, rows = frame.columns, frame.collect()
        except Exception as error:  # noqa: BLE001  any Spark error: the failure is reported without its rows
            return [f"(its failing rows could not be kept: {str(error).splitlines()[0]})"]
        if "failure_message" in columns:
            return [row["failure_message"] for row in rows]
        return [", ".join(f"{name}={row[name]}" for name in columns) for row in rows]
