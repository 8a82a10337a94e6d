"""What a published file must be for a BI tool, as functions that list what is wrong.

Each check returns a list of problems, empty when the file is as it should be, so that a test
can run it on the published release and on a corrupted copy alike.
"""

from __future__ import annotations

import duckdb

BI_SCHEMA = "marts"
# DuckDB gives every database file a schema `main`, which cannot be dropped; it stays empty
ALWAYS_PRESENT = {"main"}


def schemas(connection: duckdb.DuckDBPyConnection) -> set[str]:
    rows = connection.execute(
        "select schema_name from duckdb_schemas() where database_name = current_database() and not internal"
    ).fetchall()
    return {name for (name,) in rows}


def schema_problems(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Schemas other than the BI contract's, and relations in the always-present `main`."""
    problems = [f"schema {name} is published" for name in sorted(schemas(connection) - ALWAYS_PRESENT - {BI_SCHEMA})]
    in_main = connection.execute(
        "select table_name from duckdb_tables() where database_name = current_database() and schema_name = 'main'"
        " union all select view_name from duckdb_views() where database_name = current_database()"
        " and schema_name = 'main' and not internal"
    ).fetchall()
    problems += [f"main.{name} is published" for (name,) in in_main]
    return problems


def undescribed(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table and column of the BI schema that has no comment."""
    tables = connection.execute(
        "select table_name from duckdb_tables() where database_name = current_database() and schema_name = ?"
        " and coalesce(trim(comment), '') = ''",
        [BI_SCHEMA],
    ).fetchall()
    columns = connection.execute(
        "select table_name, column_name from duckdb_columns() where database_name = current_database()"
        " and schema_name = ? and coalesce(trim(comment), '') = ''",
        [BI_SCHEMA],
    ).fetchall()
    return [f"table {name} has no comment" for (name,) in tables] + [
        f"column {table}.{column} has no comment" for table, column in columns
    ]


def key_constraints(connection: duckdb.DuckDBPyConnection) -> dict[str, dict[str, list]]:
    """Each BI table's primary key columns and foreign keys, as DuckDB's catalog holds them."""
    rows = connection.execute(
        "select table_name, constraint_type, constraint_column_names, referenced_table, referenced_column_names"
        " from duckdb_constraints() where database_name = current_database() and schema_name = ?"
        " and constraint_type in ('PRIMARY KEY', 'FOREIGN KEY')",
        [BI_SCHEMA],
    ).fetchall()
    keys: dict[str, dict[str, list]] = {}
    for table, kind, columns, referenced_table, referenced_columns in rows:
        entry = keys.setdefault(table, {"primary_key": [], "foreign_keys": []})
        if kind == "PRIMARY KEY":
            entry["primary_key"] = list(columns)
        else:
            entry["foreign_keys"].append((tuple(columns), referenced_table, tuple(referenced_columns)))
    return keys
