"""`make report`: the appendix as a page, from the published warehouse, in one HTML file.

The page reproduces the appendix's tables (marts.rpt_appendix_tables) with the document's own
figures, thousands of DKK with Danish separators (17.150), adds what the document does not
publish, the totals across pools, marked as computed, and shows two charts, the reconciliation
status and where every figure comes from.

It is one self-contained file: its CSS is inline, the charts are matplotlib SVG written into the
page, and nothing is loaded from anywhere when it is viewed. The warehouse is opened read-only.
A screenshot of the page, from Debian's headless chromium (scripts/browser.py), is saved beside it.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

REPORT_FOLDER = "report"  # in the target folder
REPORT_FILE = "appendix_report.html"
SCREENSHOT_FILE = "appendix_report.png"
YEAR_COLUMN = re.compile(r"amount_(\d+)_tdkk")  # the report model's year columns (macro fiscal_year_column)
PALETTE = ["#1f3b5c", "#7a9cc6", "#c8a24a", "#5c8a5c", "#a05a4a", "#6a5c8a"]  # one colour per fiscal year


class ReportError(Exception):
    """The warehouse cannot be reported on (nothing published, a mart missing); the message says why."""


# --- what the page shows, read from the warehouse ----------------------------------------------------


@dataclass(frozen=True)
class Row:
    pool_code: str
    line_code: str | None  # None on the pool's total row
    label: str
    by_year: dict[int, int | None]
    total: int | None
    source_line: int | None

    @property
    def is_total(self) -> bool:
        return self.line_code is None


@dataclass(frozen=True)
class PoolTable:
    number: int
    pool_code: str
    pool_name: str
    pool_name_en: str
    collaboration: str
    rows: list[Row]


@dataclass(frozen=True)
class Document:
    document_id: str
    issuer: str
    title: str
    title_en: str
    budget_phase: str
    currency: str
    unit_factor: int
    source_file: str
    is_current: bool
    years: list[int]
    tables: list[PoolTable]
    year_totals: dict[int, int]  # across pools, computed (fct_year_totals)
    grand_total: int
    by_purpose: dict[str, dict[int, int]]  # spending purpose -> year -> amount
    projects: list[dict[str, Any]]
    reconciliation: list[dict[str, Any]]  # every published total, with its status


@dataclass(frozen=True)
class Release:
    release_id: str
    built_at_utc: str
    published_at_utc: str
    git_commit: str
    warehouse: str


def rows_of(connection: duckdb.DuckDBPyConnection, query: str, parameters: Sequence[Any] = ()) -> list[dict]:
    cursor = connection.execute(query, list(parameters))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_document(connection: duckdb.DuckDBPyConnection, document: dict[str, Any]) -> Document:
    document_id = document["document_id"]
    appendix = rows_of(
        connection,
        "select * from marts.rpt_appendix_tables where document_id = ? order by table_number, row_number_in_table",
        [document_id],
    )
    year_columns = {int(match.group(1)): name for name in appendix[0] if (match := YEAR_COLUMN.fullmatch(name))}
    year_totals = dict(
        connection.execute(
            "select fiscal_year, amount_tdkk from marts.fct_year_totals where document_id = ? order by fiscal_year",
            [document_id],
        ).fetchall()
    )
    # the years of this document: a column of the report is the union of every document's years
    years = sorted(year for year in year_columns if year in year_totals)
    pools = {
        row["pool_code"]: row
        for row in rows_of(connection, "select * from marts.dim_pools where document_id = ?", [document_id])
    }
    tables: dict[str, PoolTable] = {}
    for row in appendix:
        pool = pools[row["pool_code"]]
        table = tables.setdefault(
            row["pool_code"],
            PoolTable(
                row["table_number"], row["pool_code"], row["pool_name"], pool["pool_name_en"], pool["collaboration"], []
            ),
        )
        table.rows.append(
            Row(
                row["pool_code"],
                row["line_code"],
                row["row_label"],
                {year: row[year_columns[year]] for year in years},
                row["total_tdkk"],
                row["source_line"],
            )
        )
    (grand_total,) = connection.execute(
        "select cast(sum(amount_tdkk) as bigint) from marts.fct_year_totals where document_id = ?", [document_id]
    ).fetchone()
    by_purpose: dict[str, dict[int, int]] = {}
    for purpose, year, amount in connection.execute(
        "select spending_purpose, fiscal_year, cast(sum(amount_tdkk) as bigint) from marts.fct_allocations"
        " where document_id = ? group by all order by all",
        [document_id],
    ).fetchall():
        by_purpose.setdefault(purpose, {})[year] = amount
    return Document(
        document_id=document_id,
        issuer=document["issuer"],
        title=document["document_title"],
        title_en=document["document_title_en"],
        budget_phase=document["budget_phase"],
        currency=document["currency_code"],
        unit_factor=document["unit_factor"],
        source_file=document["source_file"],
        is_current=document["is_current"],
        years=years,
        tables=sorted(tables.values(), key=lambda table: table.number),
        year_totals=year_totals,
        grand_total=grand_total,
        by_purpose=by_purpose,
        projects=rows_of(
            connection,
            "select project_name, project_description_en, pool_name, spending_purpose, source_line"
            " from marts.dim_projects where document_id = ? order by source_line, project_code",
            [document_id],
        ),
        reconciliation=rows_of(
            connection,
            "select total_scope, pool_code, line_code, fiscal_year, label_as_published, published_amount_tdkk,"
            " computed_amount_tdkk, difference_tdkk, reconciliation_status, source_line"
            " from marts.rpt_reconciliation where document_id = ?"
            " order by reconciliation_status = 'reconciled', source_line, total_scope, fiscal_year",
            [document_id],
        ),
    )


def read_warehouse(warehouse: Path) -> tuple[Release, list[Document]]:
    """Everything the page shows, read from the published file, which is opened read-only."""
    if not warehouse.exists():
        raise ReportError(f"{warehouse} does not exist: publish the warehouse first (make run)")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = {
            name
            for (name,) in connection.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        }
        missing = sorted({"rpt_appendix_tables", "fct_year_totals", "dim_documents", "release_info"} - tables)
        if missing:
            raise ReportError(f"{warehouse} has no marts.{', marts.'.join(missing)}: publish it again with make run")
        release = connection.execute(
            "select release_id, built_at_utc, published_at_utc, git_commit from marts.release_info"
        ).fetchone()
        documents = rows_of(connection, "select * from marts.dim_documents order by not is_current, document_id")
        return (
            Release(*(str(value or "") for value in release), warehouse=str(warehouse)),
            [read_document(connection, document) for document in documents],
        )


# --- figures and charts ---------------------------------------------------------------------------


def danish(amount: int | None) -> str:
    """An amount as the document prints it: 17150 -> 17.150; a missing figure as an en dash."""
    if amount is None:
        return "–"
    digits = f"{abs(amount):,}".replace(",", ".")
    return f"−{digits}" if amount < 0 else digits


def purpose_name(code: str) -> str:
    """A spending purpose's code as words: software_development -> Software development."""
    return code.replace("_", " ").capitalize()


