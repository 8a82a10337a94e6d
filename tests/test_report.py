"""The appendix reproduced: the report model against the published figures, and the report page in a browser.

- rpt_appendix_tables holds each table of the appendix as printed, figure for figure: checked
  against the seeds (the amounts and the published totals typed from the document).
- Its year columns come from the data: a fixture document with three years gives three.
- `python -m scripts report` (make report) writes the page and its screenshot from the session's
  published build into that project copy's target/report/. Headless Chromium (Debian's, through
  Selenium) opens it: every figure of its tables equals the marts, the charts render, nothing is
  fetched from the network.
- Each check is shown failing on a corrupted input.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from pipeline_runs import PipelineRun, once_for_all_workers
from seed_files import read_rows, seed_path, seed_rows, write_rows

from scripts.report import REPORT_FILE, SCREENSHOT_FILE, write_report

# the browser and the page's fixtures are shared by the tests of this file, on one worker
pytestmark = pytest.mark.xdist_group("report")

YEAR_COLUMN = re.compile(r"amount_(\d+)_tdkk")


# --- the report model against the published figures ---------------------------------------------------


def appendix_rows(warehouse: Path) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        cursor = connection.execute(
            "select * from marts.rpt_appendix_tables order by document_id, table_number, row_number_in_table"
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def year_columns(row: dict) -> dict[int, str]:
    return {int(match.group(1)): name for name in row if (match := YEAR_COLUMN.fullmatch(name))}


def published_problems(rows: list[dict], seeds: Path) -> list[str]:
    """Where the report model differs from the document: its amounts, its published totals, its order."""

    def read(seed: str) -> list[dict[str, str]]:
        return read_rows(seeds / f"{seed}.csv")

    amounts = {
        (r["document_id"], r["line_code"], int(r["fiscal_year"])): int(r["amount_tdkk"]) for r in read("amounts")
    }
    totals = read("published_totals")
    line_totals = {
        (r["document_id"], r["line_code"]): int(r["amount_tdkk"]) for r in totals if r["total_scope"] == "line"
    }
    pool_years = {
        (r["document_id"], r["pool_code"], int(r["fiscal_year"])): int(r["amount_tdkk"])
        for r in totals
        if r["total_scope"] == "pool_year"
    }
    pool_totals = {(r["document_id"], r["pool_code"]): r for r in totals if r["total_scope"] == "pool"}
    lines = sorted(read("budget_lines"), key=lambda r: (r["document_id"], int(r["line_order"])))
    projects = {(r["document_id"], r["project_code"]): r["pool_code"] for r in read("projects")}
    pools = sorted(read("pools"), key=lambda r: (r["document_id"], int(r["source_line"])))

    expected_order = [
        (pool["document_id"], pool["pool_code"], line["line_code"])
        for pool in pools
        for line in lines + [{"document_id": pool["document_id"], "line_code": None, "project_code": None}]
        if line["document_id"] == pool["document_id"]
        and (line["line_code"] is None or projects[(line["document_id"], line["project_code"])] == pool["pool_code"])
    ]
    problems = []
    if [(r["document_id"], r["pool_code"], r["line_code"]) for r in rows] != expected_order:
        problems.append("the rows are not the document's tables in the document's order")
    for row in rows:
        document, pool, line = row["document_id"], row["pool_code"], row["line_code"]
        for year, column in year_columns(row).items():
            want = amounts.get((document, line, year)) if line else pool_years.get((document, pool, year))
            if row[column] != want:
                problems.append(f"{document} {pool} {line or 'i alt'} {year}: {row[column]}, published {want}")
        want_total = line_totals.get((document, line)) if line else int(pool_totals[(document, pool)]["amount_tdkk"])
        if row["total_tdkk"] != want_total:
            problems.append(f"{document} {pool} {line or 'i alt'} total: {row['total_tdkk']}, published {want_total}")
        if not line and row["row_label"] != pool_totals[(document, pool)]["label_as_published"]:
            problems.append(f"{document} {pool}: the total row is labelled {row['row_label']!r}")
    return problems


def test_the_report_model_reproduces_every_published_figure(built: PipelineRun):
    rows = appendix_rows(built.paths.warehouse.published)
    assert rows and published_problems(rows, built.paths.project_dir / "seeds") == []


def test_the_comparison_with_the_published_figures_sees_a_changed_figure(built: PipelineRun, tmp_path: Path):
    rows = appendix_rows(built.paths.warehouse.published)
    first_year = min(year_columns(rows[0]))
    rows[0][year_columns(rows[0])[first_year]] += 1
    rows[-1]["total_tdkk"] -= 1
    problems = published_problems(rows, built.paths.project_dir / "seeds")
    assert len(problems) == 2, problems
    assert f"{first_year}:" in problems[0] and "i alt total" in problems[1]


def add_a_fiscal_year(project: Path) -> int:
    """A third year for every line of the document, and the totals it publishes changed to match."""
    amounts = seed_rows(project, "amounts")
    year = max(int(row["fiscal_year"]) for row in amounts) + 1
    added = [
        {**row, "fiscal_year": str(year), "amount_tdkk": "1"} for row in amounts if int(row["fiscal_year"]) == year - 1
    ]
    write_rows(seed_path(project, "amounts"), amounts + added)
    lines_per_pool: dict[str, int] = {}
    line_pools = {row["line_code"]: row for row in read_rows(seed_path(project, "budget_lines"))}
    projects = {row["project_code"]: row["pool_code"] for row in seed_rows(project, "projects")}
    for row in added:
        pool = projects[line_pools[row["line_code"]]["project_code"]]
        lines_per_pool[pool] = lines_per_pool.get(pool, 0) + 1
    totals = seed_rows(project, "published_totals")
    for row in totals:
        if row["total_scope"] == "line":
            row["amount_tdkk"] = str(int(row["amount_tdkk"]) + 1)
        elif row["total_scope"] == "pool":
            row["amount_tdkk"] = str(int(row["amount_tdkk"]) + lines_per_pool[row["pool_code"]])
    new_years = [
        {**row, "fiscal_year": str(year), "amount_tdkk": str(lines_per_pool[row["pool_code"]])}
        for row in totals
        if row["total_scope"] == "pool_year" and row["fiscal_year"] == str(year - 1)
    ]
    write_rows(seed_path(project, "published_totals"), totals + new_years)
    return year


def test_a_document_with_three_years_gives_three_year_columns(shared_project, tmp_path: Path):
    added_year, result = shared_project.build(add_a_fiscal_year, tmp_path / "build")
    assert result.success, result.error
    marts = tmp_path / "build" / "funding.duckdb"
    rows = appendix_rows(marts)
    years = sorted(year_columns(rows[0]))
    assert len(years) == 3 and years[-1] == added_year
    assert published_problems(rows, shared_project.project / "seeds") == []
    page = write_report(marts, tmp_path / "report").read_text(encoding="utf-8")
    for year in years:
        assert f'<th scope="col" class="num">{year}</th>' in page


# --- the page, in a browser ---------------------------------------------------------------------------


def danish_number(text: str) -> int | None:
    text = text.strip()
    if text == "–":
        return None
    return int(text.replace(".", "").replace("−", "-"))


def expected_figures(warehouse: Path) -> dict[tuple[str, str, str, str], int]:
    """Every figure the page's tables must show, from the marts (not from the report model), keyed by
    (document, pool, line, year); an empty pool or line, and the year `total`, as the page marks them."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        queries = [
            "select document_id, pool_code, line_code, fiscal_year::varchar, amount_tdkk from marts.fct_allocations",
            "select document_id, pool_code, line_code, 'total', computed_amount_tdkk from marts.rpt_reconciliation"
            " where total_scope = 'line'",
            "select document_id, pool_code, '', fiscal_year::varchar, amount_tdkk from marts.fct_pool_year_totals",
            "select document_id, pool_code, '', 'total', computed_amount_tdkk from marts.rpt_reconciliation"
            " where total_scope = 'pool'",
            "select document_id, '', '', fiscal_year::varchar, amount_tdkk from marts.fct_year_totals",
            "select document_id, '', '', 'total', sum(amount_tdkk) from marts.fct_year_totals group by all",
        ]
        return {
            (document, pool, line, year): int(amount)
            for query in queries
            for document, pool, line, year, amount in connection.execute(query).fetchall()
        }


