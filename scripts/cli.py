"""The one command line of the funding warehouse: `python -m scripts COMMAND [options]`.

    run        check, build, test, validate and publish the warehouse      (make run)
    rollback   make the previous release current again                     (make rollback)
    status     the current release, and whether its files are unchanged    (make status)
    docs       dbt's documentation site, into the target folder            (make docs)
    report     the appendix as one HTML page, with charts and a screenshot (make report)
    bench      `bench sizes`: the pipeline against hand-written DuckDB      (make bench)
               `bench small`: make run against a minimal dbt build          (make bench-small)
    generate   synthetic input tables of any size, as Parquet or CSV        (make generate)

Each command takes only its own options (`python -m scripts COMMAND --help`); an option several
commands share is defined once, below. A command's module is imported only when it runs, so that
`status` does not wait for dbt, DuckDB or Great Expectations to load (scripts.publish and the
defaults of bench and generate need none of them).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from scripts.publish import Warehouse, print_status, rollback_command
from scripts.settings import (
    DEFAULT_WAREHOUSE,
    ENGINES,
    FILE_FORMATS,
    PROJECT_DIR,
    TARGET_FOLDER,
    WAREHOUSE_VARIABLE,
    Inputs,
    RunPaths,
    default_target_dir,
    default_warehouse,
)

Command = Callable[[argparse.Namespace], int]


# --- options shared by several commands -------------------------------------------------------------


def shared_option(*flags: str, **settings) -> argparse.ArgumentParser:
    """A parser holding one option, for the parsers of the commands that take it as a parent."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(*flags, **settings)
    return parser


PROJECT = shared_option(
    "--project-dir", type=Path, default=PROJECT_DIR, help="the dbt project (default: this checkout)"
)
WAREHOUSE = shared_option(
    "--warehouse",
    type=Path,
    default=default_warehouse(),
    help=f"the published DuckDB file (default: ${WAREHOUSE_VARIABLE} or {DEFAULT_WAREHOUSE})",
)
ENGINE = shared_option(
    "--engine",
    choices=ENGINES,
    default=ENGINES[0],
    help="where to build and publish: duckdb (the file --warehouse) or postgres (the server of PGHOST,"
    " PGPORT, PGUSER, PGPASSWORD, PGDATABASE; docs/engines.md) (default: %(default)s)"
    " or spark (a local Spark warehouse in $SPARK_WAREHOUSE_ROOT, default warehouse/spark)",
)
TARGET = shared_option(
    "--target-dir", type=Path, default=None, help=f"dbt's target folder (default: PROJECT/{TARGET_FOLDER})"
)


def run_paths(args: argparse.Namespace, inputs: Inputs | None = None) -> RunPaths:
    """The paths of a run from the shared options; the project's seeds unless `inputs` is given."""
    project_dir = args.project_dir.resolve()
    target_dir = (args.target_dir or default_target_dir(project_dir)).resolve()
    return RunPaths(project_dir, Warehouse(args.warehouse.absolute()), target_dir, inputs)


def positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {number}")
    return number


# --- the commands -------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    inputs = Inputs(args.input_dir.resolve(), args.input_format or FILE_FORMATS[0]) if args.input_dir else None
    if args.engine == "spark":
        from scripts.spark.commands import spark_command

        return spark_command("run", args.project_dir.resolve(), args.target_dir, inputs)
    if args.engine == "postgres":
        from scripts import postgres_pipeline

        return postgres_pipeline.main(run_paths(args, inputs))
    from scripts import pipeline

    return pipeline.main(run_paths(args, inputs), args.timings_json)


def rollback(args: argparse.Namespace) -> int:
    if args.engine == "spark":
        from scripts.spark.commands import spark_command

        return spark_command("rollback", PROJECT_DIR, None)
    if args.engine == "postgres":
        from scripts import postgres

        try:
            current, previous = postgres.rollback()
        except RuntimeError as error:
            print(f"Nothing rolled back: {error}.")
            return 1
        print(f"Release {current} is current in schema {postgres.PUBLISHED_SCHEMA} on {postgres.describe_server()};")
        print(f"  {previous} is in {postgres.PREVIOUS_SCHEMA} (a second rollback rolls forward).")
        return 0
    return rollback_command(Warehouse(args.warehouse))


def status(args: argparse.Namespace) -> int:
    return print_status(Warehouse(args.warehouse))


def docs(args: argparse.Namespace) -> int:
    from scripts import docs as site

    return site.main(run_paths(args))


def report(args: argparse.Namespace) -> int:
    from scripts import report as page

    out_dir = args.out_dir or default_target_dir(PROJECT_DIR) / page.REPORT_FOLDER
    return page.main(args.warehouse, out_dir, screenshot=not args.no_screenshot)


def bench_sizes(args: argparse.Namespace) -> int:
    from scripts.bench import run as sizes

    return sizes.main(args.max_lines, args.repeats)


def bench_small(args: argparse.Namespace) -> int:
    from scripts.bench import small_run

    return small_run.main(args.pairs)


def generate(args: argparse.Namespace) -> int:
    from scripts import generate_appendices

    shape = generate_appendices.Shape(
        lines=args.lines,
        seed=args.seed,
        years=args.years,
        pools_per_document=args.pools_per_document,
        lines_per_document=args.lines_per_document,
        wrong_totals=args.wrong_totals,
    )
    return generate_appendices.main(args.out_dir, shape, args.format, args.wrong_variant_of)


