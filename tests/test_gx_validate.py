"""The Great Expectations suite fails on a corrupted warehouse, naming what it found.

dbt's tests stop a bad build before GX runs, so these corruptions are made to a copy of a
published warehouse directly, to show that the second check can fail on its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from scripts.gx_validate import ValidatorProcess, validate_marts

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


def test_the_child_process_gives_the_same_outcome_as_a_validation_in_this_process(built, tmp_path: Path):
    in_process = validate_marts(built.paths.warehouse.published, built.paths.inputs, tmp_path / "here.json")
    with ValidatorProcess() as validator:
        validator.start()
        in_child = validator.validate(built.paths.warehouse.published, built.paths.inputs, tmp_path / "child.json")
    assert (in_child.success, in_child.evaluated, in_child.successful, in_child.failures) == (
        in_process.success,
        in_process.evaluated,
        in_process.successful,
        in_process.failures,
    )
    assert in_child.result_path == tmp_path / "child.json" and in_child.result_path.exists()


def test_a_child_that_fails_raises_instead_of_answering(built, tmp_path: Path):
    with ValidatorProcess() as validator, pytest.raises(RuntimeError, match="stopped with exit code 1"):
        validator.validate(tmp_path / "no-such-warehouse.duckdb", built.paths.inputs, tmp_path / "gx.json")


def test_a_child_that_died_before_it_was_asked_raises(built, tmp_path: Path):
    with ValidatorProcess() as validator, pytest.raises(RuntimeError, match="before it answered"):
        validator.start()
        validator._child.kill()
        validator._child.wait()
        validator.validate(built.paths.warehouse.published, built.paths.inputs, tmp_path / "gx.json")


def test_a_child_never_asked_is_stopped_when_the_block_ends():
    with ValidatorProcess() as validator:
        validator.start()
        child = validator._child
    assert child.returncode is not None
