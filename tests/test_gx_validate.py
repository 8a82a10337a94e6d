"""The Great Expectations suite fails on a corrupted warehouse, naming what it found.

dbt's tests stop a bad build before GX runs, so these corruptions are made to a copy of a
published warehouse directly, to show that the second check can fail on its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from scripts.gx_validate import validate_marts

CORRUPTIONS = {
    "an amount changed after the build": (
        "update marts.fct_allocations set amount_tdkk = amount_tdkk + 1"
        " where allocation_id = (select min(allocation_id) from marts.fct_allocations)",
        ["line_totals_by_pool", "pool_totals_against_published"],
    ),
    "a negative amount": (
        "update marts.fct_allocations set amount_tdkk = -1"
        " where allocation_id = (select min(allocation_id) from marts.fct_allocations)",
        ["min_amount_tdkk"],
    ),
    "a year total dropped": (
        "delete from marts.fct_year_totals where fiscal_year = (select min(fiscal_year) from marts.fct_year_totals)",
        ["year_totals_against_published"],
    ),
    "a pool-year total changed in the mart": (
        "update marts.fct_pool_year_totals set amount_tdkk = amount_tdkk + 1"
        " where pool_year_id = (select min(pool_year_id) from marts.fct_pool_year_totals)",
        ["pool_totals_against_published", "mart_amount"],
    ),
    "a row duplicated": (
        "insert into marts.fct_allocations select * from marts.fct_allocations limit 1",
        ["allocation_profile", "input_row_count"],
    ),
}


def test_the_suite_passes_on_the_published_warehouse(built):
    outcome = validate_marts(built.paths.warehouse.published, built.paths.inputs, built.paths.target_dir / "gx.json")
    assert outcome.success, outcome.failures
    assert outcome.evaluated == outcome.successful > 0


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_the_suite_fails_on(corruption: str, built, tmp_path: Path):
    sql, expected = CORRUPTIONS[corruption]
    warehouse = tmp_path / "funding.duckdb"
    shutil.copyfile(built.paths.warehouse.published, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(sql)
    outcome = validate_marts(warehouse, built.paths.inputs, tmp_path / "gx.json")
    assert not outcome.success
    report = "\n".join(outcome.failures)
    for fragment in expected:
        assert fragment in report, report
