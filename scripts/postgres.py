"""The warehouse on a PostgreSQL server: connection, build schemas, loading input files, publish.

Write, audit, publish, as on DuckDB, with schemas where DuckDB has files. A build's schemas all
carry its name, `build_<release id>_<layer>` (macros/generate_schema_name.sql): raw, staging,
intermediate, marts and, when a test fails, audit. Readers read the schema `marts` only. Once
every check has passed, one transaction renames the published `marts` to `marts_previous` and
the build's marts schema to `marts`, and moves the BI role's USAGE from the one to the other.
PostgreSQL's DDL is transactional: a reader sees the old schema or the new one, never a mix,
and a failure before the commit changes nothing. The table grants (dbt's `grants`) belong to
the tables and move with them.

Every connection setting is libpq's own environment variable, read by profiles.yml (for dbt)
and by psycopg2 (here) alike: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE. Nothing secret is
written anywhere by this module.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg2
from psycopg2 import sql

from scripts.settings import INPUT_TABLES, Inputs

PUBLISHED_SCHEMA = "marts"  # what readers read: the BI contract
PREVIOUS_SCHEMA = "marts_previous"  # the release before, kept for rollback
BUILD_PREFIX = "build_"  # every schema of a build starts with it (see build_name)
BI_ROLE_VARIABLE = "WAREHOUSE_BI_ROLE"
DEFAULT_BI_ROLE = "funding_bi"
# profiles.yml's defaults, repeated for this module's own connections (libpq has other defaults)
DEFAULTS = {"PGHOST": "127.0.0.1", "PGPORT": "5432", "PGUSER": "postgres", "PGDATABASE": "funding"}
PUBLISH_LOCK = 7_423_001  # the advisory lock one publishing run holds (any number, the same everywhere)


def bi_role() -> str:
    return os.environ.get(BI_ROLE_VARIABLE, DEFAULT_BI_ROLE)


def connection_settings() -> dict[str, str]:
    """The server, database and role from the environment, with profiles.yml's defaults."""
    settings = {variable: os.environ.get(variable, default) for variable, default in DEFAULTS.items()}
    if os.environ.get("PGPASSWORD"):
        settings["PGPASSWORD"] = os.environ["PGPASSWORD"]
    return settings


def connect(**overrides: str):
    """A psycopg2 connection with the environment's settings (`user=...` etc. override them)."""
    settings = connection_settings()
    arguments = {
        "host": settings["PGHOST"],
        "port": int(settings["PGPORT"]),
        "user": settings["PGUSER"],
        "dbname": settings["PGDATABASE"],
        "connect_timeout": 10,
        "application_name": "funding-warehouse",
    }
    if "PGPASSWORD" in settings:
        arguments["password"] = settings["PGPASSWORD"]
    arguments.update(overrides)
    return psycopg2.connect(**arguments)


def describe_server() -> str:
    settings = connection_settings()
    return f"{settings['PGUSER']}@{settings['PGHOST']}:{settings['PGPORT']}/{settings['PGDATABASE']}"


def build_name(release_id: str) -> str:
    """The prefix of a build's schemas: `build_` and the release id, lower case, as an identifier."""
    name = BUILD_PREFIX + re.sub(r"[^a-z0-9_]", "_", release_id.lower())
    if len(name) > 40:  # PostgreSQL names have 63 bytes; `_intermediate` must still fit
        raise ValueError(f"release id {release_id!r} makes a schema name longer than PostgreSQL allows")
    return name


def marts_schema(build: str) -> str:
    return f"{build}_marts"


@dataclass(frozen=True)
class PostgresMarts:
    """Where the validation reads marts on PostgreSQL: a schema, on the server of the environment."""

    schema: str


# --- input files --------------------------------------------------------------------------------


def input_rows(inputs: Inputs, table: str) -> tuple[list[str], Iterator[tuple]]:
    """One input table's header and rows, as text, from its Parquet or CSV file (or seed CSV)."""
    import duckdb  # reads Parquet and CSV alike, streaming

    path = inputs.file(table)
    reader = (
        f"read_parquet('{path}')"
        if inputs.file_format == "parquet"
        else f"read_csv('{path}', header = true, all_varchar = true)"
    )
    connection = duckdb.connect()
    cursor = connection.execute(f"select * from {reader}")
    header = [description[0] for description in cursor.description]

    def rows() -> Iterator[tuple]:
        try:
            while batch := cursor.fetchmany(50_000):
                yield from batch
        finally:
            connection.close()

    return header, rows()


