"""Least privilege on PostgreSQL: the BI role reads the published marts, and nothing else, and
writes nothing.

The role is the one dbt's `grants` name (dbt_project.yml) and publishing gives USAGE on the
schema `marts` (scripts/postgres.py). The checks are functions that list what the role can do
that it should not (or cannot that it should), so each is also shown failing: on a server where
the role was granted too much, or had its grant taken away.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import pytest
from pipeline_runs import run_pipeline
from postgres_server import BI_ROLE
from psycopg2 import errors, sql
from seed_files import copy_project
from test_marts import BI_CONTRACT

pytestmark = pytest.mark.postgres

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


def relations_outside_marts(server) -> list[tuple[str, str, str]]:
    """(schema, relation, kind) of every table and view in any schema but `marts`, as the
    superuser sees them: seeds (raw), staging, intermediate, audit, the previous marts, builds."""
    connection = server.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select namespace.nspname, class.relname, class.relkind from pg_class as class"
                " join pg_namespace as namespace on namespace.oid = class.relnamespace"
                " where class.relkind in ('r', 'v', 'm', 'p', 'f') and namespace.nspname <> 'marts'"
                " and namespace.nspname not in %s and namespace.nspname not like 'pg_temp%%'"
                " order by 1, 2",
                [SYSTEM_SCHEMAS],
            )
            return cursor.fetchall()
    finally:
        connection.close()


def all_schemas(server) -> list[str]:
    connection = server.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select nspname from pg_namespace where nspname not in %s and nspname not like 'pg_t%%' order by 1",
                [SYSTEM_SCHEMAS],
            )
            return [name for (name,) in cursor.fetchall()]
    finally:
        connection.close()


@contextmanager
def as_bi_role(server) -> Iterator:
    connection = server.connect(BI_ROLE)
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


def refused(connection, statement: sql.Composable | str) -> bool:
    """Whether the server refuses `statement` to the connection's role for want of privilege."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    except psycopg2.Error as error:
        # any other error (a constraint, say) comes after the privilege check has let it through
        return isinstance(error, errors.InsufficientPrivilege)
    return False


def unreadable_marts(server) -> list[str]:
    """The marts of the BI contract the role cannot read (every row)."""
    problems = []
    with as_bi_role(server) as connection:
        for mart in sorted(BI_CONTRACT):
            try:
                with connection.cursor() as cursor:
                    cursor.execute(sql.SQL("select * from {}").format(sql.Identifier("marts", mart)))
                    cursor.fetchall()
            except psycopg2.Error as error:
                problems.append(f"marts.{mart}: {error.pgerror or error}".strip())
    return problems


def readable_elsewhere(server) -> list[str]:
    """Every relation outside `marts` the role can read."""
    with as_bi_role(server) as connection:
        return [
            f"{schema}.{name}"
            for schema, name, _kind in relations_outside_marts(server)
            if not refused(connection, sql.SQL("select * from {} limit 1").format(sql.Identifier(schema, name)))
        ]


def writable(server) -> list[str]:
    """Every write the role gets away with: a table in any schema, a new schema, a temporary
    table, and inserting into, changing, emptying or dropping a mart."""
    found = []
    with as_bi_role(server) as connection:
        for schema in all_schemas(server):
            statement = sql.SQL("create table {} (probe integer)").format(sql.Identifier(schema, "bi_probe"))
            if not refused(connection, statement):
                found.append(f"create table in {schema}")
        for statement in ["create schema bi_probe", "create temporary table bi_probe (probe integer)"]:
            if not refused(connection, statement):
                found.append(statement)
        for mart in sorted(BI_CONTRACT):
            relation = sql.Identifier("marts", mart)
            for verb, statement in {
                "insert into": sql.SQL("insert into {} default values").format(relation),
                "update": sql.SQL("update {} set {} = null").format(
                    relation, sql.Identifier(first_column(server, mart))
                ),
                "delete from": sql.SQL("delete from {}").format(relation),
                "truncate": sql.SQL("truncate {}").format(relation),
                "drop": sql.SQL("drop table {}").format(relation),
            }.items():
                if not refused(connection, statement):
                    found.append(f"{verb} marts.{mart}")
    return found


def first_column(server, mart: str) -> str:
    connection = server.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' and table_name = %s"
                " and ordinal_position = 1",
                [mart],
            )
            return cursor.fetchone()[0]
    finally:
        connection.close()


@pytest.fixture(scope="module")
def warehouse_with_every_layer(pg_built, postgres_server, tmp_path_factory):
    """A published release, and a rejected build beside it: raw, staging, intermediate and
    audit relations all exist on the server (a run drops the builds before it, so this module
    makes a rejected build of its own)."""
    from postgres_marts import first_amount_changed

    project = copy_project(tmp_path_factory.mktemp("pg-rejected-for-roles"))
    first_amount_changed(project)
    assert run_pipeline(project, engine="postgres").exit_code == 1
    return postgres_server


def test_the_bi_role_reads_every_mart(warehouse_with_every_layer):
    assert unreadable_marts(warehouse_with_every_layer) == []


def test_the_bi_role_reads_nothing_outside_the_marts(warehouse_with_every_layer):
    relations = relations_outside_marts(warehouse_with_every_layer)
    layers = {schema.rsplit("_", 1)[-1] for schema, _, _ in relations}
    assert {"raw", "staging", "intermediate", "audit"} <= layers, layers  # there is something to refuse
    assert readable_elsewhere(warehouse_with_every_layer) == []


def test_the_bi_role_writes_nothing(warehouse_with_every_layer):
    assert writable(warehouse_with_every_layer) == []


# --- the checks can fail ------------------------------------------------------------------------


@contextmanager
def granted(server, *statements: str) -> Iterator[None]:
    """Run `statements` as the superuser for the block (each a grant), then their revokes."""
    connection = server.connect()
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in reversed(statements):
                cursor.execute(statement.replace("grant ", "revoke ", 1).replace(" to ", " from ", 1))
        connection.close()


def staging_schema(server) -> str:
    return next(schema for schema, _, _ in relations_outside_marts(server) if schema.endswith("_staging"))


def test_the_read_check_sees_a_staging_view_granted(warehouse_with_every_layer):
    server = warehouse_with_every_layer
    staging = staging_schema(server)
    raw = staging.removesuffix("_staging") + "_raw"
    with granted(
        server,
        f"grant usage on schema {staging} to {BI_ROLE}",
        f"grant usage on schema {raw} to {BI_ROLE}",
        f"grant select on all tables in schema {staging} to {BI_ROLE}",
        f"grant select on all tables in schema {raw} to {BI_ROLE}",
    ):
        leaked = readable_elsewhere(server)
    assert any(name.startswith(staging + ".") for name in leaked)
    assert readable_elsewhere(server) == []


def test_the_write_check_sees_a_mart_made_writable(warehouse_with_every_layer):
    server = warehouse_with_every_layer
    with granted(server, f"grant insert on marts.dim_documents to {BI_ROLE}"):
        # the insert itself fails on the mart's constraints, not for want of privilege
        found = writable(server)
    assert "insert into marts.dim_documents" in found


def test_the_read_check_sees_a_mart_taken_away(warehouse_with_every_layer):
    server = warehouse_with_every_layer
    connection = server.connect()
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"revoke select on marts.fct_year_totals from {BI_ROLE}")
        problems = unreadable_marts(server)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"grant select on marts.fct_year_totals to {BI_ROLE}")
        connection.close()
    assert [problem for problem in problems if problem.startswith("marts.fct_year_totals")]
