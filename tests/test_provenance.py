"""Every figure in the seeds stands, as typed, on the source line the seeds say it came from.

The seeds were typed by hand from the document; this checks the typing against the document's
own text. A budget line's row reads `<label> <year 1> <year 2> <I alt>` in Danish number format,
and so does a pool's "i alt" row with its yearly and grand totals.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from seed_files import PROJECT_DIR, seed_rows


def danish(amount: int) -> str:
    """1500 as the document prints it: 1.500."""
    return f"{amount:,}".replace(",", ".")


def source_lines(document_id: str) -> list[str]:
    document = next(row for row in seed_rows(PROJECT_DIR, "documents") if row["document_id"] == document_id)
    return (PROJECT_DIR / document["source_file"]).read_text(encoding="utf-8").splitlines()


def source_line(document_id: str, number: str) -> str:
    return source_lines(document_id)[int(number) - 1].strip()


def yearly_amounts(rows: list[dict[str, str]]) -> list[str]:
    return [danish(int(row["amount_tdkk"])) for row in sorted(rows, key=lambda row: int(row["fiscal_year"]))]


def published(scope: str) -> list[dict[str, str]]:
    return [row for row in seed_rows(PROJECT_DIR, "published_totals") if row["total_scope"] == scope]


BUDGET_LINES = seed_rows(PROJECT_DIR, "budget_lines")
POOL_TOTALS = published("pool")


@pytest.mark.parametrize("line", BUDGET_LINES, ids=lambda line: line["line_code"])
def test_budget_line_reads_as_published(line):
    amounts = [
        row
        for row in seed_rows(PROJECT_DIR, "amounts")
        if (row["document_id"], row["line_code"]) == (line["document_id"], line["line_code"])
    ]
    total = next(
        row
        for row in published("line")
        if (row["document_id"], row["line_code"]) == (line["document_id"], line["line_code"])
    )
    assert {row["source_line"] for row in amounts} == {line["source_line"]} == {total["source_line"]}
    expected = " ".join([line["line_label"], *yearly_amounts(amounts), danish(int(total["amount_tdkk"]))])
    assert source_line(line["document_id"], line["source_line"]) == expected


@pytest.mark.parametrize("pool_total", POOL_TOTALS, ids=lambda row: row["pool_code"])
def test_pool_total_reads_as_published(pool_total):
    yearly = [
        row
        for row in published("pool_year")
        if (row["document_id"], row["pool_code"]) == (pool_total["document_id"], pool_total["pool_code"])
    ]
    assert {row["source_line"] for row in yearly} == {pool_total["source_line"]}
    expected = " ".join(
        [pool_total["label_as_published"], *yearly_amounts(yearly), danish(int(pool_total["amount_tdkk"]))]
    )
    assert source_line(pool_total["document_id"], pool_total["source_line"]) == expected


def test_pool_headings_stand_where_the_seeds_say():
    for pool in seed_rows(PROJECT_DIR, "pools"):
        assert source_line(pool["document_id"], pool["source_line"]) == pool["pool_name"]


# a label followed by two or more amounts in Danish format, such as "Labrek (Laboratorie) 400 0 400"
AMOUNT_ROW = re.compile(r"^\S.*?(?: (?:0|[1-9][0-9]{0,2}(?:\.[0-9]{3})*)){2,}$")


def test_every_amount_row_of_the_source_is_typed():
    """No row of figures in the document is left out of the seeds, and none is typed twice."""
    for document in seed_rows(PROJECT_DIR, "documents"):
        document_id = document["document_id"]
        rows_in_source = {
            number for number, text in enumerate(source_lines(document_id), start=1) if AMOUNT_ROW.match(text.strip())
        }
        typed = [int(line["source_line"]) for line in BUDGET_LINES if line["document_id"] == document_id]
        typed += [int(total["source_line"]) for total in POOL_TOTALS if total["document_id"] == document_id]
        assert sorted(typed) == sorted(rows_in_source)


def test_source_files_are_in_the_repository():
    for document in seed_rows(PROJECT_DIR, "documents"):
        assert (PROJECT_DIR / document["source_file"]).is_file(), Path(document["source_file"])