class _CsvStream(io.RawIOBase):
    """Rows written as CSV on demand, for COPY to read without the whole table in memory."""

    def __init__(self, rows: Iterator[tuple]):
        self._rows, self._buffer = rows, b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while len(self._buffer) < len(target):
            chunk = io.StringIO()
            writer = csv.writer(chunk, lineterminator="\n")
            count = 0
            for row in self._rows:
                writer.writerow(["" if value is None else str(value) for value in row])
                count += 1
                if count == 10_000:
                    break
            if not count:
                break
            self._buffer += chunk.getvalue().encode("utf-8")
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def copy_into_table(cursor, target: sql.Composable, header: list[str], rows, temporary: bool = False) -> None:
    """Create `target` with a text column for each name of `header`, and COPY `rows` into it. An
    empty cell becomes NULL, as DuckDB reads one."""
    columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(name)) for name in header)
    cursor.execute(
        sql.SQL("create {} table {} ({})").format(sql.SQL("temporary" if temporary else ""), target, columns)
    )
    cursor.copy_expert(
        sql.SQL("copy {} from stdin with (format csv)").format(target).as_string(cursor.connection),
        io.BufferedReader(_CsvStream(iter(rows)), buffer_size=1 << 20),
    )


def copy_into_temporary_table(cursor, name: str, header: list[str], rows) -> None:
    copy_into_table(cursor, sql.Identifier(name), header, rows, temporary=True)


def load_input_files(inputs: Inputs, schema: str, tables: tuple[str, ...] = INPUT_TABLES) -> None:
    """Copy each input file into `schema`.<table>, every column as text (staging casts it, after
    the whole-number tests have checked its form), where dbt's source `appendix_files` reads
    them on PostgreSQL."""
    with connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        for table in tables:
            header, rows = input_rows(inputs, table)
            target = sql.Identifier(schema, table)
            cursor.execute(sql.SQL("drop table if exists {}").format(target))
            copy_into_table(cursor, target, header, rows)


# --- failing rows -------------------------------------------------------------------------------


def keep_failing_rows(compiled_sql: str, schema: str, table: str, limit: int) -> tuple[list[str], list[tuple]]:
    """Store a failed test's rows as `schema`.`table`; return its columns and its first `limit` rows."""
    with connect() as connection, connection.cursor() as cursor:
        target = sql.Identifier(schema, table)
        cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        cursor.execute(sql.SQL("drop table if exists {}").format(target))
        cursor.execute(sql.SQL("create table {} as ").format(target).as_string(connection) + compiled_sql)
        cursor.execute(sql.SQL("select * from {} limit %s").format(target), [limit])
        columns = [description[0] for description in cursor.description]
        return columns, cursor.fetchall()


# --- publish, rollback, status ------------------------------------------------------------------


def schema_exists(cursor, schema: str) -> bool:
    cursor.execute("select 1 from pg_namespace where nspname = %s", [schema])
    return cursor.fetchone() is not None


def release_of(cursor, schema: str) -> str | None:
    """The release id in `schema`.release_info, or None where there is none."""
    if not schema_exists(cursor, schema):
        return None
    cursor.execute(
        "select 1 from information_schema.tables where table_schema = %s and table_name = 'release_info'", [schema]
    )
    if cursor.fetchone() is None:
        return None
    cursor.execute(sql.SQL("select release_id from {}.release_info").format(sql.Identifier(schema)))
    row = cursor.fetchone()
    return row[0] if row else None


SWAPPING = "marts_swapping"  # the old `marts`, for the moment of the swap (inside its transaction)


def rename(cursor, schema: str, new_name: str) -> None:
    cursor.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(schema), sql.Identifier(new_name)))


