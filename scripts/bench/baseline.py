"""The benchmark's baseline: scripts/bench/baseline.sql run by DuckDB alone, on the same files.

    python -m scripts.bench.baseline INPUT_DIR DATABASE

Prints one line of JSON: how many published totals did not reconcile.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

SCRIPT = Path(__file__).with_name("baseline.sql")


def statements(sql: str) -> list[str]:
    """The script's statements, without comment-only pieces."""
    pieces = [piece.strip() for piece in sql.split(";")]
    return [piece for piece in pieces if any(line.strip() and not line.strip().startswith("--") for line in piece.splitlines())]


def run_baseline(input_dir: Path, database: Path) -> int:
    database.unlink(missing_ok=True)
    sql = SCRIPT.read_text(encoding="utf-8").replace("{input}", str(input_dir))
    *work, verdict = statements(sql)
    with duckdb.connect(str(database), config={"storage_compatibility_version": "v1.0.0"}) as connection:
        for statement in work:
            connection.execute(statement)
        (wrong_totals,) = connection.execute(verdict).fetchone()
    return wrong_totals


def main(argv: list[str] | None = None) -> int:
    input_dir, database = (Path(argument) for argument in (argv or sys.argv[1:]))
    print(json.dumps({"wrong_totals": run_baseline(input_dir, database)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
