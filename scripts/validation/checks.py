"""The independent check's queries: plain SQL over the built marts and the input files.

The same SQL runs on DuckDB (the marts file, read-only) and on PostgreSQL (a schema, through
psycopg2), so it keeps to what both engines read alike: no `group by all`, an alias for every
subquery. `{marts}` in a query is the schema the marts are read from.

The marts can hold tens of millions of rows, so nothing row-sized leaves DuckDB: each query
returns a small table (one row per pool, per year, or a single profile row) that the suite in
`suite.py` asserts on. No Great Expectations here; GX's own SQL data source fails on DuckDB
(GX issue #11579), so the suite validates these tables as pandas DataFrames.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from scripts.postgres import PostgresMarts
from scripts.seed_check import read_seed_records
from scripts.settings import Inputs, duckdb_limits

if TYPE_CHECKING:
    import pandas as pd

CHECKED_INPUTS = ["pools", "amounts", "published_totals"]  # the input tables the queries read
MARTS = "marts"  # the schema of the marts in a DuckDB file


def attach_inputs(connection: duckdb.DuckDBPyConnection, inputs: Inputs) -> None:
    """Make each input table the queries read queryable as `input_<table>`, with the seeds' column names."""
    for table in CHECKED_INPUTS:
        path = inputs.file(table)
        if inputs.are_seeds:
            # imported here, not above: the pipeline's process imports this package and, running
            # the checks in another process, has no other use for pandas
            import pandas as pd

            connection.register(f"input_{table}_text", pd.DataFrame(read_seed_records(path)))
            relation = f"input_{table}_text"
        elif inputs.file_format == "csv":
            relation = f"read_csv('{path}', header = true, all_varchar = true)"
        else:
            relation = f"read_parquet('{path}')"
        connection.execute(f"create or replace temp view input_{table} as select * from {relation}")


@dataclass
class CheckedTables:
    """What the queries found: the tables to assert on, and what the inputs say to expect."""

    pools: list[str]  # the pool codes the inputs define
    years: list[int]  # the fiscal years the inputs publish totals for
    tables: dict[str, pd.DataFrame]


PUBLISHED = """
    select
        trim(document_id) as document_id,
        trim(total_scope) as total_scope,
        trim(pool_code) as pool_code,
        nullif(trim(cast(line_code as varchar)), '') as line_code,
        cast(nullif(trim(cast(fiscal_year as varchar)), '') as integer) as fiscal_year,
        cast(trim(cast(amount_tdkk as varchar)) as bigint) as published
    from input_published_totals
"""

PROFILE = """
    select
        (select count(*) from {marts}.fct_allocations) as row_count,
        (select count(*) from input_amounts) as input_row_count,
        (select count(*) from {marts}.fct_allocations where amount_tdkk is null) as null_amounts,
        (select min(amount_tdkk) from {marts}.fct_allocations) as min_amount_tdkk,
        (select upper(data_type) from information_schema.columns
            where table_schema = '{marts}' and table_name = 'fct_allocations' and column_name = 'amount_tdkk') as amount_type
"""

RECOMPUTED_POOL_SUMS = """
    create temp table recomputed_pool_sums as
    select document_id, pool_code, sum(amount_tdkk) as recomputed
    from {marts}.fct_allocations group by document_id, pool_code
"""

# The published line totals of each pool, added up, against the pool's sum recomputed from the
# allocations. Cheap at any size (one row per pool), and it fails when an amount or a published
# line total changes, unless another change in the same pool cancels it exactly; dbt's
# reconciliation compares every line one by one.
LINE_TOTALS_BY_POOL = """
    with published_lines as (
        select document_id, pool_code, sum(published) as published_line_sum
        from ({published}) as published where total_scope = 'line' group by document_id, pool_code
    ),
    recomputed as (select * from recomputed_pool_sums)
    select
        coalesce(published_lines.document_id, recomputed.document_id) as document_id,
        coalesce(published_lines.pool_code, recomputed.pool_code) as pool_code,
        published_lines.published_line_sum,
        recomputed.recomputed
    from published_lines
    full outer join recomputed
        on published_lines.document_id = recomputed.document_id
        and published_lines.pool_code = recomputed.pool_code
"""

POOL_TOTALS = """
    with published as (select * from ({published}) as published where total_scope in ('pool_year', 'pool')),
    allocations as (select * from {marts}.fct_allocations),
    recomputed as (
        select document_id, 'pool_year' as total_scope, pool_code, fiscal_year, sum(amount_tdkk) as recomputed
        from allocations group by document_id, pool_code, fiscal_year
        union all
        select document_id, 'pool', pool_code, null, recomputed
        from recomputed_pool_sums
    ),
    pool_year_mart as (
        select document_id, 'pool_year' as total_scope, pool_code, fiscal_year, amount_tdkk as mart_amount
        from {marts}.fct_pool_year_totals
    )
    select
        coalesce(published.document_id, recomputed.document_id) as document_id,
        coalesce(published.total_scope, recomputed.total_scope) as total_scope,
        coalesce(published.pool_code, recomputed.pool_code) as pool_code,
        coalesce(published.fiscal_year, recomputed.fiscal_year) as fiscal_year,
        published.published,
        recomputed.recomputed,
        coalesce(pool_year_mart.mart_amount, recomputed.recomputed) as mart_amount
    from published
    full outer join recomputed
        on published.document_id = recomputed.document_id
        and published.total_scope = recomputed.total_scope
        and published.pool_code = recomputed.pool_code
        and published.fiscal_year is not distinct from recomputed.fiscal_year
    left join pool_year_mart
        on pool_year_mart.document_id = coalesce(published.document_id, recomputed.document_id)
        and pool_year_mart.pool_code = coalesce(published.pool_code, recomputed.pool_code)
        and pool_year_mart.fiscal_year = coalesce(published.fiscal_year, recomputed.fiscal_year)
        and coalesce(published.total_scope, recomputed.total_scope) = 'pool_year'
"""

