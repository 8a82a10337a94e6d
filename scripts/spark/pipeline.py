"""Write, audit, publish on Spark: `python -m scripts.spark run` (make run-spark).

Spark has no atomic rename of a database, nor a transaction across statements. The closest
guarantee is a view per mart, switched to a tested build:

1. **Write.** dbt builds every model into databases of the run's own, `build_<release id>_raw`,
   `_staging`, `_intermediate`, `_marts` (`_audit` for a failing test's rows). Readers never read
   them through `marts`, which this step does not touch.
2. **Audit.** The same `dbt build` runs every data test (the reconciliation of every published
   total among them); then the Great Expectations suite checks the build's marts through Spark's
   session. A failure stops the run here: `marts` is unchanged, and the rejected build is kept
   for inspection until the next run.
3. **Publish.** `release_info` is stamped; then, for each mart, one `create or replace view
   marts.<mart> as select * from build_<id>_marts.<mart>`, `release_info` last; then the release
   is logged in `funding_releases.releases`. The previous release's build stays, so that
   `rollback` can switch the views back; older builds are dropped.

The stages and their messages are those of every engine (scripts/pipeline.py's `run_stages`):
this module holds only how Spark keeps a build apart, validates it and publishes it.

What a reader sees during a publish: each view switches in one metastore update, so a query of
one mart reads either the old build's table or the new one's, whole. Across marts there is a
window of a few hundred milliseconds in which some views show the new release and others the
old; `release_info` switches last, so a reader that sees the new release id there sees every
mart of it. A reader that needs several marts of one release without any window reads the build
database `release_info` names (`build_<release id>_marts`), which never changes once built.
"""

from __future__ import annotations

import json
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from scripts.pipeline import STAGES, Publishing, Reporter, StartedBuild, run_engine, shown
from scripts.publish import new_release_id
from scripts.settings import Inputs, RunPaths
from scripts.spark.session import (
    LAYERS,
    READER_DATABASE,
    RELEASES_DATABASE,
    SparkDbtProject,
    build_schema,
    quoted,
    spark_session,
)
from scripts.validation import ValidationOutcome

RELEASES = f"{RELEASES_DATABASE}.releases"


@dataclass
class SparkRun:
    """One run's outcome: its exit code, what it printed, and the build it made."""

    exit_code: int
    lines: list[str]
    release_id: str
    schema: str

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def marts_of(schema: str) -> list[str]:
    """The tables of a build's marts database, release_info last (it is switched last)."""
    tables = spark_session().sql(f"show tables in {schema}_marts").collect()
    names = sorted(row.tableName for row in tables if not row.isTemporary)
    return sorted(names, key=lambda name: name == "release_info")


def releases() -> list[tuple[str, str]]:
    """(release id, build schema) of every publish, oldest first."""
    session = spark_session()
    if not session.catalog.tableExists(RELEASES):
        return []
    rows = session.sql(f"select release_id, build_schema from {RELEASES} order by published_at_utc, release_id")
    return [(row.release_id, row.build_schema) for row in rows.collect()]


def current_release() -> tuple[str, str] | None:
    """(release id, build schema) that the reader views point at, read from marts.release_info."""
    session = spark_session()
    if not session.catalog.tableExists(f"{READER_DATABASE}.release_info"):
        return None
    (row,) = session.sql(f"select release_id from {READER_DATABASE}.release_info").collect()
    known = dict(releases())
    return row.release_id, known.get(row.release_id, build_schema(row.release_id))


def stamp_release(schema: str, release_id: str, commit: str, checksums: dict[str, str]) -> None:
    """Write the release's id, commit, checksums and publish time into the build's release_info.

    A Parquet table takes no UPDATE: the stamped row is written as a new table, which then takes
    the built one's place (a rename, in the build's own database, which no reader reads).
    """
    session = spark_session()
    table, built = f"{schema}_marts.release_info", f"{schema}_marts.release_info_built"
    published_at = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    columns = session.table(table).columns
    stamped = {
        "release_id": quoted(release_id),
        "git_commit": quoted(commit),
        "input_checksums": quoted(json.dumps(checksums, sort_keys=True)),
        "published_at_utc": f"cast({quoted(published_at)} as timestamp)",
    }
    select = ", ".join(f"{stamped[column]} as {column}" if column in stamped else column for column in columns)
    session.sql(f"alter table {table} rename to {built}")
    session.sql(f"create table {table} using parquet as select {select} from {built}")
    session.sql(f"drop table {built}")


def point_views_at(schema: str) -> list[str]:
    """Switch every reader view to the marts of `schema`, release_info last; return the marts."""
    session = spark_session()
    session.sql(f"create database if not exists {READER_DATABASE}")
    marts = marts_of(schema)
    for mart in marts:
        session.sql(f"create or replace view {READER_DATABASE}.{mart} as select * from {schema}_marts.{mart}")
    # a mart that the new build no longer has must not stay readable from an old one
    for row in session.sql(f"show views in {READER_DATABASE}").collect():
        if not row.isTemporary and row.viewName not in marts:
            session.sql(f"drop view {READER_DATABASE}.{row.viewName}")
    return marts


def drop_build(schema: str) -> None:
    session = spark_session()
    for layer in LAYERS:
        session.sql(f"drop database if exists {schema}_{layer} cascade")


def build_schemas() -> set[str]:
    """Every build's prefix found in the metastore."""
    names = {row[0] for row in spark_session().sql("show databases").collect()}
    return {name.removesuffix(f"_{layer}") for name in names for layer in LAYERS if name.endswith(f"_{layer}")} - {
        READER_DATABASE
    }


