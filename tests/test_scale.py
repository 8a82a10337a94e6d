"""Synthetic appendices at a small size, read in place as files: injected wrong totals are caught.

The same models that build the real appendix from seeds build generated Parquet or CSV files
through dbt sources (`input_mode: files`). `make bench` runs the same at large sizes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from pipeline_runs import run_pipeline
from seed_files import renew_project

from scripts.bench.baseline import differing_marts, run_baseline
from scripts.generate_appendices import INJECTED_ERRORS, Shape, generate

LINES = 3_000


@pytest.fixture
def project_for(project_home: Path) -> Callable[[str], Path]:
    """A fresh project copy for a run on input files of one format, in a folder kept for that format.

    Runs on input files set dbt variables that runs on the seeds do not, and each format its
    own: a folder per format keeps dbt's parse of the project for the next run on the same
    format (seed_files.renew_project), where one folder for all would be parsed anew each time.
    """
    return lambda input_format: renew_project(project_home.with_name(f"{project_home.name}-{input_format}"))


def describe(error: dict) -> str:
    """The words the reconciliation test's failure message uses for an injected error."""
    keys = {"line": ["pool_code", "line_code"], "pool_year": ["pool_code", "fiscal_year"], "pool": ["pool_code"]}
    parts = [f"document_id={error['document_id']}"] + [f"{key}={error[key]}" for key in keys[error["total_scope"]]]
    return f"{error['total_scope']} total: " + ", ".join(parts)


def rewrite_first_csv_amount(input_dir: Path, rewrite: Callable[..., list[str]]) -> list[str]:
    """Rewrite the first data row of amounts.csv in place: `rewrite` takes its fields and
    returns the new ones. Returns the fields as they were."""
    amounts = input_dir / "amounts.csv"
    lines = amounts.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(",")
    lines[1] = ",".join(rewrite(*fields))
    amounts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return fields


def rewrite_amounts(
    input_dir: Path, column: str, first_row_value: str, other_rows_value: str | None = None
) -> tuple[int, list]:
    """Rewrite one column of amounts.parquet in place: `first_row_value` (SQL over the row) on the
    rows of the lowest source line, `other_rows_value` (default: the value as is) on the others.
    Returns that source line and the rewritten values on it."""
    amounts, rewritten = input_dir / "amounts.parquet", input_dir / "rewritten.parquet"
    with duckdb.connect() as connection:
        (first_row,) = connection.execute(f"select min(source_line) from '{amounts}'").fetchone()
        connection.execute(
            f"copy (select * replace (case when source_line = {first_row} then {first_row_value}"
            f" else {other_rows_value or column} end as {column}) from '{amounts}')"
            f" to '{rewritten}' (format parquet)"
        )
        values = [
            value
            for (value,) in connection.execute(
                f"select {column} from '{rewritten}' where source_line = {first_row}"
            ).fetchall()
        ]
    rewritten.replace(amounts)
    return first_row, values


@pytest.mark.pipeline
def test_every_injected_wrong_total_is_caught(project_for, tmp_path: Path):
    project = project_for("parquet")
    errors = generate(tmp_path / "input", Shape(lines=LINES, seed=11, lines_per_document=1_000, wrong_totals=6))
    assert {error["total_scope"] for error in errors} == {"line", "pool_year", "pool"}
    result = run_pipeline(project, input_dir=tmp_path / "input")
    assert result.exit_code == 1, result.output
    for error in errors:
        assert f"{describe(error)}, " in result.output, describe(error)
        assert f"computed {error['correct_tdkk']}, published {error['published_tdkk']}" in result.output
    assert not result.paths.warehouse.published.exists()


@pytest.mark.pipeline
def test_generated_appendices_that_add_up_are_published(project_for, tmp_path: Path):
    project = project_for("parquet")
    generate(tmp_path / "input", Shape(lines=LINES, seed=12, lines_per_document=1_000))
    result = run_pipeline(project, input_dir=tmp_path / "input")
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(tmp_path / "input" / "x.duckdb")) as scratch:
        published = scratch.execute(
            f"select count(*) from read_parquet('{tmp_path / 'input' / 'published_totals.parquet'}')"
        ).fetchone()[0]
    assert f"published totals reconciled: {published}/{published}" in result.output
    with duckdb.connect(str(result.paths.warehouse.published), read_only=True) as connection:
        assert connection.execute("select count(distinct document_id) from marts.fct_allocations").fetchone()[0] == 3
    # the benchmark's hand-written baseline builds the very same marts from the same files
    assert run_baseline(tmp_path / "input", tmp_path / "baseline.duckdb") == 0
    assert differing_marts(tmp_path / "baseline.duckdb", result.paths.warehouse.published) == []


