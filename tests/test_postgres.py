"""The warehouse on PostgreSQL: the same project built on a real server, equal to DuckDB's, and
published by write-audit-publish.

Every test here runs on the throwaway server of the `postgres_server` fixture (conftest.py) and
is marked `postgres`: `make test-postgres` runs them, `make test` does not. The mart checks of
test_marts.py run on this server too (their `postgres` cases), and the BI role's privileges are
tested in test_postgres_roles.py.
"""

from __future__ import annotations

import datetime

import duckdb
import pytest
from pipeline_runs import PipelineRun, run_pipeline, swallow_a_ctrl_c_after_the_build
from postgres_marts import columns_of, mart_rows, normalised, snapshot
from postgres_server import BI_ROLE
from seed_files import copy_project
from test_marts import BI_CONTRACT

from scripts import postgres
from scripts.validation.suite import validate_marts

pytestmark = pytest.mark.postgres

# release_info's columns that say which build and engine made a release, not what it holds
RELEASE_COLUMNS_OF_THE_BUILD = {"release_id", "built_at_utc", "published_at_utc", "git_commit", "engine_version"}


# --- the build --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_build(postgres_server, tmp_path_factory):
    """`dbt build` on PostgreSQL with everything: seeds, models, data tests and unit tests."""
    from scripts.dbt_build import DbtProject

    project = copy_project(tmp_path_factory.mktemp("pg-full-build"))
    dbt = DbtProject.for_postgres(project, "ci_full", project / "target")
    parsed = dbt.invoke("parse")
    assert parsed.success, parsed.error
    return dbt, dbt.invoke("build")


def test_dbt_build_runs_every_model_test_and_unit_test_on_postgres(full_build):
    dbt, result = full_build
    expected = dbt.node_counts()
    assert result.success, "\n".join(result.failure_lines())
    assert expected["model"] and expected["unit_test"] and expected["test"] and expected["seed"]
    assert result.count("model", "success") == expected["model"]
    assert result.count("seed", "success") == expected["seed"]
    # every data test, the reconciliation among them (but the tests of the input files' source,
    # which is disabled when the seeds are read)
    manifest = dbt.manifest
    runnable = [
        node
        for node in manifest.nodes.values()
        if node.resource_type == "test"
        and node.depends_on.nodes
        and all(parent in manifest.nodes or parent in manifest.sources for parent in node.depends_on.nodes)
    ]
    assert result.count("test") == result.count("test", "pass") == len(runnable) > 0
    assert result.count("unit_test", "pass") == expected["unit_test"]


def test_pipeline_publishes_the_bi_contract_in_schema_marts(pg_built: PipelineRun, postgres_server):
    assert "published totals reconciled: " in pg_built.output
    assert set(snapshot(postgres_server)) == BI_CONTRACT
    assert all(snapshot(postgres_server).values()), "a published mart is empty"


# --- equal to DuckDB ----------------------------------------------------------------------------


@pytest.mark.parametrize("mart", sorted(BI_CONTRACT))
def test_every_mart_equals_duckdbs_row_for_row(mart, pg_built, built, postgres_server):
    """Same columns in the same order, same rows, same values, on both engines. release_info
    differs only in what says which build and engine made it."""
    connection = postgres_server.connect(BI_ROLE)
    try:
        columns = columns_of(connection, "marts", mart)
        if mart == "release_info":
            columns_compared = [column for column in columns if column not in RELEASE_COLUMNS_OF_THE_BUILD]
        else:
            columns_compared = columns
        on_postgres = mart_rows(connection, "marts", mart, columns_compared)
    finally:
        connection.close()
    with duckdb.connect(str(built.paths.warehouse.published), read_only=True) as warehouse:
        duckdb_columns = [
            name
            for (name,) in warehouse.execute(
                "select column_name from information_schema.columns where table_schema = 'marts'"
                " and table_name = ? order by ordinal_position",
                [mart],
            ).fetchall()
        ]
        on_duckdb = [
            tuple(normalised(value) for value in row)
            for row in warehouse.execute(
                f"select {', '.join(columns_compared)} from marts.{mart}"
                f" order by {', '.join(str(position) for position in range(1, len(columns_compared) + 1))}"
            ).fetchall()
        ]
    assert columns == duckdb_columns
    assert on_postgres, f"{mart} is empty"
    assert on_postgres == on_duckdb