def drop_builds_except(keep: set[str]) -> None:
    for schema in build_schemas() - keep:
        if schema.startswith("build_"):
            drop_build(schema)


def publish(schema: str, release_id: str) -> list[str]:
    """Make the tested build `schema` what readers read; keep the previous one for rollback."""
    session = spark_session()
    previous = current_release()
    marts = point_views_at(schema)
    session.sql(f"create database if not exists {RELEASES_DATABASE}")
    session.sql(
        f"create table if not exists {RELEASES} (release_id string, build_schema string, published_at_utc timestamp)"
        " using parquet"
    )
    session.sql(f"insert into {RELEASES} values ({quoted(release_id)}, {quoted(schema)}, current_timestamp())")
    drop_builds_except({schema} | ({previous[1]} if previous else set()))
    return marts


def rollback() -> str:
    """Point the views at the release published before the current one; return its id."""
    current = current_release()
    if current is None:
        raise RuntimeError("nothing is published on this Spark warehouse")
    known = releases()
    ids = [release_id for release_id, _ in known]
    position = ids.index(current[0]) if current[0] in ids else len(ids)
    earlier = [(rid, schema) for rid, schema in known[:position] if schema in build_schemas()]
    if not earlier:
        raise RuntimeError(f"release {current[0]} has no earlier release kept to roll back to")
    release_id, schema = earlier[-1]
    point_views_at(schema)
    return release_id


def reconciled_totals(schema: str) -> tuple[int, int]:
    """(reconciled, published) over the build's rpt_reconciliation: the figure the summary quotes."""
    (row,) = (
        spark_session()
        .sql(
            "select count(*) filter (where reconciliation_status = 'reconciled'), count(published_amount_tdkk)"
            f" from {schema}_marts.rpt_reconciliation"
        )
        .collect()
    )
    return row[0], row[1]


class SuiteInSparkSession:
    """Runs the GX suite in this process, through Spark's session (the marts are read there)."""

    def start(self) -> None:
        """Nothing to start: the suite is imported on first use."""

    def validate(self, target: str, inputs: Inputs, result_path: Path) -> ValidationOutcome:
        from scripts.spark.validation import validate_marts

        return validate_marts(target, inputs, result_path)

    def __enter__(self) -> SuiteInSparkSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass


class SparkEngineRun:
    """A run on Spark: the build's own databases `build_<id>_*`; published by switching the views
    of `marts` to its marts, the previous build kept for rollback."""

    stages = tuple(stage for stage in STAGES if stage != "export")  # the file exports are DuckDB's
    published = f"the views in `{READER_DATABASE}` on Spark"
    unchanged = f"the views in `{READER_DATABASE}` are unchanged"

    def __init__(self, root: Path, threads: int | None = None):
        self.root, self.threads = root, threads
        self.release_id = new_release_id()
        self.schema = build_schema(self.release_id)

    def lock(self, say: Reporter) -> AbstractContextManager[object]:
        return nullcontext()  # one process: the embedded metastore admits no other

    def start_build(self, paths: RunPaths, say: Reporter) -> StartedBuild:
        schema = self.schema
        say(f"      building into {schema}_* (Spark warehouse {shown(self.root)})")
        dbt = SparkDbtProject(paths.project_dir, self.root, schema, paths.target_dir, paths.inputs, self.threads)
        # a rejected build of an earlier run was kept until this one; the published one and the
        # one before it stay
        current = current_release()
        drop_builds_except(({current[1]} if current else set()) | set(known_previous()))
        dbt.register_input_files()
        kept = f"The rejected build is kept for inspection in the databases {schema}_* until the next run."
        return StartedBuild(self.release_id, dbt, kept)

    def validation_target(self) -> str:
        return f"{self.schema}_marts"

    def reconciled_totals(self) -> tuple[int, int]:
        return reconciled_totals(self.schema)

    def release(self, publishing: Publishing) -> list[str]:
        publishing.progress.start("publish")
        previous = current_release()
        stamp_release(self.schema, self.release_id, publishing.commit, publishing.checksums)
        marts = publish(self.schema, self.release_id)
        publishing.progress.finish(f"{len(marts)} views in `{READER_DATABASE}` read {self.schema}_marts")
        lines = []
        if previous:
            lines.append(f"  previous release:            {previous[0]} in {previous[1]}_marts (rollback restores it)")
        return [*lines, f"  build databases (audit):     {self.schema}_raw, _staging, _intermediate, _audit"]


def run(
    project_dir: Path,
    root: Path,
    target_dir: Path,
    inputs: Inputs | None = None,
    say: Reporter = print,
    threads: int | None = None,
) -> SparkRun:
    """Check, build, test, validate and publish on the Spark warehouse in `root`."""
    paths = RunPaths(project_dir, None, target_dir, inputs or Inputs.seeds_of(project_dir))  # type: ignore[arg-type]
    engine = SparkEngineRun(root, threads)
    lines: list[str] = []

    def tell(line: str) -> None:
        lines.append(line)
        say(line)

    exit_code = run_engine(engine, paths, tell, validator=SuiteInSparkSession)
    return SparkRun(exit_code, lines, engine.release_id, engine.schema)


def known_previous() -> list[str]:
    """The build published before the current one, kept for rollback."""
    known = releases()
    current = current_release()
    if not current:
        return []
    ids = [release_id for release_id, _ in known]
    if current[0] not in ids:
        return []
    position = ids.index(current[0])
    return [known[position - 1][1]] if position > 0 else []
