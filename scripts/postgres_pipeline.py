"""`make run ENGINE=postgres`: check the inputs, build and test aside, validate, publish by a schema swap.

The same stages as on DuckDB (scripts/pipeline.py), on the PostgreSQL server of the environment
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
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from psycopg2 import sql

from scripts import postgres
from scripts.pipeline import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    DbtStages,
    Progress,
    Reporter,
    check_inputs,
    git_commit,
    input_checksums,
    print_line,
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


def run(
    paths: RunPaths,
    say: Reporter = print_line,
    timings: dict[str, float] | None = None,
    validator: Callable[[], ValidatorProcess] = ValidatorProcess,
) -> int:
    """Every stage on PostgreSQL, reporting through `say`; return the exit code."""
    with (
        run_lock(say),
        validator() as validator_process,
        ThreadPoolExecutor(max_workers=2) as background,
    ):
        return run_stages(paths, validator_process, background, say, timings)


def run_stages(paths, validator, background, say: Reporter, timings: dict[str, float] | None) -> int:
    started = time.monotonic()
    progress = Progress(say, seconds=timings if timings is not None else {})
    server = postgres.describe_server()

    def reject(reason: str, details: list[str], kept: str) -> int:
        progress.finish()
        say(f"Rejected: {reason}. The published schema {postgres.PUBLISHED_SCHEMA} on {server} is unchanged.")
        for detail in details:
            say(f"  {detail}")
        say(f"  {kept}")
        return EXIT_CHECK_FAILED

    progress.start("check inputs")
    problems = check_inputs(paths)
    if problems:
        progress.finish()
        say(f"Rejected: {len(problems)} problem(s) in the input files; nothing was built or published.")
        for problem in problems:
            say(f"  {problem}")
        return EXIT_BAD_INPUT
    progress.finish(
        "every seed file is of its declared form" if paths.inputs.are_seeds else "every input file is there"
    )

    progress.start("seed")
    validator.start()
    checksums = background.submit(input_checksums, paths)
    commit = background.submit(git_commit, paths.project_dir)
    from scripts.dbt_build import DbtProject  # imported here: dbt takes seconds to import

    release_id = new_release_id()
    build = postgres.build_name(release_id)
    marts = postgres.marts_schema(build)
    # a build left by an earlier run (rejected, or crashed) is no one's now: this run holds the lock
    current = postgres.current_releases()
    postgres.drop_old_builds(keep={postgres.build_name(release) for release in current if release})
    kept = f"The rejected build is kept for inspection until the next run: schemas {build}_*, failing rows in {build}_audit."
    if not paths.inputs.are_seeds:
        postgres.load_input_files(paths.inputs, f"{build}_raw")
        say(f"      input files copied into schema {build}_raw")
    dbt = DbtProject.for_postgres(paths.project_dir, build, paths.target_dir, paths.inputs)
    startup_began = time.monotonic()
    parsed = dbt.invoke("parse")
    progress.seconds["dbt start-up"] = time.monotonic() - startup_began
    if not parsed.success:
        return reject("dbt could not parse the project", [parsed.error or ""], kept)
    stages = DbtStages(progress, dbt.node_counts())
    built = dbt.invoke("build", "--exclude-resource-type", "unit_test", on_event=stages.on_event)
    if not built.success:
        return reject("the dbt build failed", built.failure_lines(), kept)
    progress.finish(f"{built.count('test', 'pass')}/{built.count('test')} data tests passed")

    progress.start("validate")
    validation = validator.validate(postgres.PostgresMarts(marts), paths.inputs, paths.validation_result)
    if not validation.success:
        return reject(
            "Great Expectations found problems", [*validation.failures, f"Full result: {validation.result_path}"], kept
        )
    progress.finish(f"{validation.successful}/{validation.evaluated} expectations met")

    progress.start("publish")
    reconciled, published = reconciled_totals(marts)
    stamp_release(marts, release_id, commit.result(), checksums.result())
    previous = postgres.publish(build)
    progress.finish(f"release {release_id} is current in schema {postgres.PUBLISHED_SCHEMA}")

    say("")
    say(
        f"Published schema {postgres.PUBLISHED_SCHEMA} on {server} in {time.monotonic() - started:.1f} s (release {release_id})"
    )
    if previous:
        say(f"  previous release:            {previous} in schema {postgres.PREVIOUS_SCHEMA} (rollback restores it)")
    say(f"  build schemas (audit):       {build}_raw, {build}_staging, {build}_intermediate")
    say(
        f"  read-only BI role:           {postgres.bi_role()} (usage on {postgres.PUBLISHED_SCHEMA}, select on its tables)"
    )
    say(
        f"  models built:                {built.count('model', 'success')} (seeds loaded: {built.count('seed', 'success')})"
    )
    say(f"  dbt data tests passed:       {built.count('test', 'pass')}/{built.count('test')}")
    say(f"  GX expectations met:         {validation.successful}/{validation.evaluated}")
    say(f"  published totals reconciled: {reconciled}/{published}")
    say(f"  time per stage:              {progress.split()}")
    return EXIT_OK


def main(paths: RunPaths) -> int:
    """`python -m scripts run --engine postgres`: the run, an unexpected error told in one sentence."""
    try:
        return run(paths)
    except KeyboardInterrupt:
        print_line(f"Interrupted: nothing was published; schema {postgres.PUBLISHED_SCHEMA} is unchanged.")
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001  the one place that turns any error into a message
        log = paths.error_log
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(traceback.format_exc(), encoding="utf-8")
        print_line(f"The run stopped on an unexpected error: {type(error).__name__}: {str(error).strip()}")
        print_line(f"  Nothing was published; schema {postgres.PUBLISHED_SCHEMA} is unchanged.")
        print_line(f"  The full traceback is in {log}.")
        return EXIT_ERROR