def test_the_row_comparison_sees_a_changed_amount(pg_built, built, postgres_server):
    """The comparison above can fail: one amount changed in a copy of the pool mart differs."""
    connection = postgres_server.connect()
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("create schema compare_fault")
            cursor.execute(
                "create table compare_fault.fct_pool_year_totals as select * from marts.fct_pool_year_totals"
            )
            cursor.execute(
                "update compare_fault.fct_pool_year_totals set amount_tdkk = amount_tdkk + 1"
                " where pool_year_id = (select min(pool_year_id) from compare_fault.fct_pool_year_totals)"
            )
        columns = columns_of(connection, "compare_fault", "fct_pool_year_totals")
        changed = mart_rows(connection, "compare_fault", "fct_pool_year_totals", columns)
        published = mart_rows(connection, "marts", "fct_pool_year_totals", columns)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("drop schema compare_fault cascade")
        connection.close()
    assert len(changed) == len(published)
    assert changed != published


def test_release_info_names_the_postgresql_server(pg_built, postgres_server):
    connection = postgres_server.connect(BI_ROLE)
    try:
        with connection.cursor() as cursor:
            cursor.execute("select release_id, engine_version, published_at_utc from marts.release_info")
            release_id, engine, published_at = cursor.fetchone()
    finally:
        connection.close()
    assert release_id in pg_built.output
    assert engine.startswith("PostgreSQL")
    assert isinstance(published_at, datetime.datetime)


# --- the GX suite on PostgreSQL -----------------------------------------------------------------

# A corruption of a copy of the published marts, and what the suite's failure must name.
CORRUPTIONS = {
    "an amount changed after the build": (
        "update {marts}.fct_allocations set amount_tdkk = amount_tdkk + 1"
        " where allocation_id = (select min(allocation_id) from {marts}.fct_allocations)",
        "line_totals_by_pool",
    ),
    "amounts no longer whole numbers": (
        "alter table {marts}.fct_allocations alter amount_tdkk type double precision",
        "amount_type",
    ),
    "a year total dropped": (
        "delete from {marts}.fct_year_totals where fiscal_year = (select min(fiscal_year) from {marts}.fct_year_totals)",
        "year_totals_against_published",
    ),
}


def test_the_gx_suite_passes_on_the_published_marts(pg_built, tmp_path):
    outcome = validate_marts(postgres.PostgresMarts("marts"), pg_built.paths.inputs, tmp_path / "gx.json")
    assert outcome.success, outcome.failures
    assert outcome.evaluated == outcome.successful > 0


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_the_gx_suite_fails_on_corrupted_marts(corruption, pg_built, postgres_server, tmp_path):
    statement, named = CORRUPTIONS[corruption]
    schema = "gx_fault"
    connection = postgres.connect()  # as the builder, whose schemas the validation reads
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"create schema {schema}")
            for mart in BI_CONTRACT:
                cursor.execute(f"create table {schema}.{mart} as select * from marts.{mart}")
            cursor.execute(statement.format(marts=schema))
        outcome = validate_marts(postgres.PostgresMarts(schema), pg_built.paths.inputs, tmp_path / "gx.json")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"drop schema if exists {schema} cascade")
        connection.close()
    assert not outcome.success
    assert any(named in failure for failure in outcome.failures), outcome.failures


# --- write, audit, publish ----------------------------------------------------------------------


def test_a_failed_build_leaves_the_published_marts_unchanged(rejected):
    before, after, result, _ = rejected
    assert result.exit_code == 1, result.output
    assert "Rejected: the dbt build failed" in result.output
    assert "The published schema marts" in result.output and "is unchanged" in result.output
    assert after == before


def test_a_failed_build_names_the_wrong_total_and_keeps_its_rows(rejected, postgres_server):
    _, _, result, line_code = rejected
    assert f"line_code={line_code}" in result.output
    connection = postgres_server.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select table_schema, table_name from information_schema.tables"
                " where table_schema like 'build\\_%\\_audit' and table_name = 'line_totals_match_published'"
            )
            kept = cursor.fetchall()
    finally:
        connection.close()
    assert kept, "the failing test's rows were not kept in the build's audit schema"


