"""The README's recipes for reading the warehouse work as written.

Every fenced code block in README.md's section "Connecting a BI tool read-only" follows a marker
`<!-- recipe: NAME -->`. A test here takes the block, replaces the placeholder `/path/to/funding`
with the root of the session's project copy (whose `warehouse/funding.duckdb` is the published
marts file), runs it as a reader would, from a directory of its own, and compares what it prints
with a direct read-only query of the marts. Nothing expected is typed in: it is read from the
published database.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import sqlalchemy
from pipeline_runs import PipelineRun
from seed_files import PROJECT_DIR
from sqlalchemy import create_engine, inspect, select, text

README = PROJECT_DIR / "README.md"
SECTION = "## Connecting a BI tool read-only"
PLACEHOLDER = "/path/to/funding"
MARKER = re.compile(r"^<!-- recipe: ([a-z0-9-]+) -->$")
# An absolute path, also inside a URL such as duckdb:////path or jdbc:duckdb:/path.
ABSOLUTE_PATH = re.compile(r"(?<![\w./-])/+[\w.-]+(?:/[\w.-]+)*")

# What every recipe prints: each pool's total per fiscal year, with the published figure beside it.
COLUMNS = ["pool_code", "fiscal_year", "amount_tdkk", "published_amount_tdkk"]
EXPECTED_SQL = f"select {', '.join(COLUMNS)} from marts.fct_pool_year_totals order by pool_code, fiscal_year"

MART_COLUMNS_SQL = (
    "select column_name from duckdb_columns()"
    " where schema_name = 'marts' and table_name = 'fct_pool_year_totals' order by column_index"
)

# The schema as duckdb-engine names it: database (the file's name) and schema, as the README says.
SQLALCHEMY_SCHEMA = "funding.marts"

# Appended to the SQLAlchemy recipe, to use the engine it made: reflection, read-only, keys.
# The write is tried last, in the connection's own transaction, which is never committed.
SQLALCHEMY_PROBE = """
import json as _json
from sqlalchemy import MetaData as _MetaData, Table as _Table, inspect as _inspect, text as _text
_inspector = _inspect(engine)
_report = {"columns": [[c["name"], c.get("comment")]
                       for c in _inspector.get_columns("fct_pool_year_totals", schema="marts")]}
_reflect = {
    "get_pk_constraint": lambda: _inspector.get_pk_constraint("fct_pool_year_totals", schema="marts"),
    "get_foreign_keys": lambda: _inspector.get_foreign_keys("fct_pool_year_totals", schema="marts"),
    "autoload": lambda: _Table("fct_pool_year_totals", _MetaData(), schema="marts", autoload_with=engine),
}
for _name, _call in _reflect.items():
    try:
        _call()
        _report[_name] = "reflected"
    except Exception as _error:
        _report[_name] = str(_error)
with engine.connect() as _connection:
    _report["readonly"] = _connection.execute(_text(
        "select readonly from duckdb_databases() where database_name = current_database()")).scalar()
    _report["keys"] = sorted({row[0] for row in _connection.execute(_text(
        "select constraint_type from duckdb_constraints()"
        " where schema_name = 'marts' and table_name = 'fct_pool_year_totals'"))})
    try:
        _connection.execute(_text("create table marts.recipe_probe (x integer)"))
        _report["write"] = "succeeded"
    except Exception as _error:
        _report["write"] = str(_error)
