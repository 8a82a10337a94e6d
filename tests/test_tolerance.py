"""Input that looks different but means the same must build the same warehouse."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from pipeline_runs import run_pipeline
from seed_files import header_of, seed_rows

SEEDS = ["documents", "pools", "projects", "budget_lines", "amounts", "published_totals"]
COMPARED_MARTS = ["fct_allocations", "fct_pool_year_totals", "fct_year_totals", "rpt_reconciliation", "dim_projects"]


def rewrite_text(project: Path, change: Callable[[str], str]) -> None:
    for seed in SEEDS:
        path = project / "seeds" / f"{seed}.csv"
        path.write_bytes(change(path.read_text(encoding="utf-8")).encode("utf-8"))


def crlf_line_endings(project: Path) -> None:
    rewrite_text(project, lambda text: text.replace("\n", "\r\n"))


def byte_order_mark(project: Path) -> None:
    rewrite_text(project, lambda text: "\ufeff" + text)


def spaces_around_cells(project: Path) -> None:
    """Pad every value with spaces; a quoted value (one holding a comma) inside its quotes."""
    for seed in SEEDS:
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


@pytest.mark.pipeline
@pytest.mark.parametrize("rewrite", [crlf_line_endings, byte_order_mark, spaces_around_cells], ids=lambda f: f.__name__)
def test_builds_the_same_warehouse(rewrite, project_copy: Path, built):
    rewrite(project_copy)
    result = run_pipeline(project_copy)
    assert result.exit_code == 0, result.output
    assert mart_contents(result.paths.warehouse.published) == mart_contents(built.paths.warehouse.published)