YEARS = """
    with published_years as (
        select document_id, fiscal_year, sum(published) as published
        from ({published}) as published where total_scope = 'pool_year' group by document_id, fiscal_year
    )
    select
        coalesce(published_years.document_id, mart.document_id) as document_id,
        coalesce(published_years.fiscal_year, mart.fiscal_year) as fiscal_year,
        published_years.published,
        mart.amount_tdkk
    from published_years
    full outer join {marts}.fct_year_totals as mart
        on published_years.document_id = mart.document_id and published_years.fiscal_year = mart.fiscal_year
"""

# each table the suite asserts on, by name
TABLES = {
    "allocation_profile": PROFILE,
    "line_totals_by_pool": LINE_TOTALS_BY_POOL,
    "fiscal_years": "select distinct fiscal_year from {marts}.fct_allocations",
    "pool_codes": "select distinct pool_code from {marts}.fct_allocations",
    "pool_totals_against_published": POOL_TOTALS,
    "year_totals_against_published": YEARS,
}


def expected_sets(connection: duckdb.DuckDBPyConnection) -> tuple[list[str], list[int]]:
    """The pools and fiscal years the inputs publish."""
    pools = [
        code for (code,) in connection.execute("select distinct trim(pool_code) from input_pools order by 1").fetchall()
    ]
    years = [
        year
        for (year,) in connection.execute(
            f"select distinct fiscal_year from ({PUBLISHED}) as published where fiscal_year is not null order by 1"
        ).fetchall()
    ]
    return pools, years


def query_tables(warehouse: Path | PostgresMarts, inputs: Inputs) -> CheckedTables:
    """Run every query against the marts and `inputs`: the marts of the DuckDB file `warehouse`,
    opened read-only, or on PostgreSQL those of the schema `warehouse.schema`."""
    if isinstance(warehouse, PostgresMarts):
        return query_postgres(warehouse, inputs)
    with duckdb.connect(str(warehouse), read_only=True, config=duckdb_limits()) as connection:
        attach_inputs(connection, inputs)
        pools, years = expected_sets(connection)
        # each pool's sum, which two of the tables compare: one scan of the allocations, not two
        connection.execute(RECOMPUTED_POOL_SUMS.format(marts=MARTS))
        tables = {
            name: connection.execute(sql.format(published=PUBLISHED, marts=MARTS)).df() for name, sql in TABLES.items()
        }
    return CheckedTables(pools, years, tables)


def query_postgres(marts: PostgresMarts, inputs: Inputs) -> CheckedTables:
    """The same queries on PostgreSQL, through its own connection (psycopg2): the inputs are
    copied into temporary tables of the session, and the one transaction that reads the marts
    is rolled back, never committed, so the check changes nothing on the server."""
    import pandas as pd

    from scripts import postgres

    connection = postgres.connect()
    try:
        with connection.cursor() as cursor:
            for table in CHECKED_INPUTS:
                header, rows = (
                    seed_table(inputs.file(table)) if inputs.are_seeds else postgres.input_rows(inputs, table)
                )
                postgres.copy_into_temporary_table(cursor, f"input_{table}", header, rows)
            pools, years = expected_sets(PostgresCursor(cursor))
            cursor.execute(RECOMPUTED_POOL_SUMS.format(marts=marts.schema))
            tables = {}
            for name, query in TABLES.items():
                cursor.execute(query.format(published=PUBLISHED, marts=marts.schema))
                tables[name] = pd.DataFrame(cursor.fetchall(), columns=[column.name for column in cursor.description])
    finally:
        connection.rollback()
        connection.close()
    return CheckedTables(pools, years, tables)


def seed_table(path: Path) -> tuple[list[str], list[tuple]]:
    records = read_seed_records(path)
    header = list(records[0]) if records else []
    return header, [tuple(record.values()) for record in records]


class PostgresCursor:
    """A psycopg2 cursor that answers `execute(...).fetchall()` as a DuckDB connection does."""

    def __init__(self, cursor):
        self.cursor = cursor

    def execute(self, query: str, parameters=None) -> PostgresCursor:
        self.cursor.execute(query, parameters)
        return self

    def fetchall(self) -> list[tuple]:
        return self.cursor.fetchall()