print("PROBE " + _json.dumps(_report))
"""


@dataclass(frozen=True)
class Recipe:
    name: str | None  # None: a code block with no marker
    language: str
    code: str

    def for_clone(self, root: Path | str) -> str:
        """The code with the placeholder replaced by `root`, as a reader replaces it."""
        return self.code.replace(PLACEHOLDER, str(root))


def readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{SECTION}\n") + 1
    end = text.find("\n## ", start + len(SECTION))
    return text[start:] if end == -1 else text[start : end + 1]


def code_blocks(section: str) -> list[Recipe]:
    """Every fenced code block of the section, with the name of the marker right before it."""
    blocks, lines, index, previous = [], section.splitlines(), 0, ""
    while index < len(lines):
        line = lines[index]
        if line.startswith("```"):
            end = next((i for i in range(index + 1, len(lines)) if lines[i].startswith("```")), None)
            assert end is not None, f"a code block is not closed: {line}"
            marker = MARKER.match(previous)
            blocks.append(
                Recipe(marker and marker.group(1), line[3:].strip(), "\n".join(lines[index + 1 : end]) + "\n")
            )
            index, previous = end + 1, ""
            continue
        if line.strip():
            previous = line.strip()
        index += 1
    return blocks


def readme_recipes() -> dict[str, Recipe]:
    return {block.name: block for block in code_blocks(readme_section()) if block.name}


RECIPES = readme_recipes()
COVERED: set[str] = set()


def runs_recipes(*names: str):
    """Mark a test as the one that runs these recipes (see test_every_marked_recipe_is_run_by_a_test)."""
    COVERED.update(names)
    return lambda test: test


# --- the published warehouse and what it holds ---------------------------------------------


@pytest.fixture(scope="module")
def clone(built: PipelineRun) -> Path:
    """The root of the session's project copy: what a reader puts in place of the placeholder.

    The recipes assume the published layout, `warehouse/funding.duckdb` beside
    `warehouse/exports/`; the session's run must have published exactly there.
    """
    published = built.paths.warehouse.published
    root = published.parent.parent
    assert published == root / "warehouse" / "funding.duckdb"
    assert built.paths.warehouse.exports == root / "warehouse" / "exports"
    return root


@pytest.fixture(scope="module")
def published(built: PipelineRun) -> Path:
    return built.paths.warehouse.published


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def expected(published: Path) -> list[list[str]]:
    """The rows every recipe must print, as text, read straight from the published marts."""
    rows = query(published, EXPECTED_SQL)
    assert rows, "marts.fct_pool_year_totals is empty: the recipes would prove nothing"
    return [[str(value) for value in row] for row in rows]


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """An empty working directory: recipes use absolute paths and must not rely on the clone's."""
    directory = tmp_path / "elsewhere"
    directory.mkdir()
    return directory


@contextmanager
def another_reader(database: Path) -> Iterator[None]:
    """Another process's read-only connection, held while a recipe runs: DuckDB then refuses a
    connection that is not read-only ("Could not set lock on file"), whoever runs it, root too."""
    with duckdb.connect(str(database), read_only=True):
        yield


# --- running recipes -------------------------------------------------------------------------

Recipes = dict[str, Recipe]


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def succeeded(result: subprocess.CompletedProcess, name: str) -> str:
    assert result.returncode == 0, f"recipe {name} exited with {result.returncode}:\n{result.stderr}"
    return result.stdout


def assert_rows(name: str, printed: list[list[str]], expected: list[list[str]]) -> None:
    assert printed == expected, f"recipe {name} printed rows that differ from marts.fct_pool_year_totals"


def tab_separated(stdout: str) -> list[list[str]]:
    return [line.split("\t") for line in stdout.splitlines()]


def duckdb1_python() -> Path:
    """The DuckDB 1.x client `make test` installs (found as tests/test_release_safety.py finds it)."""
    python = Path(os.environ.get("DUCKDB1_PYTHON", PROJECT_DIR / ".venv-duckdb1" / "bin" / "python"))
    if not python.exists():
        pytest.fail(f"no DuckDB 1.x client at {python}; `make test` installs it from requirements-duckdb1.lock")
    return python


def check_python(root, cwd, expected, recipes: Recipes = RECIPES, python: Path | str = sys.executable) -> None:
    code = recipes["python"].for_clone(root)
    stdout = succeeded(run([str(python), "-c", code], cwd), "python")
    assert_rows("python", tab_separated(stdout), expected)


