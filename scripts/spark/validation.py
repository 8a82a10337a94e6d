"""The independent check (scripts/validation) on Spark's marts, through Spark's own session.

The same queries as on DuckDB (scripts/validation/checks.py), read by Spark: each returns a
small table, brought to pandas through Arrow, and the same Great Expectations suite asserts on
it (scripts/validation/suite.py). Only what Spark's SQL spells otherwise is changed: its text
type is `string`, a temporary table is a cached temporary view, the marts are a database named
by the caller, and a column's type is read with `typeof` (Spark has no information_schema).
Integers come to pandas as Python integers where a column has nulls, never as floats.
"""

from __future__ import annotations

import re
from pathlib import Path

from scripts.seed_check import read_seed_records
from scripts.settings import Inputs
from scripts.spark.session import spark_session
from scripts.validation import ValidationOutcome
from scripts.validation.checks import CHECKED_INPUTS, PUBLISHED, RECOMPUTED_POOL_SUMS, TABLES, CheckedTables

TYPE_OF_AMOUNT = re.compile(
    r"\(select upper\(data_type\) from information_schema\.columns.*?\) as amount_type", re.DOTALL
)


def spark_sql(sql: str) -> str:
    """A query of checks.py in Spark's spelling (its `{marts}` and `{published}` still to fill)."""
    sql = TYPE_OF_AMOUNT.sub(
        "(select upper(typeof(amount_tdkk)) from {marts}.fct_allocations limit 1) as amount_type", sql
    )
    return sql.replace("as varchar)", "as string)").replace("create temp table", "create or replace temp view")


def to_pandas(frame):
    """A Spark DataFrame as pandas, exactly: through Arrow, integers with nulls as Python ints."""
    return frame.toArrow().to_pandas(integer_object_nulls=True)


def register_inputs(session, inputs: Inputs) -> None:
    """Each input table the queries read, as the temporary view `input_<table>`."""
    import pandas as pd

    for table in CHECKED_INPUTS:
        path = inputs.file(table)
        if inputs.are_seeds:
            records = read_seed_records(path)
            frame = session.createDataFrame(pd.DataFrame(records).astype("string").astype(object))
        elif inputs.file_format == "csv":
            frame = session.read.option("header", "true").csv(str(path))
        else:
            frame = session.read.parquet(str(path))
        frame.createOrReplaceTempView(f"input_{table}")


def query_tables(marts: str, inputs: Inputs) -> CheckedTables:
    """Every query of checks.py against the marts in the Spark database `marts`, and `inputs`."""
    session = spark_session()
    register_inputs(session, inputs)
    published = spark_sql(PUBLISHED)
    pools = [row[0] for row in session.sql("select distinct trim(pool_code) from input_pools order by 1").collect()]
    years = [
        row[0]
        for row in session.sql(
            f"select distinct fiscal_year from ({published}) as published where fiscal_year is not null order by 1"
        ).collect()
    ]
    session.sql(spark_sql(RECOMPUTED_POOL_SUMS).format(marts=marts))
    tables = {
        name: to_pandas(session.sql(spark_sql(sql).format(published=published, marts=marts)))
        for name, sql in TABLES.items()
    }
    for view in ["recomputed_pool_sums", *(f"input_{table}" for table in CHECKED_INPUTS)]:
        session.catalog.dropTempView(view)
    return CheckedTables(pools, years, tables)


def validate_marts(marts: str, inputs: Inputs, result_path: Path) -> ValidationOutcome:
    """The GX suite on the marts in the Spark database `marts` (imports GX on first use)."""
    from scripts.validation.suite import assert_on

    return assert_on(query_tables(marts, inputs), result_path)
