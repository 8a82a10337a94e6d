"""`make run ENGINE=postgres`: check the inputs, build and test aside, validate, publish by a schema swap.

The same stages as on DuckDB (scripts/pipeline.py's `run_stages`; this module holds only what
differs), on the PostgreSQL server of the environment
(PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE; see profiles.yml):

1. check inputs: the seed CSVs against seeds/_seeds.yml, or that every input file is there;
2. seed: dbt loads the seeds into `build_<id>_raw` (input files are copied there instead);
3. build and test: one `dbt build` into the build's own schemas; readers' `marts` is untouched;
4. validate: the Great Expectations suite on `build_<id>_marts`, through psycopg2;
5. publish: release_info is stamped, and one transaction renames `marts` to `marts_previous` and
   `build_<id>_marts` to `marts` (scripts/postgres.py).

A failed check leaves `marts` as it was and keeps the build's schemas, with the failing rows in
`build_<id>_audit`, until the next run. There are no file exports: those are the DuckDB
release's. Exit codes as on DuckDB: 0 published, 1 a check failed, 2 malformed input files,
3 an unexpected error, 130 interrupted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from psycopg2 import sql

from scripts import postgres
from scripts.pipeline import (
    STAGES,
    Publishing,
    Reporter,
    StartedBuild,
    Validator,
    print_line,
    report_errors,
    run_engine,
)
from scripts.publish import new_release_id
from scripts.settings import RunPaths
from scripts.validation.process import ValidatorProcess

RUN_LOCK = 7_423_002  # the advisory lock a run holds from start to end: one run at a time per database


@contextmanager
def run_lock(say: Reporter) -> Iterator[None]:
    """Hold the server's run lock for the block; say whom we wait for when another run holds it."""
    connection = postgres.connect(application_name="funding-warehouse run")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("select pg_try_advisory_lock(%s)", [RUN_LOCK])
            if not cursor.fetchone()[0]:
                cursor.execute(
                    "select coalesce(string_agg(distinct format('pid %s (%s)', activity.pid,"
                    " activity.application_name), ', '), 'another session')"
                    " from pg_locks as locks join pg_stat_activity as activity on activity.pid = locks.pid"
                    " where locks.locktype = 'advisory' and locks.objid = %s and locks.granted",
                    [RUN_LOCK],
                )
                say(f"Waiting for the run that holds the warehouse's lock on the server: {cursor.fetchone()[0]}")
                cursor.execute("select pg_advisory_lock(%s)", [RUN_LOCK])
        yield
    finally:
        connection.close()  # the lock goes with the session


def stamp_release(marts: str, release_id: str, commit: str, checksums: dict[str, str]) -> dict:
    """Record the release in `marts`.release_info, once every check has passed; return its row."""
    published_at = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    with postgres.connect() as connection, connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "update {}.release_info set release_id = %s, git_commit = %s, input_checksums = %s,"
                " published_at_utc = cast(%s as timestamp)"
            ).format(sql.Identifier(marts)),
            [release_id, commit, json.dumps(checksums, sort_keys=True), published_at],
        )
        cursor.execute(
            sql.SQL("select document_ids, engine_version from {}.release_info").format(sql.Identifier(marts))
        )
        documents, engine = cursor.fetchone()
    return {"published_at_utc": published_at, "documents": documents, "engine_version": engine}


def reconciled_totals(marts: str) -> tuple[int, int]:
    with postgres.connect() as connection, connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "select count(*) filter (where reconciliation_status = 'reconciled'), count(published_amount_tdkk)"
                " from {}.rpt_reconciliation"
            ).format(sql.Identifier(marts))
        )
        return cursor.fetchone()


class PostgresRun:
    """A run on PostgreSQL: the build's own schemas `build_<id>_*`; published by renaming its
    marts schema to `marts` in one transaction."""

    stages = tuple(stage for stage in STAGES if stage != "export")  # the file exports are DuckDB's

    def __init__(self) -> None:
        server = postgres.describe_server()
        self.published = f"schema {postgres.PUBLISHED_SCHEMA} on {server}"
        self.unchanged = f"the published schema {postgres.PUBLISHED_SCHEMA} on {server} is unchanged"
        self.release_id = self.build = self.marts = ""

    def lock(self, say: Reporter) -> AbstractContextManager[object]:
        return run_lock(say)

    def start_build(self, paths: RunPaths, say: Reporter) -> StartedBuild:
        from scripts.dbt_build import DbtProject  # imported here: dbt takes seconds to import

        self.release_id = new_release_id()
        build = self.build = postgres.build_name(self.release_id)
        self.marts = postgres.marts_schema(build)
        # a build left by an earlier run (rejected, or crashed) is no one's now: this run holds the lock
        current = postgres.current_releases()
        postgres.drop_old_builds(keep={postgres.build_name(release) for release in current if release})
        if not paths.inputs.are_seeds:
            postgres.load_input_files(paths.inputs, f"{build}_raw")
            say(f"      input files copied into schema {build}_raw")
        dbt = DbtProject.for_postgres(paths.project_dir, build, paths.target_dir, paths.inputs)
        kept = f"The rejected build is kept for inspection until the next run: schemas {build}_*, failing rows in {build}_audit."
        return StartedBuild(self.release_id, dbt, kept)

    def validation_target(self) -> postgres.PostgresMarts:
        return postgres.PostgresMarts(self.marts)

    def reconciled_totals(self) -> tuple[int, int]:
        return reconciled_totals(self.marts)

    def release(self, publishing: Publishing) -> list[str]:
        publishing.progress.start("publish")
        stamp_release(self.marts, self.release_id, publishing.commit, publishing.checksums)
        previous = postgres.publish(self.build)
        publishing.progress.finish(f"release {self.release_id} is current in schema {postgres.PUBLISHED_SCHEMA}")
        lines = []
        if previous:
            lines.append(
                f"  previous release:            {previous} in schema {postgres.PREVIOUS_SCHEMA} (rollback restores it)"
            )
        return [
            *lines,
            f"  build schemas (audit):       {self.build}_raw, {self.build}_staging, {self.build}_intermediate",
            f"  read-only BI role:           {postgres.bi_role()} (usage on {postgres.PUBLISHED_SCHEMA}, select on its tables)",
        ]


def run(paths: RunPaths, say: Reporter = print_line, validator: Callable[[], Validator] = ValidatorProcess) -> int:
    """Every stage on PostgreSQL, reporting through `say`; return the exit code. `validator` as
    for DuckDB's run (scripts/pipeline.py)."""
    return run_engine(PostgresRun(), paths, say, validator=validator)


def main(paths: RunPaths) -> int:
    """`python -m scripts run --engine postgres`: the run, an unexpected error told in one sentence."""
    return report_errors(lambda: run(paths), f"schema {postgres.PUBLISHED_SCHEMA} is unchanged", paths.error_log)
