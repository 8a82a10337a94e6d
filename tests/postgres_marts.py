"""Reading the marts on the test PostgreSQL server, and the rejected run that tests WAP there."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from postgres_server import BI_ROLE
from psycopg2 import sql
from seed_files import read_rows, write_rows
from test_marts import BI_CONTRACT

from scripts import postgres


def mart_rows(connection, schema: str, mart: str, columns: list[str]) -> list[tuple]:
    """Every row of a mart, in the order of all its columns, as comparable Python values."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("select {} from {} order by {}").format(
                sql.SQL(", ").join(map(sql.Identifier, columns)),
                sql.Identifier(schema, mart),
                sql.SQL(", ").join(sql.Literal(position) for position in range(1, len(columns) + 1)),
            )
        )
        return [tuple(normalised(value) for value in row) for row in cursor.fetchall()]


def normalised(value):
    """A value as both engines' drivers give it the same: whole decimals as int."""
    if isinstance(value, Decimal) and value == value.to_integral_value() and value.as_tuple().exponent >= 0:
        return int(value)
    return value


def columns_of(connection, schema: str, mart: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
            " order by ordinal_position",
            [schema, mart],
        )
        return [name for (name,) in cursor.fetchall()]


def snapshot(server, schema: str = postgres.PUBLISHED_SCHEMA) -> dict[str, list[tuple]]:
    """Every mart of `schema`, every row, as the BI role reads it."""
    connection = server.connect(BI_ROLE)
    try:
        return {
            mart: mart_rows(connection, schema, mart, columns_of(connection, schema, mart))
            for mart in sorted(BI_CONTRACT)
        }
    finally:
        connection.close()


def first_amount_changed(project: Path) -> str:
    """Add one to the first amount of the seeds; return that row's line code."""
    path = project / "seeds" / "amounts.csv"
    rows = read_rows(path)
    rows[0]["amount_tdkk"] = str(int(rows[0]["amount_tdkk"]) + 1)
    write_rows(path, rows)
    return rows[0]["line_code"]
