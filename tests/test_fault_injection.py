"""Corrupt one seed file at a time: the run must fail, say what is wrong, and publish nothing.

Each corruption changes a copy of the project and returns the fragments its error output must
contain. The figures in those fragments are computed from the seed rows the corruption read,
so no amount of the document is written here.

The corruptions that dbt's tests must catch are built through the pipeline's own dbt runner
(scripts/dbt_build.py), in this process, on one project copy parsed once: a corruption changes
seed rows, never the project's code, so one parse serves every case. What the pipeline adds to
a failed build (exit code 1, the failing rows printed, the rejected build kept, the published
file untouched) is checked on full runs: one of those cases, and every case of the input check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from pipeline_runs import run_pipeline
from seed_files import header_of, raw_line, replace_text, seed_path, seed_rows, write_rows
from shared_project import SharedProject, failure_report

from scripts.publish import sha256

Corruption = Callable[[Path], list[str]]


def line_labels(project: Path) -> dict[str, str]:
    return {row["line_code"]: row["line_label"] for row in seed_rows(project, "budget_lines")}


def published_line_total(project: Path, line_code: str) -> int:
    return next(
        int(row["amount_tdkk"])
        for row in seed_rows(project, "published_totals")
        if row["total_scope"] == "line" and row["line_code"] == line_code
    )


def change_amount(project: Path, row_index: int, new_value: str) -> dict[str, str]:
    """Set one amount cell; return the row as it was."""
    rows = seed_rows(project, "amounts")
    original = dict(rows[row_index])
    rows[row_index]["amount_tdkk"] = new_value
    write_rows(seed_path(project, "amounts"), rows)
    return original


def first_row_index(rows: list[dict[str, str]], accept: Callable[[dict[str, str]], bool]) -> int:
    return next(index for index, row in enumerate(rows) if accept(row))


def csv_row_number(row_index: int) -> str:
    """The row as an editor numbers it: the header is row 1."""
    return f"row {row_index + 2}"


def transposed(digits: str) -> str:
    position = next(index for index in range(len(digits) - 1) if digits[index] != digits[index + 1])
    return digits[:position] + digits[position + 1] + digits[position] + digits[position + 2 :]


# --- corruptions that the reconciliation, key or relationship tests must catch ----------------


def digit_transposed(project: Path) -> list[str]:
    rows = seed_rows(project, "amounts")
    index = first_row_index(rows, lambda row: len(set(row["amount_tdkk"])) > 1)
    wrong = transposed(rows[index]["amount_tdkk"])
    original = change_amount(project, index, wrong)
    published = published_line_total(project, original["line_code"])
    computed = published - int(original["amount_tdkk"]) + int(wrong)
    return [line_labels(project)[original["line_code"]], f"computed {computed}", f"published {published}"]


def line_dropped(project: Path) -> list[str]:
    lines = seed_rows(project, "budget_lines")
    dropped = lines[-1]
    write_rows(seed_path(project, "budget_lines"), lines[:-1])
    amounts = [row for row in seed_rows(project, "amounts") if row["line_code"] != dropped["line_code"]]
    write_rows(seed_path(project, "amounts"), amounts)
    published = published_line_total(project, dropped["line_code"])
    return [dropped["line_label"], "computed (nothing)", f"published {published}"]


def zero_amount_row_dropped(project: Path) -> list[str]:
    """A dropped row of 0 changes no sum; the completeness test must catch it."""
    rows = seed_rows(project, "amounts")
    index = first_row_index(rows, lambda row: int(row["amount_tdkk"]) == 0)
    dropped = rows.pop(index)
    write_rows(seed_path(project, "amounts"), rows)
    return [
        "assert_every_line_has_every_published_year",
        f"line_code={dropped['line_code']}, line_label={line_labels(project)[dropped['line_code']]}, "
        f"fiscal_year={dropped['fiscal_year']}",
    ]


def zero_amount_row_moved_to_an_unpublished_year(project: Path) -> list[str]:
    """A line keeps its number of rows, but one of them stands under a year that is not
    published: the completeness test must still name the year the line lacks."""
    rows = seed_rows(project, "amounts")
    index = first_row_index(rows, lambda row: int(row["amount_tdkk"]) == 0)
    moved = dict(rows[index])
    unpublished_year = max(int(row["fiscal_year"]) for row in rows) + 1
    rows[index] = {**moved, "fiscal_year": str(unpublished_year)}
    write_rows(seed_path(project, "amounts"), rows)
    return [
        "assert_every_line_has_every_published_year",
        f"line_code={moved['line_code']}, line_label={line_labels(project)[moved['line_code']]}, "
        f"fiscal_year={moved['fiscal_year']}",
    ]


def line_duplicated(project: Path) -> list[str]:
    rows = seed_rows(project, "amounts")
    write_rows(seed_path(project, "amounts"), rows + [rows[0]])
    # the amounts' grain is tested on the first table they land in, through its key
    return [
        "unique_key_fct_allocations_allocation_id",
        f"|{rows[0]['line_code']}|{rows[0]['fiscal_year']}, n_records=2",
    ]


def line_moved_to_another_pool(project: Path) -> list[str]:
    projects = seed_rows(project, "projects")
    pools = [row["pool_code"] for row in seed_rows(project, "pools")]
    moved = projects[0]
    old_pool = moved["pool_code"]
    new_pool = next(code for code in pools if code != old_pool)
    moved["pool_code"] = new_pool
    write_rows(seed_path(project, "projects"), projects)
    line_code = next(
        row["line_code"] for row in seed_rows(project, "budget_lines") if row["project_code"] == moved["project_code"]
    )
    return [
        f'pool_code={new_pool}, line_code={line_code}, published as "(no published total)"',
        f'pool_code={old_pool}, line_code={line_code}, published as "{line_labels(project)[line_code]}": computed (nothing)',
    ]


def wrong_year(project: Path) -> list[str]:
    rows = seed_rows(project, "amounts")
    wrong = str(max(int(row["fiscal_year"]) for row in rows) + 1)
    rows[0]["fiscal_year"] = wrong
    write_rows(seed_path(project, "amounts"), rows)
    return [f"pool_year total: document_id={rows[0]['document_id']}", f"fiscal_year={wrong}", "(no published total)"]


def negative_amount(project: Path) -> list[str]:
    rows = seed_rows(project, "amounts")
    index = first_row_index(rows, lambda row: int(row["amount_tdkk"]) > 0)
    original = change_amount(project, index, "-" + rows[index]["amount_tdkk"])
    return [
        f"line_code={original['line_code']}, fiscal_year={original['fiscal_year']}, amount_tdkk=-{original['amount_tdkk']}"
    ]


def unknown_code(project: Path, seed: str, column: str) -> list[str]:
    """Give the first row of `seed` a `column` code that its parent table does not have."""
    rows = seed_rows(project, seed)
    unknown = rows[0][column] + "_UNKNOWN"
    rows[0][column] = unknown
    write_rows(seed_path(project, seed), rows)
    return ["has_parent", f"{column}={unknown}"]


def unknown_pool_code(project: Path) -> list[str]:
    return unknown_code(project, "projects", "pool_code")


def unknown_project_code(project: Path) -> list[str]:
    return unknown_code(project, "budget_lines", "project_code")


def published_total_changed(project: Path) -> list[str]:
    totals = seed_rows(project, "published_totals")
    index = first_row_index(totals, lambda row: row["total_scope"] == "line")
    original = int(totals[index]["amount_tdkk"])
    totals[index]["amount_tdkk"] = str(original + 1)
    write_rows(seed_path(project, "published_totals"), totals)
    return [totals[index]["label_as_published"], f"computed {original}", f"published {original + 1}"]


def published_total_repeated(project: Path) -> list[str]:
    # the copy reconciles as well as the original: only the key test can see it
    totals = seed_rows(project, "published_totals")
    repeated = totals[first_row_index(totals, lambda row: row["total_scope"] == "line")]
    write_rows(seed_path(project, "published_totals"), totals + [repeated])
    return [
        "unique_key_rpt_reconciliation_reconciliation_id",
        f"|{repeated['pool_code']}|{repeated['line_code']}|, n_records=2",
    ]


def add_revision(project: Path, suffix: str = "-revision") -> str:
    """Append a second document that repeats every row of the first; return its id."""
    documents = seed_rows(project, "documents")
    original_id = documents[0]["document_id"]
    revision_id = original_id + suffix
    for seed in ("documents", "pools", "projects", "budget_lines", "amounts", "published_totals"):
        rows = seed_rows(project, seed)
        copies = [dict(row, document_id=revision_id) for row in rows if row["document_id"] == original_id]
        if seed == "documents":
            copies[0]["supersedes_document_id"] = original_id
        write_rows(seed_path(project, seed), rows + copies)
    return revision_id


def second_document_not_adding_up(project: Path) -> list[str]:
    revision_id = add_revision(project)
    amounts = seed_rows(project, "amounts")
    index = first_row_index(amounts, lambda row: row["document_id"] == revision_id)
    original = change_amount(project, index, str(int(amounts[index]["amount_tdkk"]) + 1))
    published = published_line_total(project, original["line_code"])
    return [
        f"line total: document_id={revision_id}",
        line_labels(project)[original["line_code"]],
        f"computed {published + 1}, published {published}",
    ]


def set_supersedes(project: Path, document_id: str, supersedes: str) -> None:
    documents = seed_rows(project, "documents")
    for row in documents:
        if row["document_id"] == document_id:
            row["supersedes_document_id"] = supersedes
    write_rows(seed_path(project, "documents"), documents)


def document_revised_twice(project: Path) -> list[str]:
    """Two revisions of one document: which is current cannot be told."""
    original = seed_rows(project, "documents")[0]["document_id"]
    add_revision(project, "-revision-a")
    add_revision(project, "-revision-b")
    return ["unique_stg_appendix__documents_supersedes_document_id", f"unique_field={original}, n_records=2"]


def revisions_in_a_loop(project: Path) -> list[str]:
    """A document and its revision supersede each other: neither is current."""
    original = seed_rows(project, "documents")[0]["document_id"]
    revision = add_revision(project)
    set_supersedes(project, original, revision)
    return [
        "assert_revisions_form_chains",
        f"document {original} supersedes itself through 2 revision(s)",
        f"document {revision} supersedes itself through 2 revision(s)",
    ]


def document_without_amounts(project: Path) -> list[str]:
    """A revision typed in documents.csv alone: it would hide the original's figures."""
    documents = seed_rows(project, "documents")
    empty = dict(
        documents[0],
        document_id=documents[0]["document_id"] + "-empty",
        supersedes_document_id=documents[0]["document_id"],
    )
    write_rows(seed_path(project, "documents"), documents + [empty])
    return ["has_rows_in", f"document_id={empty['document_id']}"]


