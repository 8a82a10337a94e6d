"""Input that looks different but means the same must pass the input check and build the same warehouse.

Each case changes only seed text, so all build on one project copy parsed once, through the
pipeline's own input check and dbt runner (tests/shared_project.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from seed_files import header_of, seed_path, seed_rows, write_rows
from shared_project import SharedProject, failure_report

from scripts.seed_check import check_seeds
from scripts.settings import INPUT_TABLES

COMPARED_MARTS = ["fct_allocations", "fct_pool_year_totals", "fct_year_totals", "rpt_reconciliation", "dim_projects"]


def rewrite_text(project: Path, change: Callable[[str], str]) -> None:
    for seed in INPUT_TABLES:
        path = project / "seeds" / f"{seed}.csv"
        path.write_bytes(change(path.read_text(encoding="utf-8")).encode("utf-8"))


def crlf_line_endings(project: Path) -> None:
    rewrite_text(project, lambda text: text.replace("\n", "\r\n"))


def byte_order_mark(project: Path) -> None:
    rewrite_text(project, lambda text: "\ufeff" + text)


def spaces_around_cells(project: Path) -> None:
    """Pad every value with spaces; a quoted value (one holding a comma) inside its quotes."""
    for seed in INPUT_TABLES:
        path = project / "seeds" / f"{seed}.csv"
        header = header_of(path)
        lines = [",".join(header)]
        for row in seed_rows(project, seed):
            cells = [f'" {row[column]}  "' if "," in row[column] else f" {row[column]}  " for column in header]
            lines.append(",".join(cells))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def mart_contents(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {mart: sorted(connection.execute(f"select * from marts.{mart}").fetchall()) for mart in COMPARED_MARTS}


def rewritten_and_checked(rewrite: Callable[[Path], None]) -> Callable[[Path], list]:
    """`rewrite`, then the input check's problems with the rewritten seeds."""

    def change(project: Path) -> list:
        rewrite(project)
        return check_seeds(project / "seeds")

    return change


@pytest.mark.pipeline
@pytest.mark.parametrize("rewrite", [crlf_line_endings, byte_order_mark, spaces_around_cells], ids=lambda f: f.__name__)
def test_builds_the_same_warehouse(rewrite, shared_project: SharedProject, tmp_path: Path, built):
    problems, result = shared_project.build(rewritten_and_checked(rewrite), tmp_path / "build")
    assert problems == []
    assert result.success, failure_report(result)
    assert mart_contents(tmp_path / "build" / "funding.duckdb") == mart_contents(built.paths.warehouse.published)


def test_the_comparison_sees_a_changed_figure(shared_project: SharedProject, tmp_path: Path, built):
    """The same comparison on a build whose seeds differ by one amount finds the difference."""

    def one_amount_more(project: Path) -> None:
        rows = seed_rows(project, "amounts")
        rows[0]["amount_tdkk"] = str(int(rows[0]["amount_tdkk"]) + 1)
        write_rows(seed_path(project, "amounts"), rows)

    _, result = shared_project.build(one_amount_more, tmp_path / "build")
    assert not result.success, "a changed amount no longer matches its published total"
    assert mart_contents(tmp_path / "build" / "funding.duckdb") != mart_contents(built.paths.warehouse.published)
