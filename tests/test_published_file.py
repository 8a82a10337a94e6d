"""The published file is for reading: marts only, self-describing, keyed, read-only, and sealed.

Every check here runs on the session's published release and, to show that it can fail, on a
copy corrupted in the way the check is there to catch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest
import yaml
from published_checks import key_constraints, schema_problems, undescribed
from seed_files import PROJECT_DIR, seed_path, seed_rows

from scripts.publish import Warehouse, release_status

PUBLISHED_YAMLS = [
    PROJECT_DIR / "models" / "marts" / "_marts__models.yml",
    PROJECT_DIR / "models" / "reports" / "_reports__models.yml",
]
UNPRIVILEGED = "nobody"


@pytest.fixture(scope="module")
def published(built) -> Path:
    return built.paths.warehouse.published


@pytest.fixture(scope="module")
def connection(published):
    with duckdb.connect(str(published), read_only=True) as connection:
        yield connection


@pytest.fixture
def writable_copy(published, tmp_path) -> Path:
    """A writable copy of the published file, for a test to corrupt."""
    copy = tmp_path / published.name
    shutil.copyfile(published, copy)
    return copy


def declared_models() -> dict[str, dict]:
    """Every published model (marts and reports) as its YAML declares it."""
    return {
        model["name"]: model
        for path in PUBLISHED_YAMLS
        for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]
    }


# --- marts only -------------------------------------------------------------------------------------


def test_the_published_file_holds_the_marts_and_nothing_else(connection):
    assert schema_problems(connection) == []
    tables = {
        name
        for (name,) in connection.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'"
        ).fetchall()
    }
    assert tables == set(declared_models())
    assert {"dim_documents", "release_info"} <= tables


def test_a_build_schema_in_the_published_file_is_found(writable_copy):
    with duckdb.connect(str(writable_copy)) as connection:
        connection.execute("create schema audit")
        connection.execute("create table main.leftover as select 1 as x")
        assert schema_problems(connection) == ["schema audit is published", "main.leftover is published"]


def test_the_build_database_is_kept_with_the_release_for_auditors(built):
    release = built.paths.warehouse.current_release
    with duckdb.connect(str(release.build_database), read_only=True) as connection:
        names = {name for (name,) in connection.execute("select schema_name from duckdb_schemas()").fetchall()}
        assert {"raw", "staging", "intermediate"} <= names
        assert "marts" not in names


# --- describes itself ---------------------------------------------------------------------------------


def test_every_table_and_column_has_its_yaml_description_as_a_comment(connection):
    assert undescribed(connection) == []
    comments = dict(
        connection.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall()
    )
    for name, model in declared_models().items():
        assert comments[name].split() == model["description"].split(), name


def test_a_missing_comment_is_found(writable_copy):
    with duckdb.connect(str(writable_copy)) as connection:
        connection.execute("comment on column marts.fct_pool_year_totals.share_of_year is null")
        connection.execute("comment on table marts.dim_pools is ''")
        assert sorted(undescribed(connection)) == [
            "column fct_pool_year_totals.share_of_year has no comment",
            "table dim_pools has no comment",
        ]


def test_non_additive_columns_say_so(connection):
    for name, model in declared_models().items():
        for column in model["columns"]:
            if column.get("meta", {}).get("additive") is False:
                (comment,) = connection.execute(
                    "select comment from duckdb_columns() where schema_name = 'marts' and table_name = ?"
                    " and column_name = ?",
                    [name, column["name"]],
                ).fetchone()
                assert "not additive" in comment.lower(), f"{name}.{column['name']}: {comment}"


def test_year_grained_marts_carry_a_date_for_the_fiscal_year(connection):
    for table in ("fct_allocations", "fct_pool_year_totals", "fct_year_totals"):
        mismatched = connection.execute(
            f"select count(*) from marts.{table} where year(fiscal_year_start_date) <> fiscal_year"
            f" or month(fiscal_year_start_date) <> 1 or day(fiscal_year_start_date) <> 1"
        ).fetchone()[0]
        (data_type,) = connection.execute(
            "select data_type from duckdb_columns() where schema_name = 'marts' and table_name = ?"
            " and column_name = 'fiscal_year_start_date'",
            [table],
        ).fetchone()
        assert (data_type, mismatched) == ("DATE", 0), table


# --- keys -----------------------------------------------------------------------------------------------


def declared_keys() -> dict[str, dict]:
    """Each mart's keys as the YAML declares them: a primary key as a constraint or in meta, foreign keys in meta."""
    keys: dict[str, dict] = {}
    for name, model in declared_models().items():
        entry = keys.setdefault(name, {"primary_key": [], "foreign_keys": [], "enforced": False})
        for column in model["columns"]:
            meta = column.get("meta", {})
            if meta.get("primary_key"):
                entry["primary_key"].append(column["name"])
            if "foreign_key" in meta:
                table, _, target = meta["foreign_key"].partition(".")
                entry["foreign_keys"].append((column["name"], table, target))
            for constraint in column.get("constraints", []):
                assert constraint["type"] != "foreign_key", f"{name}.{column['name']}: a foreign key belongs in meta"
                if constraint["type"] == "primary_key":
                    entry["primary_key"].append(column["name"])
                    entry["enforced"] = True
    return keys