CELLS = """return [...document.querySelectorAll('td[data-year]')].map(td => [
    td.dataset.document, td.dataset.pool, td.dataset.line, td.dataset.year, td.textContent,
    td.classList.contains('computed')])"""


def figure_problems(driver, warehouse: Path) -> list[str]:
    """Where the page's tables differ from the marts: a wrong figure, a figure missing, a figure too many,
    a total across pools not marked as computed."""
    expected = expected_figures(warehouse)
    problems, shown = [], set()
    for document, pool, line, year, text, computed in driver.execute_script(CELLS):
        key = (document, pool, line, year)
        shown.add(key)
        if key not in expected:
            problems.append(f"{key}: {text} is on the page, not in the marts")
        elif danish_number(text) != expected[key]:
            problems.append(f"{key}: the page shows {text}, the marts hold {expected[key]}")
        if not pool and not computed:
            problems.append(f"{key}: a total across pools is not marked as computed")
    problems += [f"{key}: {expected[key]} is not on the page" for key in sorted(set(expected) - shown)]
    return problems


CHARTS = """return [...document.querySelectorAll('figure svg')].map(svg => {
    const box = svg.getBoundingClientRect();
    const label = document.getElementById(svg.getAttribute('aria-labelledby'));
    return [box.width, box.height, svg.querySelectorAll('path').length, svg.textContent,
            label ? label.textContent : ''];
})"""


