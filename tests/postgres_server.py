"""A throwaway PostgreSQL server for the tests: initdb and pg_ctl in a temporary folder.

The server runs as an unprivileged user: PostgreSQL refuses to run as root, so a root session
starts it through `runuser -u postgres` (the user the Debian package creates), in a folder that
user owns. It listens on a free loopback port only (no Unix socket), with password
authentication (scram-sha-256), so the roles connect as a client of a real server would, with
the passwords handed to them through PGPASSWORD. `stop` stops it and removes the folder.

The database and roles are those docs/engines.md asks a DBA for (scripts/postgres.py,
`server_setup`): a builder role that owns what it builds and a read-only BI role.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from scripts import postgres

SERVER_USER = "postgres"  # the unprivileged user a root session runs the server as
DATABASE = "funding"
BUILDER = "funding_builder"
BI_ROLE = postgres.DEFAULT_BI_ROLE


def binaries() -> Path:
    """The folder of initdb and pg_ctl: $PG_BIN, else the newest /usr/lib/postgresql/<version>/bin."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parent.parent.name), reverse=True
    )
    if not found:
        raise RuntimeError(
            "PostgreSQL's server binaries are not installed (no /usr/lib/postgresql/*/bin/initdb);"
            " `make test-postgres` installs them, or set PG_BIN"
        )
    return found[0].parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command


@dataclass
class PostgresServer:
    folder: Path
    port: int
    superuser_password: str = field(default_factory=lambda: secrets.token_hex(12))
    builder_password: str = field(default_factory=lambda: secrets.token_hex(12))
    bi_password: str = field(default_factory=lambda: secrets.token_hex(12))

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @classmethod
    def start(cls) -> PostgresServer:
        folder = Path(tempfile.mkdtemp(prefix="funding-postgres-"))
        server = cls(folder, free_port())
        if os.geteuid() == 0:
            shutil.chown(folder, SERVER_USER, SERVER_USER)
        bin_dir = binaries()
        password_file = folder / "superuser-password"
        password_file.write_text(server.superuser_password + "\n", encoding="utf-8")
        if os.geteuid() == 0:
            shutil.chown(password_file, SERVER_USER, SERVER_USER)
        run = [str(bin_dir / "initdb"), "-D", str(server.data), "-U", "postgres", "--pwfile", str(password_file)]
        run += ["--auth-host=scram-sha-256", "--auth-local=reject", "-E", "UTF8", "--locale=C", "--no-sync"]
        subprocess.run(as_server_user(run), check=True, capture_output=True, text=True, timeout=120)
        password_file.unlink()
        options = (
            f"-p {server.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        subprocess.run(
            as_server_user(
                [str(bin_dir / "pg_ctl"), "-D", str(server.data), "-o", options, "-l", str(folder / "server.log")]
                + ["-w", "-t", "60", "start"]
            ),
            check=True,
            capture_output=True,
            text=True,
            timeout=90,
        )
        server.set_up()
        return server

    def connect(self, user: str = "postgres", password: str | None = None, dbname: str = DATABASE):
        import psycopg2

        passwords = {"postgres": self.superuser_password, BUILDER: self.builder_password, BI_ROLE: self.bi_password}
        return psycopg2.connect(
            host="127.0.0.1",
            port=self.port,
            user=user,
            password=password if password is not None else passwords[user],
            dbname=dbname,
            connect_timeout=10,
        )

    def set_up(self) -> None:
        """The database and the two roles, as docs/engines.md has a DBA create them."""
        connection = self.connect(dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"create database {DATABASE}")
        connection.close()
        connection = self.connect()
        connection.autocommit = True
        with connection.cursor() as cursor:
            for statement in postgres.server_setup(DATABASE, BUILDER, BI_ROLE):
                cursor.execute(statement)
            cursor.execute(f"alter role {BUILDER} password %s", [self.builder_password])
            cursor.execute(f"alter role {BI_ROLE} password %s", [self.bi_password])
        connection.close()

    def environment(self) -> dict[str, str]:
        """The environment profiles.yml and scripts/postgres.py read: the builder's connection."""
        return {
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": BUILDER,
            "PGPASSWORD": self.builder_password,
            "PGDATABASE": DATABASE,
            postgres.BI_ROLE_VARIABLE: BI_ROLE,
        }

    def stop(self) -> None:
        subprocess.run(
            as_server_user([str(binaries() / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.folder, ignore_errors=True)