def check_sqlalchemy(root, cwd, expected, recipes: Recipes = RECIPES) -> dict:
    """Run the recipe with the probe after it; return the probe's report."""
    code = recipes["sqlalchemy"].for_clone(root) + SQLALCHEMY_PROBE
    lines = succeeded(run([sys.executable, "-c", code], cwd), "sqlalchemy").splitlines()
    probes = [line for line in lines if line.startswith("PROBE ")]
    assert_rows("sqlalchemy", tab_separated("\n".join(line for line in lines if line not in probes)), expected)
    assert len(probes) == 1, lines
    return json.loads(probes[0].removeprefix("PROBE "))


def cli_environment() -> dict[str, str]:
    """The reader's shell after `source .venv/bin/activate`: the project's `duckdb` first on PATH."""
    binaries = Path(sys.executable).parent
    assert (binaries / "duckdb").exists(), f"no DuckDB CLI at {binaries / 'duckdb'}; it comes with requirements.lock"
    return {**os.environ, "PATH": f"{binaries}{os.pathsep}{os.environ.get('PATH', '')}"}


def check_duckdb_cli(root, cwd, expected, recipes: Recipes = RECIPES) -> None:
    command = ["/bin/sh", "-c", recipes["duckdb-cli"].for_clone(root)]
    stdout = succeeded(run(command, cwd, cli_environment()), "duckdb-cli")
    header, *rows = [line.split(",") for line in stdout.splitlines()]
    assert header == COLUMNS
    assert_rows("duckdb-cli", rows, expected)


def check_pandas_parquet(root, cwd, expected, recipes: Recipes = RECIPES) -> None:
    stdout = succeeded(run([sys.executable, "-c", recipes["pandas-parquet"].for_clone(root)], cwd), "pandas-parquet")
    header, *rows = [line.split() for line in stdout.splitlines()]
    assert header == COLUMNS
    assert_rows("pandas-parquet", rows, expected)


def check_superset(root, published: Path, expected, recipes: Recipes = RECIPES) -> None:
    """What Superset does with the two settings: an engine, reflection, and queries. A dataset
    is a table of a schema with the columns `get_columns` reflected, as Superset keeps it.

    In this process, since DuckDB refuses a second connection to one file in one process with
    another configuration; `published` is only read before the engine connects."""
    uri = recipes["superset-uri"].for_clone(root).strip()
    assert uri.startswith("duckdb:////"), "an absolute path needs four slashes"
    marts = {name for (name,) in query(published, "select table_name from duckdb_tables() where schema_name = 'marts'")}
    columns = [name for (name,) in query(published, MART_COLUMNS_SQL)]
    engine = create_engine(uri, **json.loads(recipes["superset-engine-parameters"].code))
    try:
        inspector = inspect(engine)
        assert SQLALCHEMY_SCHEMA in inspector.get_schema_names()
        assert set(inspector.get_table_names(schema=SQLALCHEMY_SCHEMA)) == marts
        reflected = inspector.get_columns("fct_pool_year_totals", schema=SQLALCHEMY_SCHEMA)
        assert [column["name"] for column in reflected] == columns
        dataset = sqlalchemy.table(
            "fct_pool_year_totals",
            *(sqlalchemy.column(column["name"]) for column in reflected),
            schema=SQLALCHEMY_SCHEMA,
        )
        with engine.connect() as connection:
            readonly = connection.execute(
                text("select readonly from duckdb_databases() where database_name = current_database()")
            ).scalar()
            assert readonly is True, "the engine parameters do not open the file read-only"
            in_sql_lab = connection.execute(text(EXPECTED_SQL)).fetchall()
            as_dataset = connection.execute(
                select(*(dataset.c[column] for column in COLUMNS)).order_by(dataset.c.pool_code, dataset.c.fiscal_year)
            ).fetchall()
    finally:
        engine.dispose()
    assert_rows("superset-uri", [[str(value) for value in row] for row in in_sql_lab], expected)
    assert_rows("superset-uri", [[str(value) for value in row] for row in as_dataset], expected)