@pytest.fixture(scope="session")
def report(built: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m scripts report`, as `make report` runs it, on the session's published build: the page and its
    screenshot in the built project copy's target/report/."""
    out_dir = built.paths.target_dir / "report"

    def make_report() -> str:
        result = subprocess.run(
            [sys.executable, "-m", "scripts", "report", "--warehouse", str(built.paths.warehouse.published)]
            + ["--out-dir", str(out_dir)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        return result.stdout + result.stderr if result.returncode else ""

    failure = once_for_all_workers(tmp_path_factory, "report", make_report)
    assert failure == "", failure
    return out_dir / REPORT_FILE


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from scripts.browser import chromium

    with chromium() as driver:
        yield driver


def test_every_figure_on_the_page_equals_the_marts(report: Path, browser, built: PipelineRun):
    browser.get(report.as_uri())
    assert figure_problems(browser, built.paths.warehouse.published) == []
    page = report.read_text(encoding="utf-8")
    for figure in ("17.150", "16.100", "6.400", "39.650"):  # the acceptance's figures, in the page's own form
        assert figure in page


def test_the_charts_render_with_text_alternatives(report: Path, browser):
    browser.get(report.as_uri())
    charts = browser.execute_script(CHARTS)
    assert len(charts) == 2
    for width, height, paths, text, alternative in charts:
        assert width > 100 and height > 100 and paths > 0
        assert "Thousands of DKK" in text and alternative.startswith("Bar chart")


def test_the_page_loads_nothing_from_the_network(report: Path, browser):
    from scripts.browser import network_requests

    browser.get(report.as_uri())
    assert network_requests(browser) == []
    page = report.read_text(encoding="utf-8")
    # references that would load something: src, href or CSS url() other than a fragment (#id), @import
    assert re.findall(r"""\b(?:src|href)\s*=\s*["'](?!#)""", page) == []
    assert re.findall(r"url\((?!['\"]?#)|@import", page) == []


def test_the_page_is_accessible_and_printable(report: Path):
    page = report.read_text(encoding="utf-8")
    tables = re.findall(r"<table.*?</table>", page, re.DOTALL)
    assert tables and all("<caption>" in table and '<th scope="col"' in table for table in tables)
    assert page.count('role="img" aria-labelledby=') == 2
    assert '<html lang="da">' in page and "@media print" in page


def test_make_report_saves_a_screenshot_of_the_tables_and_charts(report: Path):
    from PIL import Image

    with Image.open(report.with_name(SCREENSHOT_FILE)) as image:
        width, height = image.size
        colours = image.convert("RGB").resize((64, 64)).getcolors(64 * 64)
    assert width >= 1000 and height > 2000  # the whole page, tables and charts, not one screen
    assert len(colours) > 20  # something is drawn


def test_the_figure_check_sees_a_wrong_figure_on_the_page(built: PipelineRun, browser, tmp_path: Path):
    """Fault injection: one figure of the report model changed in a copy of the release."""
    corrupted = tmp_path / "funding.duckdb"
    shutil.copyfile(built.paths.warehouse.published, corrupted)
    column = next(name for name in appendix_rows(corrupted)[0] if YEAR_COLUMN.fullmatch(name))
    with duckdb.connect(str(corrupted)) as connection:
        (document, pool, line) = connection.execute(
            f"update marts.rpt_appendix_tables set {column} = {column} + 1"
            " where appendix_row_id = (select min(appendix_row_id) from marts.rpt_appendix_tables"
            " where row_kind = 'line') returning document_id, pool_code, line_code"
        ).fetchone()
    browser.get(write_report(corrupted, tmp_path / "report").as_uri())
    problems = figure_problems(browser, corrupted)
    year = YEAR_COLUMN.fullmatch(column).group(1)
    assert len(problems) == 1 and problems[0].startswith(
        f"('{built_document(corrupted)}', '{pool}', '{line}', '{year}')"
    )


def built_document(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute("select min(document_id) from marts.rpt_appendix_tables").fetchone()[0]
