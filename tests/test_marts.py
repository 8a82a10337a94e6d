"""The published marts hold exactly what the document publishes.

Every expected figure is read from the seeds of the project that was built, never written
here: the published totals are the seeds' own, typed from the document.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import duckdb
import pytest
from seed_files import published_totals_by_scope, seed_rows

BI_CONTRACT = {
    "fct_allocations",
    "dim_projects",
    "dim_pools",
    "dim_documents",
    "fct_pool_year_totals",
    "fct_year_totals",
    "rpt_reconciliation",
    "rpt_appendix_tables",
    "dim_dates",
    "release_info",
}


# Every test runs on each engine's published marts, through that engine's own connection: the
# DuckDB file read-only, and PostgreSQL's schema marts as the read-only BI role (psycopg2).
ENGINES = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=ENGINES)
def engine(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def run(engine, request):
    """The pipeline run that published the marts on `engine`."""
    return request.getfixturevalue("built" if engine == "duckdb" else "pg_built")


@pytest.fixture(scope="module")
def warehouse(engine, run, request):
    if engine == "duckdb":
        with duckdb.connect(str(run.paths.warehouse.published), read_only=True) as connection:
            yield connection
        return
    from postgres_server import BI_ROLE

    connection = request.getfixturevalue("postgres_server").connect(BI_ROLE)
    try:
        yield PostgresReader(connection)
    finally:
        connection.close()


class PostgresReader:
    """A psycopg2 connection answering `execute(sql).fetchall()`, as a DuckDB connection does."""

    def __init__(self, connection):
        self.connection = connection

    def execute(self, sql: str, parameters=None):
        cursor = self.connection.cursor()
        cursor.execute(sql, parameters)
        return cursor


@pytest.fixture(scope="module")
def published(run) -> dict[str, dict[tuple, int]]:
    """Published totals from the seeds, by scope, keyed like the marts' grains."""
    return published_totals_by_scope(run.paths.project_dir)


def rows_as_dict(connection, sql: str) -> dict[tuple, int]:
    return {tuple(row[:-1]): row[-1] for row in connection.execute(sql).fetchall()}


def test_the_marts_schema_holds_the_bi_contract(warehouse):
    tables = {
        name
        for (name,) in warehouse.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    assert tables == BI_CONTRACT


@pytest.mark.parametrize("column", ["amount_tdkk", "published_amount_tdkk"])
def test_each_pool_year_computed_and_published_equal_the_document(warehouse, published, column):
    mart = rows_as_dict(
        warehouse, f"select document_id, pool_code, fiscal_year, {column} from marts.fct_pool_year_totals"
    )
    assert mart == published["pool_year"]


def test_each_pool_over_all_years_equals_its_published_total(warehouse, published):
    mart = rows_as_dict(
        warehouse,
        "select document_id, pool_code, sum(amount_tdkk) from marts.fct_pool_year_totals group by document_id, pool_code",
    )
    assert mart == published["pool"]


def test_each_line_over_all_years_equals_its_published_total(warehouse, published):
    mart = rows_as_dict(
        warehouse,
        "select document_id, line_code, sum(amount_tdkk) from marts.fct_allocations group by document_id, line_code",
    )
    assert mart == published["line"]


def test_each_year_is_the_sum_of_the_published_pool_totals(warehouse, published):
    expected: dict[tuple, int] = defaultdict(int)
    for (document_id, _pool, year), amount in published["pool_year"].items():
        expected[(document_id, year)] += amount
    mart = rows_as_dict(warehouse, "select document_id, fiscal_year, amount_tdkk from marts.fct_year_totals")
    assert mart == dict(expected)


def test_every_published_total_is_reconciled(warehouse, published, run):
    count = sum(len(totals) for totals in published.values())
    statuses = warehouse.execute(
        "select reconciliation_status, count(*) from marts.rpt_reconciliation group by reconciliation_status"
    ).fetchall()
    assert statuses == [("reconciled", count)]
    assert f"published totals reconciled: {count}/{count}" in run.output


def test_amounts_in_dkk_apply_the_documents_unit_factor(warehouse, run):
    factors = {row["document_id"]: int(row["unit_factor"]) for row in seed_rows(run.paths.project_dir, "documents")}
    rows = warehouse.execute("select document_id, amount_tdkk, amount_dkk from marts.fct_allocations").fetchall()
    assert rows
    assert all(dkk == tdkk * factors[document_id] for document_id, tdkk, dkk in rows)


def test_amount_columns_are_exact_numbers(warehouse):
    types = warehouse.execute(
        """
        select table_name, column_name, data_type from information_schema.columns
        where table_schema = 'marts' and (column_name like '%amount%' or column_name like '%share%')
        """
    ).fetchall()
    assert types
    inexact = [row for row in types if row[2].upper() in ("FLOAT", "DOUBLE", "REAL")]
    assert inexact == []


def test_pool_shares_of_a_year_add_up_to_one(warehouse):
    for document_id, year, total, pools in warehouse.execute(
        "select document_id, fiscal_year, sum(share_of_year), count(*) from marts.fct_pool_year_totals"
        " group by document_id, fiscal_year"
    ).fetchall():
        # each share is rounded to 6 decimals, so the sum may be off by half a unit per pool
        assert abs(total - 1) <= Decimal("0.0000005") * pools, (document_id, year, total)


def test_dimensions_carry_the_names_as_published(warehouse, run):
    pools = {
        (row["document_id"], row["pool_code"]): row["pool_name"] for row in seed_rows(run.paths.project_dir, "pools")
    }
    projects = {
        (row["document_id"], row["project_code"]): row["project_name"]
        for row in seed_rows(run.paths.project_dir, "projects")
    }
    assert rows_as_dict(warehouse, "select document_id, pool_code, pool_name from marts.dim_pools") == pools
    assert rows_as_dict(warehouse, "select document_id, project_code, project_name from marts.dim_projects") == projects


def test_every_line_of_a_split_project_counts(warehouse, run):
    lines_per_project: dict[tuple, int] = defaultdict(int)
    for row in seed_rows(run.paths.project_dir, "budget_lines"):
        lines_per_project[(row["document_id"], row["project_code"])] += 1
    mart = rows_as_dict(warehouse, "select document_id, project_code, line_count from marts.dim_projects")
    assert mart == dict(lines_per_project)
    assert max(mart.values()) > 1  # the appendix splits one project in phases


def test_great_expectations_result_is_kept(run):
    report = json.loads(run.paths.validation_result.read_text(encoding="utf-8"))
    assert report, "no suites in the validation result"
    assert all(suite["success"] for suite in report.values())
