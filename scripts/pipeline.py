"""`make run`: check the seeds, build and test into a staging file, validate, publish.

The published warehouse only ever changes to a fully tested state. dbt builds into a fresh
staging file beside it; the file replaces the published one by an atomic rename only when the
seed check, every dbt test and the Great Expectations suite have passed. A failed run leaves
the published file as it was, and keeps the staging file for inspection.

Exit codes: 0 published; 1 a check failed; 2 the input files are malformed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from typing import Callable
from pathlib import Path

from scripts.seed_check import check_seeds

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = Path("warehouse/funding.duckdb")

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2


@dataclass
class RunPaths:
    project_dir: Path
    warehouse: Path  # the published file that BI tools read
    target_dir: Path

    @property
    def staging(self) -> Path:
        """Where dbt builds; never the published file."""
        return self.warehouse.with_name(self.warehouse.stem + ".staging.duckdb")

    @property
    def seeds_dir(self) -> Path:
        return self.project_dir / "seeds"

    @property
    def validation_result(self) -> Path:
        return self.target_dir / "gx" / "validation_result.json"


def print_line(message: str) -> None:
    print(message, flush=True)


Reporter = Callable[[str], None]


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory where possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def remove_database(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def reconciled_totals(database: Path) -> tuple[int, int]:
    """(reconciled, published) over rpt_reconciliation: the figure the summary quotes."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        reconciled, published = connection.execute(
            """
            select
                count(*) filter (where reconciliation_status = 'reconciled'),
                count(published_amount_tdkk)
            from marts.rpt_reconciliation
            """
        ).fetchone()
    return reconciled, published


def run(paths: RunPaths, say: Reporter = print_line) -> int:
    """Run every stage, reporting through `say`; return the exit code."""
    started = time.monotonic()

    say("[1/4] check seeds")
    problems = check_seeds(paths.seeds_dir)
    if problems:
        say(f"Rejected: {len(problems)} problem(s) in the seed files; nothing was built or published.")
        for problem in problems:
            say(f"  {problem}")
        return EXIT_BAD_INPUT

    from scripts.dbt_build import dbt_build  # imported here: dbt takes seconds to import

    say(f"[2/4] seed, build and test with dbt into {shown(paths.staging)}")
    paths.staging.parent.mkdir(parents=True, exist_ok=True)
    remove_database(paths.staging)  # a stale file from a crashed run never blocks this one
    build = dbt_build(paths.project_dir, paths.staging, paths.target_dir)
    if not build.success:
        say("Rejected: the dbt build failed; the published warehouse is unchanged.")
        if build.error:
            say(f"  {build.error}")
        for failure in build.failures:
            say(f"  {failure.name}: {failure.message}")
            for row in failure.rows:
                say(f"    - {row}")
        say(f"  The rejected build is kept for inspection at {shown(paths.staging)} (failing rows in schema audit).")
        return EXIT_CHECK_FAILED

    from scripts.gx_validate import validate_marts

    say("[3/4] validate the marts with Great Expectations")
    validation = validate_marts(paths.staging, paths.seeds_dir, paths.validation_result)
    if not validation.success:
        say("Rejected: Great Expectations found problems; the published warehouse is unchanged.")
        for failure in validation.failures:
            say(f"  {failure}")
        say(f"  Full result: {shown(validation.result_path)}; rejected build kept at {shown(paths.staging)}.")
        return EXIT_CHECK_FAILED

    say(f"[4/4] publish to {shown(paths.warehouse)}")
    reconciled, published = reconciled_totals(paths.staging)
    os.replace(paths.staging, paths.warehouse)

    elapsed = time.monotonic() - started
    say("")
    say(f"Published {shown(paths.warehouse)} in {elapsed:.1f} s")
    say(f"  models built:        {build.count('model', 'success')}  (seeds loaded: {build.count('seed', 'success')})")
    say(f"  dbt tests passed:    {build.count('test', 'pass')}/{build.count('test')}"
        f"  (unit tests: {build.count('unit_test', 'pass')}/{build.count('unit_test')})")
    say(f"  GX expectations met: {validation.successful}/{validation.evaluated}  ({shown(validation.result_path)})")
    say(f"  published totals reconciled: {reconciled}/{published}")
    return EXIT_OK


def parse_args(argv: list[str] | None) -> RunPaths:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR)
    parser.add_argument(
        "--warehouse", type=Path, default=Path(os.environ.get("WAREHOUSE_PATH", DEFAULT_WAREHOUSE)),
        help="the published DuckDB file (default: $WAREHOUSE_PATH or warehouse/funding.duckdb)",
    )
    parser.add_argument("--target-dir", type=Path, default=None, help="dbt's target dir (default: PROJECT/target)")
    args = parser.parse_args(argv)
    project_dir = args.project_dir.resolve()
    return RunPaths(
        project_dir=project_dir,
        warehouse=args.warehouse.resolve(),
        target_dir=(args.target_dir or project_dir / "target").resolve(),
    )


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