def parser() -> argparse.ArgumentParser:
    # the defaults of these commands are their modules' own
    from scripts.bench.run import REPEATS
    from scripts.bench.small_run import PAIRS
    from scripts.generate_appendices import Shape

    top = argparse.ArgumentParser(
        prog="python -m scripts",
        description="The funding warehouse: build, publish and inspect it.",
        epilog="`python -m scripts COMMAND --help` lists a command's options.",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, handler: Command | None, *parents: argparse.ArgumentParser):
        sub = commands.add_parser(name, parents=list(parents), help=summary, description=summary)
        sub.set_defaults(handler=handler)
        return sub

    run_command = command(
        "run",
        "check the inputs, build and test with dbt, validate, export and publish (exit codes: 0 published,"
        " 1 a check failed, 2 malformed input files, 3 an unexpected error, 130 interrupted)",
        run,
        PROJECT,
        WAREHOUSE,
        TARGET,
        ENGINE,
    )
    run_command.add_argument(
        "--input-dir",
        type=Path,
        default=None,
        help="read the input tables in place from files in this folder instead of the seeds (for large inputs)",
    )
    run_command.add_argument(
        "--input-format",
        choices=FILE_FORMATS,
        default=None,
        help=f"the format of the --input-dir files (default: {FILE_FORMATS[0]})",
    )
    run_command.add_argument(
        "--timings-json",
        type=Path,
        default=None,
        help="write each stage's seconds here, with the peak memory of this process and of its GX process",
    )

    command("rollback", "make the previous release current again (twice rolls forward)", rollback, WAREHOUSE, ENGINE)
    command(
        "status",
        "the current release: when, from which commit and inputs, and whether its files are unchanged"
        " (exit codes: 0 unchanged, 1 changed, 2 nothing published)",
        status,
        WAREHOUSE,
    )
    command(
        "docs",
        "generate dbt's documentation site into the target folder (runs the pipeline first if nothing is published)",
        docs,
        PROJECT,
        WAREHOUSE,
        TARGET,
    )

    report_command = command(
        "report",
        "the appendix's tables, charts, reconciliation and provenance as one self-contained HTML page, read"
        " from the published warehouse (read-only), with a screenshot from headless chromium",
        report,
        WAREHOUSE,
    )
    report_command.add_argument(
        "--out-dir", type=Path, default=None, help=f"where to write the page (default: {TARGET_FOLDER}/report)"
    )
    report_command.add_argument("--no-screenshot", action="store_true", help="write the page only")

    benches = command("bench", "time the pipeline", None).add_subparsers(dest="bench", required=True, metavar="KIND")
    sizes = benches.add_parser(
        "sizes",
        help="the whole pipeline against hand-written DuckDB, at 10 thousand to 10 million lines, then the small run",
        description="The whole pipeline against hand-written DuckDB, at 10 thousand to 10 million lines; then the"
        " small run, as `bench small` times it.",
    )
    sizes.set_defaults(handler=bench_sizes)
    # string defaults: argparse checks them only when this command runs
    sizes.add_argument(
        "--max-lines",
        type=positive,
        default=os.environ.get("BENCH_MAX_LINES"),
        help="the largest size to run (default: $BENCH_MAX_LINES, or every size)",
    )
    sizes.add_argument(
        "--repeats",
        type=positive,
        default=os.environ.get("BENCH_REPEATS", str(REPEATS)),
        help="pairs of runs per size (default: $BENCH_REPEATS or %(default)s)",
    )
    small = benches.add_parser(
        "small",
        help="make run on the real appendix against a minimal dbt build, in alternating pairs",
        description="make run on the real appendix against a minimal dbt build, in alternating pairs.",
    )
    small.set_defaults(handler=bench_small)
    small.add_argument(
        "--pairs",
        type=positive,
        default=os.environ.get("BENCH_SMALL_PAIRS", str(PAIRS)),
        help="pairs of runs (default: $BENCH_SMALL_PAIRS or %(default)s)",
    )

    generator = command(
        "generate",
        "write synthetic input tables, deterministic from a seed, whose published totals add up;"
        " `run --input-dir` reads them",
        generate,
    )
    generator.add_argument("out_dir", type=Path, help="the folder to write the tables into")
    generator.add_argument("--lines", type=positive, required=True, help="budget lines in all")
    generator.add_argument("--seed", type=int, default=Shape.seed, help="(default: %(default)s)")
    generator.add_argument("--years", type=positive, default=Shape.years, help="(default: %(default)s)")
    generator.add_argument(
        "--pools-per-document", type=positive, default=Shape.pools_per_document, help="(default: %(default)s)"
    )
    generator.add_argument(
        "--lines-per-document", type=positive, default=Shape.lines_per_document, help="(default: %(default)s)"
    )
    generator.add_argument(
        "--wrong-totals",
        type=int,
        default=Shape.wrong_totals,
        help="published totals to make wrong by one unit, listed in injected_errors.json (default: %(default)s)",
    )
    generator.add_argument("--format", choices=FILE_FORMATS, default=FILE_FORMATS[0], help="(default: %(default)s)")
    generator.add_argument(
        "--wrong-variant-of",
        type=Path,
        default=None,
        help="instead of generating, copy this generated Parquet input with --wrong-totals errors injected",
    )
    return top


def main(argv: list[str] | None = None) -> int:
    top = parser()
    args = top.parse_args(argv)
    if args.command == "run" and args.input_format and args.input_dir is None:
        top.error("run: --input-format applies to the files of --input-dir")
    if args.command == "run" and args.engine != "duckdb" and args.timings_json:
        top.error("run: --timings-json applies to the DuckDB pipeline")
    return args.handler(args)