def svg_of(figure) -> str:
    """A matplotlib figure as inline SVG (text kept as text, no XML prologue)."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def bar_chart(groups: list[str], years: list[int], values: dict[str, dict[int, int]], horizontal: bool) -> str:
    """Bars of amounts per group, one bar per fiscal year, labelled in Danish thousands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    matplotlib.rcParams.update({"svg.fonttype": "none", "font.family": "sans-serif", "font.size": 10})
    figure, axes = plt.subplots(figsize=(7.5, 0.55 * len(groups) + 1.4) if horizontal else (7.5, 3.6))
    width = 0.8 / max(len(years), 1)
    for index, year in enumerate(years):
        positions = [group + (index - (len(years) - 1) / 2) * width for group in range(len(groups))]
        heights = [values[name].get(year, 0) for name in groups]
        draw = axes.barh if horizontal else axes.bar
        bars = draw(positions, heights, width, label=str(year), color=PALETTE[index % len(PALETTE)])
        axes.bar_label(bars, labels=[danish(height) for height in heights], padding=2, fontsize=8)
    ticks, value_axis = (axes.set_yticks, axes.xaxis) if horizontal else (axes.set_xticks, axes.yaxis)
    ticks(range(len(groups)), groups)
    value_axis.set_major_formatter(FuncFormatter(lambda value, _: danish(int(value))))
    if horizontal:
        axes.invert_yaxis()
        axes.set_xlabel("Thousands of DKK")
        axes.margins(x=0.12)  # room for the bars' labels
    else:
        axes.set_ylabel("Thousands of DKK")
        axes.margins(y=0.12)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(title="Fiscal year", frameon=False)
    return svg_of(figure)


# --- the page -------------------------------------------------------------------------------------

