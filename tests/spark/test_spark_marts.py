"""Spark's published marts, read through Spark's own session: the document's figures, the
Great Expectations suite, and row for row the same marts as DuckDB's.

Every expected figure comes from the seeds of the project that was built, or from the DuckDB
build of the same seeds (the `built` fixture of tests/conftest.py).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import duckdb
import pytest
from seed_files import published_totals_by_scope
from test_marts import BI_CONTRACT

pytestmark = pytest.mark.spark

# what differs between two builds by design: when and from where they were built and published
RELEASE_COLUMNS_OF_THE_BUILD = {"release_id", "built_at_utc", "published_at_utc", "git_commit", "engine_version"}


def rows_as_dict(spark, sql: str) -> dict[tuple, int]:
    return {tuple(row[:-1]): row[-1] for row in spark.sql(sql).collect()}


@pytest.fixture(scope="module")
def published(spark_project) -> dict[str, dict[tuple, int]]:
    return published_totals_by_scope(spark_project)


@pytest.mark.parametrize("column", ["amount_tdkk", "published_amount_tdkk"])
def test_each_pool_year_equals_the_document(spark, published, column):
    mart = rows_as_dict(spark, f"select document_id, pool_code, fiscal_year, {column} from marts.fct_pool_year_totals")
    assert mart == published["pool_year"]


def test_each_pool_and_each_line_over_all_years_equal_the_document(spark, published):
    pools = rows_as_dict(
        spark, "select document_id, pool_code, sum(amount_tdkk) from marts.fct_pool_year_totals group by all"
    )
    lines = rows_as_dict(
        spark, "select document_id, line_code, sum(amount_tdkk) from marts.fct_allocations group by all"
    )
    assert pools == published["pool"]
    assert lines == published["line"]


def test_each_year_is_the_sum_of_the_published_pool_totals(spark, published):
    expected: dict[tuple, int] = defaultdict(int)
    for (document_id, _pool, year), amount in published["pool_year"].items():
        expected[(document_id, year)] += amount
    assert rows_as_dict(spark, "select document_id, fiscal_year, amount_tdkk from marts.fct_year_totals") == dict(
        expected
    )


def test_every_published_total_is_reconciled(spark, published):
    count = sum(len(totals) for totals in published.values())
    statuses = rows_as_dict(spark, "select reconciliation_status, count(*) from marts.rpt_reconciliation group by all")
    assert statuses == {("reconciled",): count}


def test_amount_columns_are_exact_numbers(spark):
    columns = [
        (mart, field.name, field.dataType.simpleString())
        for mart in BI_CONTRACT
        for field in spark.table(f"marts.{mart}").schema.fields
        if "amount" in field.name or "share" in field.name
    ]
    assert columns
    assert [column for column in columns if column[2] in ("float", "double")] == []


def test_pool_shares_of_a_year_add_up_to_one(spark):
    rows = spark.sql(
        "select document_id, fiscal_year, sum(share_of_year) as total, count(*) as pools"
        " from marts.fct_pool_year_totals group by all"
    ).collect()
    assert rows
    for row in rows:
        assert abs(row.total - 1) <= Decimal("0.0000005") * row.pools, row


def test_the_great_expectations_suite_passes_through_sparks_session(spark_release, spark_project, tmp_path):
    from scripts.settings import Inputs
    from scripts.spark.validation import validate_marts

    outcome = validate_marts("marts", Inputs.seeds_of(spark_project), tmp_path / "result.json")
    assert outcome.success, outcome.failures
    assert outcome.evaluated == outcome.successful > 0


def test_the_great_expectations_suite_fails_on_a_changed_amount(spark, spark_release, spark_project, tmp_path):
    """Fault injection: a copy of the marts with one allocation's amount raised by one."""
    from scripts.settings import Inputs
    from scripts.spark.validation import validate_marts

    spark.sql("create database if not exists corrupted_marts")
    for mart in BI_CONTRACT:
        spark.sql(f"create or replace view corrupted_marts.{mart} as select * from marts.{mart}")
    spark.sql(
        "create or replace view corrupted_marts.fct_allocations as"
        " select * except (amount_tdkk),"
        " amount_tdkk + case when row_number() over (order by allocation_id) = 1 then 1 else 0 end as amount_tdkk"
        " from marts.fct_allocations"
    )
    try:
        outcome = validate_marts("corrupted_marts", Inputs.seeds_of(spark_project), tmp_path / "result.json")
    finally:
        spark.sql("drop database corrupted_marts cascade")
    assert not outcome.success
    assert any("line_totals_by_pool" in failure for failure in outcome.failures)


@pytest.mark.parametrize("mart", sorted(BI_CONTRACT))
def test_each_mart_equals_duckdbs_row_for_row(spark, spark_release, built, mart):
    """The same columns in the same order, the same rows, each value equal, with its type's
    Python value on both sides (Decimal, date, int, str): no tolerance."""
    with duckdb.connect(str(built.paths.warehouse.published), read_only=True) as connection:
        cursor = connection.execute(f"select * from marts.{mart}")
        duckdb_columns = [description[0] for description in cursor.description]
        duckdb_rows = cursor.fetchall()
    frame = spark.table(f"marts.{mart}")
    assert frame.columns == duckdb_columns
    spark_rows = [tuple(row) for row in frame.collect()]
    assert len(spark_rows) == len(duckdb_rows) > 0

    compared = [position for position, name in enumerate(duckdb_columns) if name not in RELEASE_COLUMNS_OF_THE_BUILD]

    def comparable(rows):
        return sorted((tuple(row[position] for position in compared) for row in rows), key=lambda row: str(row))

    assert comparable(spark_rows) == comparable(duckdb_rows)
