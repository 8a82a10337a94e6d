"""Great Expectations: an independent second check of the marts.

dbt's tests reconcile the marts with SQL inside the build. This suite checks the built file
from outside, through a read-only DuckDB connection and pandas, against figures read straight
from the seed CSVs: the published totals, the pools and the fiscal years. It shares no code
with the dbt models, so a mistake in one is caught by the other.

GX's SQL data source fails on DuckDB (GX issue #11579), hence pandas DataFrames.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from scripts.seed_check import read_seed_records

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

AMOUNT_DTYPES = ["int64", "Int64", "int32", "Int32"]
SCOPE_KEYS = {
    "line": ["document_id", "pool_code", "line_code"],
    "pool_year": ["document_id", "pool_code", "fiscal_year"],
    "pool": ["document_id", "pool_code"],
}


@dataclass
class ValidationOutcome:
    success: bool
    evaluated: int
    successful: int
    failures: list[str]
    result_path: Path


def published_totals_from_seeds(seeds_dir: Path) -> pd.DataFrame:
    totals = pd.DataFrame(read_seed_records(seeds_dir / "published_totals.csv"))
    totals["fiscal_year"] = pd.to_numeric(totals["fiscal_year"].replace("", None)).astype("Int64")
    totals["published"] = totals["amount_tdkk"].astype("int64").astype("Int64")
    totals["line_code"] = totals["line_code"].replace("", None)
    return totals


def read_mart(connection: duckdb.DuckDBPyConnection, mart: str) -> pd.DataFrame:
    return connection.execute(f"select * from marts.{mart}").df()


def totals_against_published(allocations: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """One row per group at every scope: the sum recomputed from fct_allocations beside the published figure.

    An outer join, so a published total with no amounts and a sum with no published total
    both show up with a missing figure.
    """
    frames = []
    for scope, keys in SCOPE_KEYS.items():
        recomputed = (
            allocations.groupby(keys, dropna=False)["amount_tdkk"].sum().astype("Int64").rename("recomputed").reset_index()
        )
        scoped = published.loc[published["total_scope"] == scope, keys + ["published"]]
        merged = scoped.merge(recomputed, on=keys, how="outer")
        merged.insert(0, "total_scope", scope)
        frames.append(merged)
    return pd.concat(frames, ignore_index=True)


def pool_years_against_published(pool_years: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    keys = SCOPE_KEYS["pool_year"]
    mart = pool_years[keys + ["amount_tdkk"]].astype({"amount_tdkk": "Int64", "fiscal_year": "Int64"})
    scoped = published.loc[published["total_scope"] == "pool_year", keys + ["published"]]
    return scoped.merge(mart, on=keys, how="outer")


def years_against_published(year_totals: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """The year mart beside the sum of the published pool-year totals of the same year."""
    pool_years = published.loc[published["total_scope"] == "pool_year"]
    published_years = (
        pool_years.groupby(["document_id", "fiscal_year"])["published"].sum().rename("published").reset_index()
    )
    mart = year_totals[["document_id", "fiscal_year", "amount_tdkk"]].astype(
        {"amount_tdkk": "Int64", "fiscal_year": "Int64"}
    )
    return published_years.merge(mart, on=["document_id", "fiscal_year"], how="outer")


def build_suites(seeds_dir: Path, published: pd.DataFrame):
    """The expectations, per frame, with every expected value taken from the seeds."""
    import great_expectations as gx

    expect = gx.expectations
    pools = {record["pool_code"] for record in read_seed_records(seeds_dir / "pools.csv")}
    years = {int(year) for year in published["fiscal_year"].dropna()}
    amount_rows = len(read_seed_records(seeds_dir / "amounts.csv"))

    return {
        "fct_allocations": [
            expect.ExpectTableRowCountToEqual(value=amount_rows),
            expect.ExpectCompoundColumnsToBeUnique(column_list=["document_id", "line_code", "fiscal_year"]),
            expect.ExpectColumnValuesToNotBeNull(column="amount_tdkk"),
            expect.ExpectColumnValuesToBeInTypeList(column="amount_tdkk", type_list=AMOUNT_DTYPES),
            expect.ExpectColumnValuesToBeBetween(column="amount_tdkk", min_value=0),
            expect.ExpectColumnValuesToBeInSet(column="fiscal_year", value_set=sorted(years)),
            expect.ExpectColumnValuesToBeInSet(column="pool_code", value_set=sorted(pools)),
        ],
        "totals_against_published": [
            expect.ExpectColumnValuesToNotBeNull(column="published"),
            expect.ExpectColumnValuesToNotBeNull(column="recomputed"),
            expect.ExpectColumnPairValuesToBeEqual(column_A="recomputed", column_B="published"),
        ],
        "fct_pool_year_totals": [
            expect.ExpectColumnValuesToNotBeNull(column="published"),
            expect.ExpectColumnValuesToNotBeNull(column="amount_tdkk"),
            expect.ExpectColumnPairValuesToBeEqual(column_A="amount_tdkk", column_B="published"),
            expect.ExpectColumnDistinctValuesToEqualSet(column="pool_code", value_set=sorted(pools)),
            expect.ExpectColumnDistinctValuesToEqualSet(column="fiscal_year", value_set=sorted(years)),
        ],
        "fct_year_totals": [
            expect.ExpectColumnValuesToNotBeNull(column="published"),
            expect.ExpectColumnValuesToNotBeNull(column="amount_tdkk"),
            expect.ExpectColumnPairValuesToBeEqual(column_A="amount_tdkk", column_B="published"),
            expect.ExpectColumnDistinctValuesToEqualSet(column="fiscal_year", value_set=sorted(years)),
        ],
    }


def describe_failure(frame_name: str, result) -> str:
    config = result.expectation_config
    kwargs = {key: value for key, value in config.kwargs.items() if key not in ("batch_id",)}
    observed = result.result.get("partial_unexpected_list") or result.result.get("observed_value")
    return f"{frame_name}: {config.type} {kwargs} failed; observed {observed}"


def validate_marts(warehouse_path: Path, seeds_dir: Path, result_path: Path) -> ValidationOutcome:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    published = published_totals_from_seeds(seeds_dir)
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        allocations = read_mart(connection, "fct_allocations")
        frames = {
            "fct_allocations": allocations,
            "totals_against_published": totals_against_published(allocations, published),
            "fct_pool_year_totals": pool_years_against_published(read_mart(connection, "fct_pool_year_totals"), published),
            "fct_year_totals": years_against_published(read_mart(connection, "fct_year_totals"), published),
        }

    # GX pins this module's logger to INFO and announces a temporary docs folder on every context
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    data_source = context.data_sources.add_pandas("warehouse")
    report, failures, evaluated, successful = {}, [], 0, 0
    for frame_name, expectations in build_suites(seeds_dir, published).items():
        asset = data_source.add_dataframe_asset(name=frame_name)
        batch = asset.add_batch_definition_whole_dataframe(frame_name).get_batch(
            batch_parameters={"dataframe": frames[frame_name]}
        )
        suite = gx.ExpectationSuite(name=f"{frame_name}_suite", expectations=expectations)
        result = batch.validate(suite, result_format="SUMMARY")
        report[frame_name] = result.to_json_dict()
        for expectation_result in result.results:
            evaluated += 1
            if expectation_result.success:
                successful += 1
            else:
                failures.append(describe_failure(frame_name, expectation_result))

    result_path.parent.mkdir(parents=True, exist_ok=True)
    result_path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return ValidationOutcome(not failures, evaluated, successful, failures, result_path)