# --- the README's section ----------------------------------------------------------------------


def test_every_code_block_in_the_section_is_a_marked_recipe():
    blocks = code_blocks(readme_section())
    unmarked = [block.code for block in blocks if block.name is None]
    assert not unmarked, f"code blocks without a `<!-- recipe: NAME -->` marker: {unmarked}"
    names = [block.name for block in blocks]
    assert len(names) == len(set(names)), f"a recipe name is used twice: {names}"
    assert len(names) >= 5


def test_every_path_is_a_marked_placeholder():
    section = " ".join(readme_section().split())
    assert f"Replace `{PLACEHOLDER}` with the absolute path of your clone" in section
    absolute = ["/" + path.lstrip("/") for path in ABSOLUTE_PATH.findall(section)]
    assert absolute, "no absolute path found: the check below would prove nothing"
    strays = [path for path in absolute if path != PLACEHOLDER and not path.startswith(PLACEHOLDER + "/")]
    assert not strays, f"absolute paths that are not the placeholder: {strays}"
    for recipe in RECIPES.values():
        if recipe.name != "superset-engine-parameters":
            assert PLACEHOLDER in recipe.code, f"recipe {recipe.name} does not use the placeholder"
        if recipe.language == "python":
            assert f"# Replace {PLACEHOLDER} with the absolute path of your clone." in recipe.code


def test_every_marked_recipe_is_run_by_a_test():
    assert set(RECIPES) == COVERED, (
        f"recipes in the README that no test runs: {sorted(set(RECIPES) - COVERED)}; "
        f"recipes tested here that the README no longer has: {sorted(COVERED - set(RECIPES))}"
    )


# --- each recipe against the published warehouse --------------------------------------------


@runs_recipes("python")
@pytest.mark.parametrize("client", ["project duckdb", "duckdb 1.x client"])
def test_python_recipe(client, clone, published, expected, elsewhere):
    python = sys.executable if client == "project duckdb" else duckdb1_python()
    with another_reader(published):
        check_python(clone, elsewhere, expected, python=python)


@runs_recipes("sqlalchemy")
def test_sqlalchemy_recipe_reads_reflects_and_is_read_only(clone, published, expected, elsewhere):
    assert sqlalchemy.__version__.startswith("2.0."), "the README's versions are the ones tested"
    with another_reader(published):
        report = check_sqlalchemy(clone, elsewhere, expected)
    columns = query(published, MART_COLUMNS_SQL.replace("select column_name", "select column_name, comment"))
    assert [tuple(column) for column in report["columns"]] == columns
    assert all(comment for _, comment in columns), "a column without a description"
    assert report["readonly"] is True
    assert "read-only" in report["write"], report["write"]
    assert "PRIMARY KEY" in report["keys"]
    # The README says duckdb-engine 0.17 cannot reflect keys; when it can, say so there.
    for name in ("get_pk_constraint", "get_foreign_keys", "autoload"):
        assert "REGCLASS does not exist" in report[name], report[name]


@runs_recipes("duckdb-cli")
def test_duckdb_cli_recipe(clone, published, expected, elsewhere):
    found = shutil.which("duckdb", path=cli_environment()["PATH"])
    assert found == str(Path(sys.executable).parent / "duckdb")
    version = run([found, "--version"], elsewhere)
    assert version.stdout.startswith("v1.5.6"), version.stdout
    with another_reader(published):
        check_duckdb_cli(clone, elsewhere, expected)


@runs_recipes("pandas-parquet")
def test_pandas_parquet_recipe(clone, expected, elsewhere):
    check_pandas_parquet(clone, elsewhere, expected)


@runs_recipes("superset-uri", "superset-engine-parameters")
def test_superset_settings(clone, published, expected):
    check_superset(clone, published, expected)


# --- the checks can fail ----------------------------------------------------------------------

CHECKS = ["python", "sqlalchemy", "duckdb-cli", "pandas-parquet", "superset"]


