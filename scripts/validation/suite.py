"""The Great Expectations suite that asserts on the tables `checks.py` queries.

One suite per table. Every expected value comes from the inputs (the pools and years they
define) or from another column of the same table (a recomputed sum against the published one),
so nothing here is a figure of the document.

Importing this module imports Great Expectations, which takes seconds: the pipeline does it in
a process of its own (`process.py`) while dbt builds.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from scripts.postgres import PostgresMarts
from scripts.settings import Inputs
from scripts.validation import ValidationOutcome
from scripts.validation.checks import CheckedTables, query_tables

# before GX is imported: a validation run sends no usage statistics
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

WHOLE_NUMBER_TYPES = ["BIGINT", "INTEGER", "HUGEINT", "SMALLINT"]


def expectations(pools: list[str], years: list[int]) -> dict[str, list]:
    """The expectations, per table of `checks.TABLES`; `pools` and `years` are the inputs'."""
    expect = gx.expectations
    return {
        "allocation_profile": [
            expect.ExpectColumnPairValuesToBeEqual(column_A="row_count", column_B="input_row_count"),
            expect.ExpectColumnValuesToBeBetween(column="null_amounts", min_value=0, max_value=0),
            expect.ExpectColumnValuesToBeBetween(column="min_amount_tdkk", min_value=0),
            expect.ExpectColumnValuesToBeInSet(column="amount_type", value_set=WHOLE_NUMBER_TYPES),
        ],
        "line_totals_by_pool": [
            expect.ExpectColumnValuesToNotBeNull(column="published_line_sum"),
            expect.ExpectColumnValuesToNotBeNull(column="recomputed"),
            expect.ExpectColumnPairValuesToBeEqual(column_A="recomputed", column_B="published_line_sum"),
        ],
        "fiscal_years": [expect.ExpectColumnDistinctValuesToEqualSet(column="fiscal_year", value_set=years)],
        "pool_codes": [expect.ExpectColumnValuesToBeInSet(column="pool_code", value_set=pools)],
        "pool_totals_against_published": [
            expect.ExpectColumnValuesToNotBeNull(column="published"),
            expect.ExpectColumnValuesToNotBeNull(column="recomputed"),
            expect.ExpectColumnPairValuesToBeEqual(column_A="recomputed", column_B="published"),
            expect.ExpectColumnPairValuesToBeEqual(column_A="mart_amount", column_B="published"),
        ],
        "year_totals_against_published": [
            expect.ExpectColumnValuesToNotBeNull(column="published"),
            expect.ExpectColumnValuesToNotBeNull(column="amount_tdkk"),
            expect.ExpectColumnPairValuesToBeEqual(column_A="amount_tdkk", column_B="published"),
        ],
    }


def describe_failure(table_name: str, result) -> str:
    config = result.expectation_config
    kwargs = {key: value for key, value in config.kwargs.items() if key != "batch_id"}
    observed = result.result.get("partial_unexpected_list") or result.result.get("observed_value")
    return f"{table_name}: {config.type} {kwargs} failed; observed {observed}"


def assert_on(checked: CheckedTables, result_path: Path) -> ValidationOutcome:
    """Run the suite on `checked`; write GX's full result to `result_path` as JSON."""
    # GX pins this module's logger to INFO and announces a temporary docs folder on every context
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    data_source = context.data_sources.add_pandas("warehouse")
    report, failures, evaluated, successful = {}, [], 0, 0
    for table_name, table_expectations in expectations(checked.pools, checked.years).items():
        batch = (
            data_source.add_dataframe_asset(name=table_name)
            .add_batch_definition_whole_dataframe(table_name)
            .get_batch(batch_parameters={"dataframe": checked.tables[table_name]})
        )
        result = batch.validate(
            gx.ExpectationSuite(name=f"{table_name}_suite", expectations=table_expectations), result_format="SUMMARY"
        )
        report[table_name] = result.to_json_dict()
        for expectation_result in result.results:
            evaluated += 1
            if expectation_result.success:
                successful += 1
            else:
                failures.append(describe_failure(table_name, expectation_result))

    result_path.parent.mkdir(parents=True, exist_ok=True)
    result_path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return ValidationOutcome(not failures, evaluated, successful, failures, result_path)


def validate_marts(warehouse_path: Path | PostgresMarts, inputs: Inputs, result_path: Path) -> ValidationOutcome:
    """The whole check in this process: the queries, then the suite on their tables (the marts of
    a DuckDB file, or of a schema on PostgreSQL)."""
    return assert_on(query_tables(warehouse_path, inputs), result_path)
