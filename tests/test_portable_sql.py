"""No engine-specific SQL outside dispatched macros.

The same models, dbt tests and macros build on DuckDB, PostgreSQL and Spark. A construct only
some engines read may appear in one place: the body of a dispatched macro made for those
engines (`{% macro duckdb__... %}`, `postgres__`, `spark__`, ...), reached through
`adapter.dispatch`. This scan reads every model, singular test and macro, with comments left
out, and names each such construct found anywhere else by file and line.

The list is of constructs known to differ between the three engines; a new one found in a
review belongs here.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from seed_files import PROJECT_DIR

SCANNED_FOLDERS = ("models", "tests/dbt", "macros")

# construct -> (pattern, the engines that read it)
ENGINE_SPECIFIC = {
    "`::` cast": (r"::", "DuckDB, PostgreSQL"),
    "regexp_full_match": (r"\bregexp_full_match\s*\(", "DuckDB"),
    "regexp_matches": (r"\bregexp_matches\s*\(", "DuckDB, PostgreSQL"),
    "rlike": (r"\brlike\b", "Spark"),
    "hugeint": (r"\bu?hugeint\b", "DuckDB"),
    "unsigned integer types": (r"\bu(tinyint|smallint|integer|bigint)\b", "DuckDB"),
    "ilike": (r"\bilike\b", "DuckDB, PostgreSQL"),
    "string_agg": (r"\bstring_agg\s*\(", "DuckDB, PostgreSQL"),
    "listagg (use dbt.listagg)": (r"(?<![.\w])listagg\s*\(", "Snowflake, Redshift"),
    "group_concat": (r"\bgroup_concat\s*\(", "DuckDB, MySQL"),
    "collect_list / collect_set": (r"\bcollect_(list|set)\s*\(", "Spark"),
    "list()": (r"(?<![.\w])list\s*\(", "DuckDB"),
    "list_ functions": (r"\blist_\w+\s*\(", "DuckDB"),
    "struct": (r"\bstruct\b", "DuckDB, Spark"),
    "struct_pack": (r"\bstruct_pack\s*\(", "DuckDB"),
    "array_agg": (r"\barray_agg\s*\(", "DuckDB, PostgreSQL"),
    "group by all": (r"\bgroup\s+by\s+all\b", "DuckDB, Spark"),
    "order by all": (r"\border\s+by\s+all\b", "DuckDB"),
    "qualify": (r"\bqualify\b", "DuckDB, Spark on Databricks"),
    "select * exclude / replace": (r"\*\s*(exclude|replace)\s*\(", "DuckDB"),
    "select * except": (r"\*\s*except\s*\(", "Spark on Databricks"),
    "read_parquet / read_csv": (r"\bread_(parquet|csv|csv_auto|json)\s*\(", "DuckDB"),
    "strftime / strptime": (r"(?<![.\w])str[fp]time\s*\(", "DuckDB"),
    "typeof": (r"\btypeof\s*\(", "DuckDB, Spark"),
    "hash()": (r"(?<![.\w])hash\s*\(", "DuckDB, Spark"),
    "md5_number": (r"\bmd5_number\s*\(", "DuckDB"),
    "epoch_ms": (r"\bepoch_ms\s*\(", "DuckDB"),
    "date_diff / datediff (use dbt.datediff)": (r"(?<![.\w])date_?diff\s*\(", "DuckDB, Spark"),
    "date_add / dateadd (use dbt.dateadd)": (r"(?<![.\w])date_?add\s*\(", "Spark, Snowflake"),
    "try_cast / safe_cast": (r"\b(try|safe)_cast\s*\(", "DuckDB, Spark, BigQuery"),
    "nvl / ifnull (use coalesce)": (r"\b(nvl|ifnull)\s*\(", "Spark, DuckDB"),
    "double-quoted string or backquoted name": (r"`", "Spark, MySQL"),
    "varchar without length vs string": (r"\bstring\b(?!_)", "Spark"),
    "text type": (r"\bas\s+text\b", "PostgreSQL, DuckDB"),
    "unnest": (r"\bunnest\s*\(", "DuckDB, PostgreSQL"),
    "explode": (r"\bexplode\s*\(", "Spark"),
    "generate_series / range": (r"\b(generate_series|range)\s*\(", "DuckDB, PostgreSQL"),
    "interval literal": (r"\binterval\s+'", "varies by engine"),
    "regexp_replace": (r"\bregexp_replace\s*\(", "flags differ by engine"),
    "create or replace": (r"\bcreate\s+or\s+replace\s+table\b", "DuckDB, Spark"),
}
PATTERNS = {name: re.compile(pattern, re.IGNORECASE) for name, (pattern, _) in ENGINE_SPECIFIC.items()}

JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
# a Jinja statement (`{% for day in range(7) %}`) is template logic, run before any engine sees SQL
JINJA_STATEMENT = re.compile(r"\{%.*?%\}", re.DOTALL)
SQL_COMMENT = re.compile(r"--[^\n]*")
STRING = re.compile(r"'(?:[^']|'')*'")
# a dispatched implementation: `{% macro <adapter>__<name>(...) %}` ... `{% endmacro %}`; the
# default__ implementation counts as engine-neutral, so it is scanned like any other SQL
DISPATCHED = re.compile(
    r"\{%-?\s*macro\s+(?!default__)[a-z0-9]+__\w+\s*\(.*?\{%-?\s*endmacro\s*-?%\}", re.DOTALL | re.IGNORECASE
)


def blanked(text: str, pattern: re.Pattern, keep_quotes: bool = False) -> str:
    """`text` with each match of `pattern` replaced by spaces, line breaks kept (so lines still count)."""

    def blank(match: re.Match) -> str:
        inner = re.sub(r"[^\n]", " ", match.group(0))
        return ("'" + inner[1:-1] + "'") if keep_quotes else inner

    return pattern.sub(blank, text)


def scannable(text: str) -> str:
    """The SQL of a file as the scan reads it: no comments, Jinja statements, string contents or dispatched bodies."""
    text = blanked(text, JINJA_COMMENT)
    text = blanked(text, DISPATCHED)
    text = blanked(text, JINJA_STATEMENT)
    text = blanked(text, SQL_COMMENT)
    return blanked(text, STRING, keep_quotes=True)


def findings(root: Path) -> list[str]:
    """Each engine-specific construct outside a dispatched macro under `root`, as `file:line: what`."""
    found = []
    for folder in SCANNED_FOLDERS:
        for path in sorted((root / folder).rglob("*.sql")):
            lines = scannable(path.read_text(encoding="utf-8")).splitlines()
            for number, line in enumerate(lines, start=1):
                for name, pattern in PATTERNS.items():
                    if pattern.search(line):
                        engines = ENGINE_SPECIFIC[name][1]
                        found.append(f"{path.relative_to(root)}:{number}: {name} (only {engines})")
    return found


def test_the_scan_reads_every_model_test_and_macro():
    files = [path for folder in SCANNED_FOLDERS for path in (PROJECT_DIR / folder).rglob("*.sql")]
    assert len([path for path in files if "models" in path.parts]) >= 19
    assert [path for path in files if "dbt" in path.parts]
    assert [path for path in files if "macros" in path.parts]


def test_no_engine_specific_sql_outside_dispatched_macros():
    assert findings(PROJECT_DIR) == []


def test_the_dispatched_macros_hold_engine_specific_sql():
    """The scan has something to leave out: DuckDB's own constructs live in duckdb__ macros."""
    macros = PROJECT_DIR / "macros"
    text = "\n".join(path.read_text(encoding="utf-8") for path in macros.rglob("*.sql"))
    inside = "\n".join(match.group(0) for match in DISPATCHED.finditer(JINJA_COMMENT.sub("", text)))
    assert any(pattern.search(inside) for pattern in PATTERNS.values())


