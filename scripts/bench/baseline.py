"""The benchmark's baseline: scripts/bench/baseline.sql run by DuckDB alone, on the same files.

python -m scripts.bench.baseline INPUT_DIR DATABASE
    prints one line of JSON: how many published totals did not reconcile.
python -m scripts.bench.baseline --compare BASELINE_DATABASE PIPELINE_DATABASE
    prints one line of JSON: the marts whose rows differ between the two.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

SCRIPT = Path(__file__).with_name("baseline.sql")


def statements(sql: str) -> list[str]:
    """The script's statements. Comment lines are dropped first, so that a `;` in a comment
    cannot split a statement (or drop one, as a comment-only piece)."""
    code = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [piece.strip() for piece in code.split(";") if piece.strip()]


def run_baseline(input_dir: Path, database: Path) -> int:
    database.unlink(missing_ok=True)
    sql = SCRIPT.read_text(encoding="utf-8").replace("{input}", str(input_dir))
    *work, verdict = statements(sql)
    with duckdb.connect(str(database), config={"storage_compatibility_version": "v1.0.0"}) as connection:
        for statement in work:
            connection.execute(statement)
        (wrong_totals,) = connection.execute(verdict).fetchone()
    return wrong_totals


# Marts that hold values of one run besides data: only these columns of theirs are compared.
# release_info's id, times, commit, versions and input checksums describe the run that built
# it, and no two runs share them; its document lists are derived from the input like any mart.
# Its columns (names, order, types) are compared like every mart's.
PER_RUN_MARTS = {"release_info": ["document_ids", "current_document_ids"]}


def fingerprint(connection: duckdb.DuckDBPyConnection, mart: str) -> tuple:
    """The mart's row count and the sum of its whole rows' hashes: equal for the same rows in
    any order, and different when a value moves to another row. For a mart in PER_RUN_MARTS,
    the rows of the columns it names."""
    columns = ", ".join(PER_RUN_MARTS.get(mart, ["*"]))
    return connection.execute(
        f"select count(*), sum(hash(row_value)) from (select {columns} from marts.{mart}) as row_value"
    ).fetchone()


def differing_marts(baseline: Path, pipeline: Path) -> list[str]:
    """The marts whose columns (names, order and types) or rows differ between the baseline's
    database and the pipeline's (for release_info, see PER_RUN_MARTS)."""
    marts_query = "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
    columns_query = (
        "select list(column_name || ' ' || data_type order by ordinal_position) "
        "from information_schema.columns where table_schema = 'marts' and table_name = ?"
    )
    with duckdb.connect(str(baseline), read_only=True) as ours, duckdb.connect(str(pipeline), read_only=True) as theirs:
        marts = sorted(
            {row[0] for row in ours.execute(marts_query).fetchall()}
            | {row[0] for row in theirs.execute(marts_query).fetchall()}
        )
        return [
            mart
            for mart in marts
            if ours.execute(columns_query, [mart]).fetchone() != theirs.execute(columns_query, [mart]).fetchone()
            or fingerprint(ours, mart) != fingerprint(theirs, mart)
        ]


def main(argv: list[str] | None = None) -> int:
    arguments = argv or sys.argv[1:]
    if len(arguments) != (3 if arguments[:1] == ["--compare"] else 2):
        print(__doc__, file=sys.stderr)
        return 2
    if arguments[0] == "--compare":
        baseline, pipeline = (Path(argument) for argument in arguments[1:])
        print(json.dumps({"differing_marts": differing_marts(baseline, pipeline)}))
        return 0
    input_dir, database = (Path(argument) for argument in arguments)
    print(json.dumps({"wrong_totals": run_baseline(input_dir, database)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