@pytest.fixture(scope="module")
def republished(rejected, postgres_server, tmp_path_factory):
    """A second good run after the rejected one: releases (current, previous) after it, and
    after a rollback, and after a second rollback."""
    result = run_pipeline(copy_project(tmp_path_factory.mktemp("pg-second")), engine="postgres")
    assert result.exit_code == 0, result.output
    published = postgres.current_releases()
    after_rollback = postgres.rollback()
    after_second_rollback = postgres.rollback()
    return published, after_rollback, after_second_rollback


def test_a_publish_keeps_the_release_before_and_rollback_swaps_them(pg_built, republished):
    (current, previous), after_rollback, after_second_rollback = republished
    first = snapshot_release(pg_built)
    assert previous == first
    assert current not in (None, first)
    assert after_rollback == (first, current)
    assert after_second_rollback == (current, first)


def snapshot_release(run: PipelineRun) -> str:
    """The release id the run printed as published."""
    (line,) = [line for line in run.lines if line.startswith("Published schema marts")]
    return line.rsplit("(release ", 1)[1].rstrip(")")


def test_the_bi_role_reads_the_marts_after_a_swap(republished, postgres_server):
    marts = snapshot(postgres_server)
    assert set(marts) == BI_CONTRACT and all(marts.values())


@pytest.fixture(scope="module")
def generated_runs(republished, postgres_server, tmp_path_factory):
    """Generated appendices read as Parquet files on PostgreSQL, after the publishes above: one
    with wrong totals (and the marts before and after it), then one that adds up."""
    from scripts.generate_appendices import Shape, generate

    folder = tmp_path_factory.mktemp("pg-generated")
    errors = generate(folder / "wrong", Shape(lines=LINES, seed=11, lines_per_document=1_000, wrong_totals=3))
    before = snapshot(postgres_server)
    wrong = run_pipeline(copy_project(folder / "project-wrong"), input_dir=folder / "wrong", engine="postgres")
    after = snapshot(postgres_server)
    generate(folder / "clean", Shape(lines=LINES, seed=12, lines_per_document=1_000))
    clean = run_pipeline(copy_project(folder / "project-clean"), input_dir=folder / "clean", engine="postgres")
    return errors, wrong, before == after, clean, folder / "clean"


LINES = 3_000  # as tests/test_scale.py: a few documents of generated lines


def test_input_files_with_wrong_totals_are_rejected_by_name(generated_runs):
    errors, wrong, unchanged, _, _ = generated_runs
    assert wrong.exit_code == 1, wrong.output
    assert "_raw" in wrong.output  # the files were copied into the build's raw schema
    for error in errors:
        assert f"computed {error['correct_tdkk']}, published {error['published_tdkk']}" in wrong.output
    assert unchanged


def test_input_files_that_add_up_are_published(generated_runs, postgres_server):
    *_, clean, folder = generated_runs
    assert clean.exit_code == 0, clean.output
    with duckdb.connect() as scratch:
        (published,) = scratch.execute(
            f"select count(*) from read_parquet('{folder / 'published_totals.parquet'}')"
        ).fetchone()
    assert f"published totals reconciled: {published}/{published}" in clean.output
    connection = postgres_server.connect(BI_ROLE)
    try:
        with connection.cursor() as cursor:
            cursor.execute("select count(distinct document_id) from marts.fct_allocations")
            assert cursor.fetchone()[0] == 3
    finally:
        connection.close()


# --- Ctrl-C (the stages every engine shares: scripts/pipeline.py) --------------------------------


@pytest.mark.usefixtures("interruptible")
def test_a_ctrl_c_that_a_library_swallows_publishes_nothing_on_postgres(
    pg_built, postgres_server, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    before = postgres.current_releases()
    swallow_a_ctrl_c_after_the_build(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(copy_project(tmp_path / "project"), engine="postgres")
    assert postgres.current_releases() == before


@pytest.mark.usefixtures("interruptible")
def test_without_remembering_a_ctrl_c_a_swallowed_one_would_publish_on_postgres(
    pg_built, postgres_server, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    """The check above can fail: with Ctrl-C not remembered, the same run publishes."""
    from contextlib import nullcontext

    from scripts import pipeline

    before = postgres.current_releases()
    swallow_a_ctrl_c_after_the_build(monkeypatch)
    monkeypatch.setattr(pipeline, "remembered_interrupts", lambda: nullcontext(lambda: None))
    result = run_pipeline(copy_project(tmp_path / "project"), engine="postgres")
    assert result.exit_code == 0, result.output
    assert postgres.current_releases() == (snapshot_release(result), before[0])