INJECTIONS = {
    "a :: cast in a model": ("models/staging/stg_appendix__amounts.sql", "amount_tdkk::bigint", "`::` cast"),
    "string_agg in a mart": ("models/marts/release_info.sql", "string_agg(document_id, ', ')", "string_agg"),
    "group by all in a dbt test": ("tests/dbt/assert_revisions_form_chains.sql", "group by all", "group by all"),
    "a DuckDB function in a generic test's shared body": (
        "macros/tests/is_whole_number.sql",
        "regexp_full_match(x, '[0-9]+')",
        "regexp_full_match",
    ),
}


@pytest.mark.parametrize("injection", sorted(INJECTIONS))
def test_the_scan_names_an_injected_construct_by_file_and_line(injection, tmp_path):
    relative, construct, name = INJECTIONS[injection]
    for folder in SCANNED_FOLDERS:
        shutil.copytree(PROJECT_DIR / folder, tmp_path / folder)
    path = tmp_path / relative
    lines = path.read_text(encoding="utf-8").splitlines()
    # appended as SQL at the end of the file, outside any comment or macro body
    path.write_text("\n".join([*lines, f"select {construct}", ""]), encoding="utf-8")
    assert findings(tmp_path) == [f"{relative}:{len(lines) + 1}: {name} (only {ENGINE_SPECIFIC[name][1]})"]


def test_a_construct_in_a_comment_a_string_or_a_jinja_statement_is_not_sql():
    text = "{# a::b #}\n-- string_agg(x)\n{% for day in range(7) %}select 'group by all' as label{% endfor %}\n"
    assert not any(pattern.search(scannable(text)) for pattern in PATTERNS.values())