def test_the_baseline_comparison_sees_a_changed_value_a_swapped_value_or_type(tmp_path: Path):
    generate(tmp_path / "input", Shape(lines=500, seed=14, lines_per_document=250))
    corruptions = {
        "changed": "update marts.fct_allocations set amount_tdkk = amount_tdkk + 1"
        " where allocation_id = (select min(allocation_id) from marts.fct_allocations)",
        # two lines trade labels: every column still holds the same values, in other rows
        "swapped": "update marts.rpt_reconciliation as r set line_label = case r.line_code"
        " when first.line_code then second.line_label else first.line_label end"
        " from (select line_code, line_label from marts.rpt_reconciliation where total_scope = 'line'"
        " order by line_code limit 1) as first,"
        " (select line_code, line_label from marts.rpt_reconciliation where total_scope = 'line'"
        " order by line_code limit 1 offset 1) as second"
        " where r.total_scope = 'line' and r.line_code in (first.line_code, second.line_code)",
        "retyped": "alter table marts.dim_pools alter line_count type hugeint",
        # the release's document lists are data; its id, times and versions belong to one run
        "documents_listed": "update marts.release_info set current_document_ids = ''",
        "restamped": "update marts.release_info set release_id = 'another run', git_commit = 'abc',"
        " built_at_utc = built_at_utc + interval 1 hour",
    }
    run_baseline(tmp_path / "input", tmp_path / "clean.duckdb")
    for name, corruption in corruptions.items():
        run_baseline(tmp_path / "input", tmp_path / f"{name}.duckdb")
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as connection:
            connection.execute(corruption)
    assert differing_marts(tmp_path / "clean.duckdb", tmp_path / "clean.duckdb") == []
    assert differing_marts(tmp_path / "clean.duckdb", tmp_path / "changed.duckdb") == ["fct_allocations"]
    assert differing_marts(tmp_path / "clean.duckdb", tmp_path / "swapped.duckdb") == ["rpt_reconciliation"]
    assert differing_marts(tmp_path / "clean.duckdb", tmp_path / "retyped.duckdb") == ["dim_pools"]
    assert differing_marts(tmp_path / "clean.duckdb", tmp_path / "documents_listed.duckdb") == ["release_info"]
    assert differing_marts(tmp_path / "clean.duckdb", tmp_path / "restamped.duckdb") == []


@pytest.mark.pipeline
def test_csv_input_with_a_danish_amount_is_rejected(project_for, tmp_path: Path):
    project = project_for("csv")
    input_dir = tmp_path / "input"
    generate(input_dir, Shape(lines=LINES, seed=13, lines_per_document=1_000), file_format="csv")
    _, line_code, _, _, _ = rewrite_first_csv_amount(
        input_dir,
        lambda document_id, line_code, year, amount, source_line: [
            document_id,
            line_code,
            year,
            f'"{int(amount):,}"'.replace(",", "."),
            source_line,
        ],
    )
    result = run_pipeline(project, input_dir=input_dir, input_format="csv")
    assert result.exit_code == 1, result.output
    assert "is_whole_number" in result.output and f"line_code={line_code}" in result.output


@pytest.mark.pipeline
def test_csv_input_is_trimmed_so_a_padded_key_finds_its_line(project_for, tmp_path: Path):
    project = project_for("csv")
    input_dir = tmp_path / "input"
    generate(input_dir, Shape(lines=LINES, seed=17, lines_per_document=1_000), file_format="csv")
    rewrite_first_csv_amount(
        input_dir, lambda document_id, line_code, *rest: [f" {document_id}", f"  {line_code} ", *rest]
    )
    result = run_pipeline(project, input_dir=input_dir, input_format="csv")
    assert result.exit_code == 0, result.output


@pytest.mark.pipeline
def test_parquet_input_is_taken_as_written_and_a_padded_key_is_named(project_for, tmp_path: Path):
    project = project_for("parquet")
    input_dir = tmp_path / "input"
    generate(input_dir, Shape(lines=LINES, seed=15, lines_per_document=1_000))
    first_row, (padded, *_) = rewrite_amounts(input_dir, "line_code", first_row_value="line_code || ' '")
    result = run_pipeline(project, input_dir=input_dir)
    assert result.exit_code == 1, result.output
    assert "has_parent_stg_appendix__amounts" in result.output
    assert f"line_code={padded}, source_line={first_row}" in result.output


def test_generation_is_deterministic(tmp_path: Path):
    shape = Shape(lines=500, seed=5, wrong_totals=2)
    generate(tmp_path / "a", shape)
    generate(tmp_path / "b", shape)
    for name in ["amounts.parquet", "published_totals.parquet", INJECTED_ERRORS]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert len(json.loads((tmp_path / "a" / INJECTED_ERRORS).read_text())) == 2


@pytest.mark.pipeline
def test_parquet_amounts_stored_as_text_are_checked_row_by_row(project_for, tmp_path: Path):
    project = project_for("parquet")
    # an integer column passes the whole-number check by its type; any other type is read row by row
    input_dir = tmp_path / "input"
    generate(input_dir, Shape(lines=LINES, seed=16, lines_per_document=1_000))
    as_text = "cast(amount_tdkk as varchar)"
    first_row, changed = rewrite_amounts(
        input_dir, "amount_tdkk", first_row_value=f"{as_text} || '.5'", other_rows_value=as_text
    )
    rows_changed = len(changed)
    result = run_pipeline(project, input_dir=input_dir)
    assert result.exit_code == 1, result.output
    failures = [line for line in result.lines if line.startswith("  source_is_whole_number")]
    assert failures == [
        f"  source_is_whole_number_appendix_files_amounts_amount_tdkk: Got {rows_changed} result"
        + ("s" if rows_changed > 1 else "")
        + ", configured to fail if != 0"
    ]
    assert f"source_line={first_row}" in result.output