# --- corruptions that the seed check must reject before dbt runs --------------------------------


def amount_of_four_digits(project: Path) -> tuple[int, dict[str, str], str]:
    """The first amount of 1000 or more: its row index, its row, and how the document prints it."""
    rows = seed_rows(project, "amounts")
    index = first_row_index(rows, lambda row: int(row["amount_tdkk"]) >= 1000)
    return index, rows[index], f"{int(rows[index]['amount_tdkk']):,}".replace(",", ".")


def danish_thousands_separator(project: Path) -> list[str]:
    index, _, danish = amount_of_four_digits(project)
    change_amount(project, index, danish)
    return ["amounts.csv", csv_row_number(index), "column amount_tdkk", f"'{danish}' is not a whole number"]


def danish_decimal_quoted(project: Path) -> list[str]:
    index, _, danish = amount_of_four_digits(project)
    change_amount(project, index, danish + ",0")
    return ["amounts.csv", csv_row_number(index), "column amount_tdkk", f"'{danish},0' is not a whole number"]


def danish_decimal_unquoted(project: Path) -> list[str]:
    index, row, danish = amount_of_four_digits(project)
    header = header_of(seed_path(project, "amounts"))
    line = raw_line(row, header)
    replace_text(project, "amounts", line, line.replace(f",{row['amount_tdkk']},", f",{danish},0,"))
    return ["amounts.csv", csv_row_number(index), f"has {len(header) + 1} cells; expected {len(header)}"]