def key_violations(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Every declared key that does not hold in the file: a repeated primary key or an orphaned foreign key."""
    problems = []
    for name, entry in declared_keys().items():
        (key,) = entry["primary_key"]
        rows, distinct = connection.execute(f"select count(*), count(distinct {key}) from marts.{name}").fetchone()
        if rows != distinct or rows == 0:
            problems.append(f"{name}.{key}: {rows} rows, {distinct} distinct keys")
        for column, table, target in entry["foreign_keys"]:
            (orphans,) = connection.execute(
                f"select count(*) from marts.{name} where {column} not in (select {target} from marts.{table})"
            ).fetchone()
            if orphans:
                problems.append(f"{name}.{column}: {orphans} rows not in {table}.{target}")
    return problems


def test_every_mart_declares_a_primary_key_and_the_small_ones_enforce_theirs(connection):
    declared, enforced = declared_keys(), key_constraints(connection)
    assert all(len(entry["primary_key"]) == 1 for entry in declared.values()), declared
    assert set(enforced) == {name for name, entry in declared.items() if entry["enforced"]}
    for name, entry in enforced.items():
        assert entry["primary_key"] == declared[name]["primary_key"], name
        assert entry["foreign_keys"] == [], f"{name}: a foreign key constraint makes a mart depend on a mart"


def test_every_declared_key_holds_in_the_published_file(connection):
    assert key_violations(connection) == []


@pytest.mark.parametrize(
    ("corruption", "named"),
    [
        (
            "insert into marts.fct_pool_year_totals (pool_year_id, pool_key, document_id, pool_code,"
            " fiscal_year, fiscal_year_start_date, is_current_document)"
            " values ('orphan', 'no such pool', (select min(document_id) from marts.dim_documents),"
            " 'none', 1, date '0001-01-01', true)",
            "fct_pool_year_totals.pool_key: 1 rows not in dim_pools.pool_key",
        ),
        (
            "insert into marts.fct_allocations select * from marts.fct_allocations limit 1",
            "fct_allocations.allocation_id:",
        ),
    ],
    ids=["orphaned-foreign-key", "repeated-primary-key"],
)
def test_the_key_check_names_a_broken_key(writable_copy, corruption, named):
    with duckdb.connect(str(writable_copy)) as connection:
        connection.execute(corruption)
        problems = key_violations(connection)
    assert any(problem.startswith(named) for problem in problems), problems


# --- documents and the release ---------------------------------------------------------------------


def test_dim_documents_holds_each_document_as_the_seeds_do(built, connection):
    rows = connection.execute(
        "select document_id, issuer, document_title, budget_phase, currency_code, unit_factor,"
        " supersedes_document_id, is_current from marts.dim_documents order by document_id"
    ).fetchall()
    documents = sorted(seed_rows(built.paths.project_dir, "documents"), key=lambda row: row["document_id"])
    superseded = {row["supersedes_document_id"] for row in documents if row["supersedes_document_id"]}
    assert rows == [
        (
            row["document_id"],
            row["issuer"],
            row["title"],
            row["budget_phase"],
            row["currency"],
            int(row["unit_factor"]),
            row["supersedes_document_id"] or None,
            row["document_id"] not in superseded,
        )
        for row in documents
    ]


def test_release_info_names_the_release_and_its_inputs(built, connection):
    cursor = connection.execute("select * from marts.release_info")
    columns = [description[0] for description in cursor.description]
    (row,) = cursor.fetchall()
    info = dict(zip(columns, row, strict=True))
    release = built.paths.warehouse.current_release
    assert info["release_id"] == release.id
    assert info["published_at_utc"] is not None and info["built_at_utc"] <= info["published_at_utc"]
    assert info["dbt_version"] and info["engine_version"] == "v" + duckdb.__version__
    seeds = built.paths.project_dir / "seeds"
    assert json.loads(info["input_checksums"]) == {
        f"seeds/{path.name}": "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(seeds.glob("*.csv"))
    }
    documents = sorted(row["document_id"] for row in seed_rows(built.paths.project_dir, "documents"))
    assert info["document_ids"].split(", ") == documents


# --- read-only on disk ------------------------------------------------------------------------------


def duckdb_cli() -> Path:
    """The DuckDB CLI binary itself (duckdb-cli), not its Python launcher."""
    import duckdb_cli

    return Path(duckdb_cli.__file__).parent / "duckdb"


def open_as_unprivileged(database: Path, *flags: str) -> subprocess.CompletedProcess:
    """Open `database` with the CLI copied beside it (see owned_by_unprivileged), as that user."""
    return subprocess.run(
        [
            "runuser",
            "-u",
            UNPRIVILEGED,
            "--",
            str(database.parent / "duckdb"),
            *flags,
            str(database),
            "-c",
            "select count(*) from marts.release_info",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def owned_by_unprivileged(published) -> Path:
    """A copy of the published file, with its mode, owned by an unprivileged user.

    Root ignores file modes, and a user who does not own a file could not write it whatever
    its mode; a copy that the user owns shows that the mode alone refuses the writer. The
    DuckDB CLI is copied into the same world-readable folder: the project's own copy may lie
    where that user cannot reach it (a clone in a private temporary folder, say).
    """
    if os.geteuid() != 0:
        pytest.skip("needs root, to hand a copy to an unprivileged user")
    folder = Path(tempfile.mkdtemp(prefix="funding-readonly-"))
    folder.chmod(0o755)
    shutil.copy2(duckdb_cli(), folder / "duckdb")
    copy = folder / published.name
    shutil.copy2(published.resolve(), copy)
    shutil.chown(copy, user=UNPRIVILEGED)
    yield copy
    shutil.rmtree(folder)


def test_the_published_files_are_read_only_on_disk(built):
    release = built.paths.warehouse.current_release
    for path in [release.marts_database, release.build_database, release.manifest, *release.exports.iterdir()]:
        assert path.stat().st_mode & 0o222 == 0, f"{path} is writable"


def test_a_client_that_forgets_read_only_fails_at_once(owned_by_unprivileged):
    writer = open_as_unprivileged(owned_by_unprivileged)
    assert writer.returncode != 0 and "Permission denied" in writer.stderr, writer
    reader = open_as_unprivileged(owned_by_unprivileged, "-readonly")
    assert reader.returncode == 0, reader.stderr


def test_a_writable_copy_would_take_the_write_lock(owned_by_unprivileged):
    owned_by_unprivileged.chmod(0o644)
    writer = open_as_unprivileged(owned_by_unprivileged)
    assert writer.returncode == 0, writer.stderr


# --- make status --------------------------------------------------------------------------------------


def status_of(warehouse: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scripts", "status", "--warehouse", str(warehouse)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def warehouse_copy(built, tmp_path) -> Warehouse:
    return Warehouse(built.copy_release_to(tmp_path))


def test_status_reports_the_current_release(built, warehouse_copy):
    answer = status_of(warehouse_copy.published)
    release = warehouse_copy.current_release
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert f"Current release of {warehouse_copy.published}: {release.id}" in answer.stdout
    assert "OK: all" in answer.stdout
    for path in seed_path(built.paths.project_dir, "amounts"), seed_path(built.paths.project_dir, "documents"):
        assert f"seeds/{path.name}  sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}" in answer.stdout


@pytest.mark.parametrize("changed", ["funding.duckdb", "exports/fct_pool_year_totals.csv", "funding_build.duckdb"])
def test_status_reports_a_changed_release(warehouse_copy, changed):
    path = warehouse_copy.current_release.folder / changed
    path.chmod(0o644)
    with path.open("ab") as handle:
        handle.write(b"\0")
    answer = status_of(warehouse_copy.published)
    assert answer.returncode == 1, answer.stdout
    assert "CHANGED" in answer.stdout and f"{changed} (its SHA-256 differs" in answer.stdout
    assert release_status(warehouse_copy).changed == [
        f"{changed} (its SHA-256 differs from the one recorded at publishing)"
    ]


def test_status_with_nothing_published_says_so(tmp_path):
    answer = status_of(tmp_path / "warehouse" / "funding.duckdb")
    assert answer.returncode == 2 and "Nothing is published" in answer.stdout