def check(name: str, root, cwd: Path, published: Path, expected, recipes: Recipes = RECIPES) -> None:
    """One of the checks the tests above make, on `root` instead of the session's clone."""
    if name == "superset":
        check_superset(root, published, expected, recipes)
        return
    checks = {
        "python": check_python,
        "sqlalchemy": check_sqlalchemy,
        "duckdb-cli": check_duckdb_cli,
        "pandas-parquet": check_pandas_parquet,
    }
    checks[name](root, cwd, expected, recipes)


@pytest.mark.parametrize("path", ["placeholder left in", "wrong path"])
@pytest.mark.parametrize("name", CHECKS)
def test_a_recipe_pointed_at_no_warehouse_fails(name, path, published, expected, elsewhere, tmp_path):
    root = PLACEHOLDER if path == "placeholder left in" else tmp_path / "not-a-clone"
    with pytest.raises((AssertionError, sqlalchemy.exc.DBAPIError), match="does not exist|FileNotFoundError"):
        check(name, root, elsewhere, published, expected)


def copy_clone(published: Path, root: Path, change_a_figure: bool) -> Path:
    """A clone of its own with a copy of the published marts (writable, unlike the release), and
    the pool-year export; with `change_a_figure`, one pool-year amount is 1 more than published."""
    (root / "warehouse" / "exports").mkdir(parents=True)
    database = root / "warehouse" / "funding.duckdb"
    shutil.copyfile(published.resolve(), database)
    database.chmod(0o644)
    with duckdb.connect(str(database)) as connection:
        if change_a_figure:
            connection.execute(
                "update marts.fct_pool_year_totals set amount_tdkk = amount_tdkk + 1"
                " where pool_year_id = (select min(pool_year_id) from marts.fct_pool_year_totals)"
            )
        parquet = root / "warehouse" / "exports" / "fct_pool_year_totals.parquet"
        connection.execute(f"copy marts.fct_pool_year_totals to '{parquet}' (format parquet)")
    return root


@pytest.mark.parametrize("name", CHECKS)
def test_a_recipe_printing_other_figures_fails(name, published, expected, elsewhere, tmp_path):
    other = copy_clone(published, tmp_path / "other", change_a_figure=True)
    with pytest.raises(AssertionError, match="differ from marts.fct_pool_year_totals"):
        check(name, other, elsewhere, published, expected)


# Each recipe with its read-only option taken out, as a reader might forget it.
NOT_READ_ONLY = {
    "python": ("python", ", read_only=True", ""),
    "sqlalchemy": ("sqlalchemy", 'connect_args={"read_only": True}', "connect_args={}"),
    "duckdb-cli": ("duckdb-cli", "-readonly ", ""),
    "superset": ("superset-engine-parameters", '{"connect_args": {"read_only": true}}', "{}"),
}


@pytest.mark.parametrize("name", list(NOT_READ_ONLY))
def test_a_recipe_that_is_not_read_only_fails(name, published, expected, elsewhere, tmp_path):
    """On a copy of the release: a connection that is not read-only could write to it."""
    recipe, option, without = NOT_READ_ONLY[name]
    assert option in RECIPES[recipe].code
    forgetful = {
        **RECIPES,
        recipe: dataclasses.replace(RECIPES[recipe], code=RECIPES[recipe].code.replace(option, without)),
    }
    copy = copy_clone(published, tmp_path / "copy", change_a_figure=False)
    check(name, copy, elsewhere, published, expected)  # as written, the recipe reads the copy
    if name == "superset":  # in this process, where a second connection would clash with the engine's
        with pytest.raises(AssertionError, match="do not open the file read-only"):
            check(name, copy, elsewhere, published, expected, forgetful)
        return
    with another_reader(copy / "warehouse" / "funding.duckdb"):
        with pytest.raises(AssertionError, match="Could not set lock on file"):
            check(name, copy, elsewhere, published, expected, forgetful)