def empty_amount(project: Path) -> list[str]:
    change_amount(project, 0, "")
    return ["amounts.csv", csv_row_number(0), "column amount_tdkk", "is empty"]


def not_utf8(project: Path) -> list[str]:
    path = seed_path(project, "projects")
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))
    return ["projects.csv", "is not UTF-8"]


def column_missing(project: Path) -> list[str]:
    rows = seed_rows(project, "budget_lines")
    header = [column for column in header_of(seed_path(project, "budget_lines")) if column != "line_label"]
    write_rows(seed_path(project, "budget_lines"), [{key: row[key] for key in header} for row in rows], header)
    return ["budget_lines.csv", "missing ['line_label']"]


CAUGHT_BY_TESTS: list[Corruption] = [
    digit_transposed,
    line_dropped,
    zero_amount_row_dropped,
    zero_amount_row_moved_to_an_unpublished_year,
    line_duplicated,
    line_moved_to_another_pool,
    wrong_year,
    negative_amount,
    unknown_pool_code,
    unknown_project_code,
    published_total_changed,
    published_total_repeated,
    second_document_not_adding_up,
    document_revised_twice,
    revisions_in_a_loop,
    document_without_amounts,
]
CAUGHT_BY_SEED_CHECK: list[Corruption] = [
    danish_thousands_separator,
    danish_decimal_quoted,
    danish_decimal_unquoted,
    empty_amount,
    not_utf8,
    column_missing,
]