STYLE = """
:root { --ink: #1b2530; --navy: #1f3b5c; --rule: #c9d1db; --muted: #5a6572; --computed: #f3efe2; --gap: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 "Source Sans 3", "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
header { background: var(--navy); color: #fff; padding: 28px 48px 22px; }
header .issuer { text-transform: uppercase; letter-spacing: .08em; font-size: 13px; opacity: .85; }
header h1 { margin: 6px 0 4px; font: 600 26px/1.2 Georgia, "Times New Roman", serif; }
header p { margin: 2px 0; opacity: .9; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 48px 48px; }
h2 { font: 600 20px/1.3 Georgia, "Times New Roman", serif; color: var(--navy); border-bottom: 2px solid var(--navy); padding-bottom: 4px; margin-top: 36px; }
.facts { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; padding: 0; list-style: none; }
.facts li { border: 1px solid var(--rule); border-top: 4px solid var(--navy); padding: 10px 14px; min-width: 150px; }
.facts .value { display: block; font: 600 22px/1.2 Georgia, serif; }
.facts .what { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; margin: 12px 0 24px; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 6px 0; color: var(--navy); }
caption .en { font-weight: normal; color: var(--muted); }
tbody th { text-align: left; font-weight: normal; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--rule); vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); text-align: left; font-size: 13px; }
th.num, td.num { text-align: right; white-space: nowrap; }
td.src, th.src { color: var(--muted); font-size: 12px; text-align: right; }
tr.total th, tr.total td { font-weight: 700; border-top: 2px solid var(--ink); }
.computed { background: var(--computed); font-style: italic; }
.mark { color: #8a6d1a; font-style: normal; }
.status-ok { color: #2e6b34; font-weight: 600; }
.status-gap, tr.gap td { color: var(--gap); font-weight: 700; }
tr.gap { background: #fbe9e7; }
figure { margin: 16px 0 28px; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 13px; color: var(--muted); }
.note { font-size: 13px; color: var(--muted); }
dl.provenance { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; }
dl.provenance dt { font-weight: 600; }
dl.provenance dd { margin: 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
footer { max-width: 1040px; margin: 0 auto; padding: 10px 48px 24px; border-top: 1px solid var(--rule); font-size: 12px; color: var(--muted); }
@media print {
  @page { size: A4; margin: 16mm 14mm; }
  body { font-size: 10.5pt; }
  header { background: none; color: #000; border-bottom: 3px solid #000; padding: 0 0 8px; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  table, figure, .facts { break-inside: avoid; }
  .computed { background: none; }
  tr.gap { background: none; }
}
"""