def swap_into_published(cursor, incoming: str, role: str) -> None:
    """In the caller's transaction: `marts` becomes `marts_previous`, `incoming` becomes `marts`,
    and the BI role may use `marts` and no other marts schema. The renames wait for readers'
    queries on the old schema to finish, and readers then see the new one whole."""
    role_name = sql.Identifier(role)
    if schema_exists(cursor, PUBLISHED_SCHEMA):
        cursor.execute(sql.SQL("revoke usage on schema {} from {}").format(sql.Identifier(PUBLISHED_SCHEMA), role_name))
        rename(cursor, PUBLISHED_SCHEMA, SWAPPING)
    rename(cursor, incoming, PUBLISHED_SCHEMA)
    cursor.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(PUBLISHED_SCHEMA), role_name))
    if schema_exists(cursor, SWAPPING):
        rename(cursor, SWAPPING, PREVIOUS_SCHEMA)


def publish(build: str, role: str | None = None) -> str | None:
    """Make the build's marts schema the published `marts` in one transaction; return the
    release that became previous (None for the first publish). Builds other than the new
    current and previous are dropped afterwards, with their raw, staging and audit schemas."""
    incoming = marts_schema(build)
    with connect() as connection, connection.cursor() as cursor:
        cursor.execute("select pg_advisory_xact_lock(%s)", [PUBLISH_LOCK])
        if not schema_exists(cursor, incoming):
            raise RuntimeError(f"schema {incoming} does not exist: nothing to publish")
        previous = release_of(cursor, PUBLISHED_SCHEMA)
        cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(PREVIOUS_SCHEMA)))
        swap_into_published(cursor, incoming, role or bi_role())
        # leaving the block commits: the one moment readers go from the old marts to the new
    drop_old_builds(keep={build} | ({build_name(previous)} if previous else set()))
    return previous


def rollback() -> tuple[str | None, str | None]:
    """Swap `marts` and `marts_previous` in one transaction (a second rollback rolls forward);
    return the releases (now current, now previous)."""
    with connect() as connection, connection.cursor() as cursor:
        cursor.execute("select pg_advisory_xact_lock(%s)", [PUBLISH_LOCK])
        if not schema_exists(cursor, PREVIOUS_SCHEMA):
            raise RuntimeError(f"there is no schema {PREVIOUS_SCHEMA}: no release to roll back to")
        rename(cursor, PREVIOUS_SCHEMA, "marts_incoming")
        swap_into_published(cursor, "marts_incoming", bi_role())
        return release_of(cursor, PUBLISHED_SCHEMA), release_of(cursor, PREVIOUS_SCHEMA)


def current_releases() -> tuple[str | None, str | None]:
    """The releases in `marts` and `marts_previous` (None where there is none)."""
    with connect() as connection, connection.cursor() as cursor:
        return release_of(cursor, PUBLISHED_SCHEMA), release_of(cursor, PREVIOUS_SCHEMA)


def drop_old_builds(keep: set[str]) -> list[str]:
    """Drop every build schema whose build is not in `keep`; return the schemas dropped."""
    with connect() as connection, connection.cursor() as cursor:
        cursor.execute("select nspname from pg_namespace where nspname like %s", [BUILD_PREFIX + "%"])
        dropped = [
            schema for (schema,) in cursor.fetchall() if not any(schema.startswith(build + "_") for build in keep)
        ]
        for schema in dropped:
            cursor.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(schema)))
    return dropped


# --- the server's roles ---------------------------------------------------------------------------


def server_setup(database: str, builder: str, bi: str) -> list[sql.Composed]:
    """What a DBA runs once, as a superuser, in `database` (docs/engines.md shows it as SQL):
    the role that builds (owns what it creates, creates schemas) and the read-only BI role,
    which may connect and nothing else until a publish grants it the marts. Passwords are set
    apart, by whoever holds them (`alter role ... password`)."""
    database_name, builder_name, bi_name = (sql.Identifier(name) for name in (database, builder, bi))
    return [
        sql.SQL("create role {} login").format(builder_name),
        sql.SQL("create role {} login").format(bi_name),
        # PUBLIC may otherwise connect and create temporary tables in every new database
        sql.SQL("revoke all on database {} from public").format(database_name),
        sql.SQL("grant connect, create, temporary on database {} to {}").format(database_name, builder_name),
        sql.SQL("grant connect on database {} to {}").format(database_name, bi_name),
        # PostgreSQL 15 does this already for new databases; older servers let PUBLIC create in public
        sql.SQL("revoke create on schema public from public"),
    ]