def assert_rejected(project: Path, published: Path, expected: list[str], exit_code: int) -> None:
    checksum = sha256(published)
    result = run_pipeline(project, warehouse=published)
    assert result.exit_code == exit_code, result.output
    for fragment in expected:
        assert fragment in result.output, f"{fragment!r} missing from:\n{result.output}"
    assert "Traceback" not in result.output
    assert sha256(published) == checksum, "a failed run changed the published warehouse"
    if exit_code == 1:  # a rejected build is kept, and the output says where
        kept = re.search(r"kept for inspection in (\S+)/ until the next run", result.output)
        assert kept, result.output
        build = result.paths.warehouse.build_in(Path(kept.group(1)))
        assert build.folder.resolve() == result.paths.warehouse.build_dir.resolve()
        assert build.build_database.exists() and build.marts_database.exists()


@pytest.mark.pipeline
def test_the_shared_project_builds_clean(shared_project: SharedProject, tmp_path: Path):
    """Without a corruption the same runner passes, so each failure below is its corruption's."""
    expected, result = shared_project.build(lambda project: [], tmp_path / "build")
    assert result.success, failure_report(result)
    assert expected == [] and result.count("test", "pass") == result.count("test") > 0


@pytest.mark.pipeline
@pytest.mark.parametrize("corrupt", CAUGHT_BY_TESTS, ids=lambda corruption: corruption.__name__)
def test_build_rejects(corrupt: Corruption, shared_project: SharedProject, tmp_path: Path):
    expected, result = shared_project.build(corrupt, tmp_path / "build")
    report = failure_report(result)
    assert not result.success and result.failures, report
    for fragment in expected:
        assert fragment in report, f"{fragment!r} missing from:\n{report}"


@pytest.mark.pipeline
def test_a_failed_build_is_rejected_and_publishes_nothing(project_copy: Path, published_before: Path):
    assert_rejected(project_copy, published_before, digit_transposed(project_copy), exit_code=1)


@pytest.mark.parametrize("corrupt", CAUGHT_BY_SEED_CHECK, ids=lambda corruption: corruption.__name__)
def test_seed_check_rejects(corrupt: Corruption, project_copy: Path, published_before: Path):
    assert_rejected(project_copy, published_before, corrupt(project_copy), exit_code=2)


@pytest.mark.pipeline
def test_a_second_document_that_adds_up_needs_no_model_change(project_copy: Path):
    published_count = len(seed_rows(project_copy, "published_totals"))
    original = seed_rows(project_copy, "documents")[0]["document_id"]
    revision = add_revision(project_copy)
    result = run_pipeline(project_copy)
    assert result.exit_code == 0, result.output
    assert f"published totals reconciled: {2 * published_count}/{2 * published_count}" in result.output

    # the revision supersedes the original: only its figures are current, in every fact
    with duckdb.connect(str(result.paths.warehouse.published), read_only=True) as connection:
        documents = connection.execute(
            "select document_id, is_current, superseded_by_document_id from marts.dim_documents order by all"
        ).fetchall()
        current_in_facts = {
            table: connection.execute(
                f"select document_id, bool_and(is_current_document), bool_or(is_current_document)"
                f" from marts.{table} group by document_id order by document_id"
            ).fetchall()
            for table in ("fct_allocations", "fct_pool_year_totals", "fct_year_totals")
        }
    assert documents == sorted([(original, False, revision), (revision, True, None)])
    for table, flags in current_in_facts.items():
        assert flags == sorted([(original, False, False), (revision, True, True)]), table