def escape(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def cell(amount: int | None, attributes: dict[str, Any], computed: bool = False) -> str:
    """A figure's cell, with what it is as data attributes (the browser test reads them)."""
    data = " ".join(f'data-{name}="{escape(value)}"' for name, value in attributes.items())
    classes = "num computed" if computed else "num"
    return f'<td class="{classes}" {data}>{danish(amount)}</td>'


def pool_table(document: Document, table: PoolTable) -> str:
    head = "".join(f'<th scope="col" class="num">{year}</th>' for year in document.years)
    body = []
    for row in table.rows:
        line = row.line_code or ""
        figures = "".join(
            cell(
                row.by_year[year],
                {"document": document.document_id, "pool": table.pool_code, "line": line, "year": year},
            )
            for year in document.years
        )
        figures += cell(
            row.total, {"document": document.document_id, "pool": table.pool_code, "line": line, "year": "total"}
        )
        body.append(
            f'<tr class="{"total" if row.is_total else "line"}"><th scope="row">{escape(row.label)}</th>'
            f'{figures}<td class="src">{escape(row.source_line)}</td></tr>'
        )
    return (
        f'<table class="appendix" id="table-{escape(document.document_id)}-{escape(table.pool_code)}">'
        f"<caption>Table {table.number}. {escape(table.pool_name)} "
        f'<span class="en">({escape(table.pool_name_en)}), thousands of DKK</span></caption>'
        f'<thead><tr><th scope="col">Budget line (as published)</th>{head}<th scope="col" class="num">I alt</th>'
        f'<th scope="col" class="src">Source line</th></tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


def totals_table(document: Document) -> str:
    """The pools' totals and the totals across pools, which the document does not publish."""
    head = "".join(f'<th scope="col" class="num">{year}</th>' for year in document.years)
    rows = []
    for table in document.tables:
        total = next(row for row in table.rows if row.is_total)
        figures = "".join(
            cell(
                total.by_year[year],
                {"document": document.document_id, "pool": table.pool_code, "line": "", "year": year},
            )
            for year in document.years
        )
        figures += cell(
            total.total, {"document": document.document_id, "pool": table.pool_code, "line": "", "year": "total"}
        )
        rows.append(f'<tr><th scope="row">{escape(total.label)}</th>{figures}</tr>')
    computed = "".join(
        cell(
            document.year_totals.get(year),
            {"document": document.document_id, "pool": "", "line": "", "year": year},
            True,
        )
        for year in document.years
    )
    computed += cell(
        document.grand_total, {"document": document.document_id, "pool": "", "line": "", "year": "total"}, True
    )
    rows.append(
        '<tr class="total computed"><th scope="row">Total across pools '
        f'<span class="mark" title="Computed, not published">†</span></th>{computed}</tr>'
    )
    return (
        '<table class="summary"><caption>The pools\' totals, and the total across pools '
        '<span class="en">(thousands of DKK)</span></caption>'
        f'<thead><tr><th scope="col">Pool</th>{head}<th scope="col" class="num">I alt</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        '<p class="note"><span class="mark">†</span> Computed by the warehouse as the sum of the pools\' '
        "published totals: the document publishes no total across pools.</p>"
    )


def chart(svg: str, chart_id: str, caption: str, alternative: str) -> str:
    """A chart with its caption and a text alternative (the chart's figures in words)."""
    svg = svg.replace("<svg ", f'<svg role="img" aria-labelledby="{chart_id}-alt" ', 1)
    return (
        f'<figure id="{chart_id}">{svg}<figcaption>{escape(caption)}</figcaption>'
        f'<p class="visually-hidden" id="{chart_id}-alt">{escape(alternative)}</p></figure>'
    )


def charts(document: Document) -> str:
    pools = [table.pool_name for table in document.tables]
    by_pool = {
        table.pool_name: dict(next(row for row in table.rows if row.is_total).by_year) for table in document.tables
    }
    purposes = sorted(document.by_purpose, key=lambda purpose: -sum(document.by_purpose[purpose].values()))
    by_purpose = {purpose_name(purpose): document.by_purpose[purpose] for purpose in purposes}

    def words(values: dict[str, dict[int, int]]) -> str:
        return "; ".join(
            f"{name}: " + ", ".join(f"{year} {danish(amounts.get(year, 0))}" for year in document.years)
            for name, amounts in values.items()
        )

    return chart(
        bar_chart(pools, document.years, by_pool, horizontal=False),
        f"chart-pools-{document.document_id}",
        "Amount by pool and fiscal year, thousands of DKK.",
        "Bar chart of the amount by pool and fiscal year, in thousands of DKK. " + words(by_pool) + ".",
    ) + chart(
        bar_chart(list(by_purpose), document.years, by_purpose, horizontal=True),
        f"chart-purposes-{document.document_id}",
        "Amount by spending purpose and fiscal year, thousands of DKK.",
        "Bar chart of the amount by spending purpose and fiscal year, in thousands of DKK. " + words(by_purpose) + ".",
    )


def reconciliation_section(document: Document) -> str:
    gaps = [row for row in document.reconciliation if row["reconciliation_status"] != "reconciled"]
    count = len(document.reconciliation)
    if gaps:
        status = (
            f'<p class="status-gap" role="alert">{len(gaps)} of {count} published totals do not reconcile: '
            "the figures below differ from the document.</p>"
        )
    else:
        status = (
            f'<p class="status-ok">All {count} published totals reconcile: every line total and every pool '
            "total in the document equals the sum of its amounts, with a gap of 0.</p>"
        )
    rows = "".join(
        f'<tr class="{"ok" if row["reconciliation_status"] == "reconciled" else "gap"}">'
        f'<th scope="row">{escape(row["label_as_published"] or row["line_code"] or row["pool_code"])}</th>'
        f"<td>{escape(row['total_scope'])}</td><td>{escape(row['fiscal_year'] or 'all')}</td>"
        f'<td class="num">{danish(row["published_amount_tdkk"])}</td>'
        f'<td class="num">{danish(row["computed_amount_tdkk"])}</td>'
        f'<td class="num">{danish(row["difference_tdkk"])}</td>'
        f'<td>{escape(row["reconciliation_status"])}</td><td class="src">{escape(row["source_line"])}</td></tr>'
        for row in document.reconciliation
    )
    return (
        f'{status}<table class="reconciliation"><caption>Every published total against the sum of its amounts '
        '<span class="en">(thousands of DKK)</span></caption><thead><tr><th scope="col">Total as published</th>'
        '<th scope="col">Scope</th><th scope="col">Year</th><th scope="col" class="num">Published</th>'
        '<th scope="col" class="num">Computed</th><th scope="col" class="num">Gap</th><th scope="col">Status</th>'
        f'<th scope="col" class="src">Source line</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def projects_table(document: Document) -> str:
    rows = "".join(
        f'<tr><th scope="row">{escape(project["project_name"])}</th><td>{escape(project["pool_name"])}</td>'
        f"<td>{escape(purpose_name(project['spending_purpose']))}</td>"
        f'<td>{escape(project["project_description_en"])}</td><td class="src">{escape(project["source_line"])}</td></tr>'
        for project in document.projects
    )
    return (
        '<table class="projects"><caption>The projects, named as published, with a description in English</caption>'
        '<thead><tr><th scope="col">Project (as published)</th><th scope="col">Pool</th>'
        '<th scope="col">Spending purpose</th><th scope="col">What it is</th>'
        f'<th scope="col" class="src">Source line</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def provenance(document: Document, release: Release) -> str:
    lines = sorted({row.source_line for table in document.tables for row in table.rows if row.source_line})
    facts = [
        ("Document", f"{document.title} ({document.document_id})"),
        ("In English", document.title_en),
        ("Issuer", document.issuer),
        ("Budget phase", document.budget_phase),
        ("Unit", f"thousands of {document.currency} (figures times {danish(document.unit_factor)})"),
        ("Source", f"{document.source_file}, lines {', '.join(str(line) for line in lines)}"),
        ("Status", "current" if document.is_current else "superseded by a revision"),
        (
            "Release",
            f"{release.release_id}, built {release.built_at_utc} UTC, published {release.published_at_utc or '-'} UTC,"
            f" commit {release.git_commit or 'unknown'}",
        ),
        ("Read from", f"{release.warehouse} (read-only)"),
    ]
    return '<dl class="provenance">' + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts) + "</dl>"


def document_section(document: Document, release: Release) -> str:
    years = "–".join(str(year) for year in (document.years[:1] + document.years[-1:]))
    facts = "".join(
        f'<li><span class="value computed-figure">{danish(document.year_totals.get(year))}</span>'
        f'<span class="what">{year}, all pools †</span></li>'
        for year in document.years
    ) + (
        f'<li><span class="value computed-figure">{danish(document.grand_total)}</span>'
        f'<span class="what">{escape(years)}, all pools †</span></li>'
    )
    tables = "".join(pool_table(document, table) for table in document.tables)
    return (
        f'<section class="document" id="document-{escape(document.document_id)}">'
        f'<ul class="facts" aria-label="Totals across pools, computed">{facts}</ul>'
        '<p class="note">† Computed by the warehouse; the document publishes no total across pools. '
        "Thousands of DKK.</p>"
        f"<h2>The appendix's tables</h2>{tables}"
        f"<h2>Totals</h2>{totals_table(document)}"
        f"<h2>Charts</h2>{charts(document)}"
        f"<h2>Reconciliation</h2>{reconciliation_section(document)}"
        f"<h2>Projects</h2>{projects_table(document)}"
        f"<h2>Provenance</h2>{provenance(document, release)}"
        "</section>"
    )


def render(release: Release, documents: Iterable[Document]) -> str:
    documents = list(documents)
    first = documents[0]
    title = f"{first.issuer}: {first.title}"
    sections = "".join(document_section(document, release) for document in documents)
    return (
        '<!DOCTYPE html><html lang="da"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f'<header><div class="issuer">{escape(first.issuer)}</div><h1>{escape(first.title)}</h1>'
        f'<p lang="en">{escape(first.title_en)}</p>'
        f'<p lang="en">Budget phase: {escape(first.budget_phase)} · thousands of DKK · release {escape(release.release_id)}</p>'
        f'</header><main lang="en">{sections}</main>'
        f'<footer lang="en">Generated from the published funding warehouse, release {escape(release.release_id)}. '
        "Figures as published in thousands of DKK; totals marked † are computed.</footer></body></html>"
    )


def write_report(warehouse: Path, out_dir: Path) -> Path:
    """The page for the warehouse, written into `out_dir`; its path."""
    release, documents = read_warehouse(warehouse)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / REPORT_FILE
    page.write_text(render(release, documents), encoding="utf-8")
    return page


def main(warehouse: Path, out_dir: Path, screenshot: bool = True) -> int:
    """`python -m scripts report`: the page, and a screenshot of it from headless chromium."""
    try:
        page = write_report(warehouse, out_dir)
    except ReportError as error:
        print(f"make report: {error}")
        return 1
    print(f"Report: {page}")
    if screenshot:
        from scripts.browser import full_page_screenshot

        image = full_page_screenshot(page, out_dir / SCREENSHOT_FILE)
        print(f"Screenshot: {image}")
    return 0
