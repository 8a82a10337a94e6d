"""`make bench`: the whole pipeline against hand-written DuckDB, at growing sizes.

For each size (budget lines: 10 thousand to 10 million, capped by --max-lines) it
generates a synthetic appendix, then measures, each in a process of its own so that peak
memory is that process's own:

- the baseline: scripts/bench/baseline.sql, the same marts and reconciliation in one script
  (checked: its marts must hold the same rows, column for column, as the pipeline's);
- the pipeline on the clean input: check, build, tests, GX, export, publish (its peak memory
  is its own plus that of its GX process, which runs beside it);
- the pipeline on a copy with wrong published totals injected: it must fail and name every one.

The baseline and the clean pipeline run in pairs, back to back, --repeats times (REPEATS), the
baseline first in the first pair, the pipeline first in the next, and so on; the ratios are the
medians of the pairs' ratios (see SizeResult).

Then it times the small run (scripts/bench/small_run.py): `make run` on the real appendix against
a minimal dbt build, in alternating pairs.

Results go to target/bench/results.json and small_run.json, and a plot to target/bench/results.png.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from statistics import median

from scripts.bench import small_run
from scripts.generate_appendices import INJECTED_ERRORS
from scripts.publish import Warehouse
from scripts.settings import PROJECT_DIR, default_target_dir

BENCH_DIR = default_target_dir(PROJECT_DIR) / "bench"
SIZES = [10_000, 100_000, 1_000_000, 10_000_000]
REPEATS = 3  # pairs of runs per size
TARGET_RATIO = 1.5  # the pipeline, without its export, against the baseline at the largest size
WRONG_TOTALS = 6
RECONCILIATION_TESTS = [
    "line_totals_match_published",
    "pool_year_totals_match_published",
    "pool_totals_match_published",
]


@dataclass
class Measured:
    seconds: float
    peak_mib: float
    exit_code: int


@dataclass
class Pair:
    """One run of the baseline and one of the pipeline, back to back, on the same input."""

    baseline: Measured
    pipeline: Measured
    pipeline_stages: dict[str, float]
    ratio: float = field(init=False)
    ratio_without_export: float = field(init=False)

    def __post_init__(self) -> None:
        self.ratio = self.pipeline.seconds / self.baseline.seconds
        export = self.pipeline_stages.get("export", 0.0)
        self.ratio_without_export = (self.pipeline.seconds - export) / self.baseline.seconds


@dataclass
class SizeResult:
    """A size's runs. This machine's timings drift by 10 to 30% from one minute to the next, so
    the baseline and the pipeline run in pairs, back to back, and the ratios quoted are the
    medians of the pairs' ratios; times are medians, memory the largest peak."""

    lines: int
    amount_rows: int
    pairs: list[Pair]
    wrong_run: Measured
    injected: int
    caught: int
    differing_marts: list[str]  # marts whose rows differ between the baseline and the pipeline
    baseline_seconds: float = field(init=False)
    pipeline_seconds: float = field(init=False)
    baseline_peak_mib: float = field(init=False)
    pipeline_peak_mib: float = field(init=False)
    ratio: float = field(init=False)
    ratio_without_export: float = field(init=False)
    # of the pair with the median pipeline time (with an even number of pairs, the faster of the
    # two in the middle)
    pipeline_stages: dict[str, float] = field(init=False)
    pipeline_failed: bool = field(init=False)

    def __post_init__(self) -> None:
        self.baseline_seconds = median(pair.baseline.seconds for pair in self.pairs)
        self.pipeline_seconds = median(pair.pipeline.seconds for pair in self.pairs)
        self.baseline_peak_mib = max(pair.baseline.peak_mib for pair in self.pairs)
        self.pipeline_peak_mib = max(pair.pipeline.peak_mib for pair in self.pairs)
        self.ratio = median(pair.ratio for pair in self.pairs)
        self.ratio_without_export = median(pair.ratio_without_export for pair in self.pairs)
        by_pipeline_time = sorted(self.pairs, key=lambda pair: pair.pipeline.seconds)
        self.pipeline_stages = by_pipeline_time[(len(self.pairs) - 1) // 2].pipeline_stages
        self.pipeline_failed = any(pair.pipeline.exit_code != 0 for pair in self.pairs)

    @property
    def ratio_without_export_range(self) -> str:
        ratios = [pair.ratio_without_export for pair in self.pairs]
        return f"{min(ratios):.2f}–{max(ratios):.2f}"


def measure(command: list[str]) -> Measured:
    """Run `command` as a child; its wall time and peak resident memory.

    The peak is the child's own, or that of a child of its own that it waited for if larger:
    the kernel reports the larger of the two.

    Linux carries a process's peak memory over fork and exec, so a child reports at least its
    parent's peak: this process must stay small, and generates the inputs in children too.
    """
    started = time.monotonic()
    child = subprocess.Popen(command, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    return Measured(seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))


def warehouse_of(work: Path, name: str) -> Warehouse:
    """The published path a run named `name` is given (`--warehouse`), and the layout beside it."""
    return Warehouse(work / name / "funding.duckdb")


def pipeline_command(input_dir: Path, work: Path, name: str) -> list[str]:
    """The pipeline on `input_dir`, publishing to the warehouse `name` in `work`. Its target folder
    lies outside the warehouse's folder, so that dbt's parse of the project outlives a cleared
    warehouse."""
    return [
        sys.executable,
        "-m",
        "scripts",
        "run",
        "--input-dir",
        str(input_dir),
        "--warehouse",
        str(warehouse_of(work, name).published),
        "--target-dir",
        str(work / f"{name}-target"),
        "--timings-json",
        str(work / name / "timings.json"),
    ]


def count_caught(warehouse: Warehouse) -> int:
    """Failing rows of the three reconciliation tests, as stored in the rejected build.

    A rejected build is kept in the state directory's build/ until the next run; a failing
    test's rows are in its build database, schema audit, and a test that passed has no table
    there. No rejected build (the run crashed before it built) catches nothing.
    """
    import duckdb  # here, as in bench_size: the command line imports this module for its defaults

    build_database = warehouse.build_in(warehouse.build_dir).build_database
    if not build_database.exists():
        return 0
    with duckdb.connect(str(build_database), read_only=True) as connection:
        stored = {
            name
            for (name,) in connection.execute(
                "select table_name from duckdb_tables() where schema_name = 'audit'"
            ).fetchall()
        }
        return sum(
            connection.execute(f"select count(*) from audit.{test}").fetchone()[0]
            for test in RECONCILIATION_TESTS
            if test in stored
        )


def measure_pair(clean: Path, work: Path, pipeline_first: bool) -> Pair:
    """One baseline run and one pipeline run, back to back, in the order given: the pairs
    alternate it, so that neither side always runs on the machine the other has just left."""
    # no earlier release; dbt's parse of the project is reused, as on a user's second run
    shutil.rmtree(work / "pipeline", ignore_errors=True)
    baseline_command = [sys.executable, "-m", "scripts.bench.baseline", str(clean), str(work / "baseline.duckdb")]
    if pipeline_first:
        pipeline = measure(pipeline_command(clean, work, "pipeline"))
        baseline = measure(baseline_command)
    else:
        baseline = measure(baseline_command)
        pipeline = measure(pipeline_command(clean, work, "pipeline"))
    timings = work / "pipeline" / "timings.json"
    if not timings.exists():  # the pipeline crashed: the pair counts as a failed run
        return Pair(baseline, replace(pipeline, exit_code=pipeline.exit_code or 1), {})
    report = json.loads(timings.read_text())
    # wait4 reports the larger of the pipeline's peak and its GX child's, not their sum; the
    # pipeline reports both, and their sum bounds what the two held at once
    pipeline = replace(pipeline, peak_mib=report["peak_mib"] + report["children_peak_mib"])
    return Pair(baseline, pipeline, report["seconds"])


def bench_size(lines: int, repeats: int) -> SizeResult:
    import duckdb

    work = BENCH_DIR / f"lines-{lines}"
    clean, wrong = work / "input", work / "input-wrong"
    generator = [sys.executable, "-m", "scripts", "generate", "--lines", str(lines), "--seed", str(lines)]
    subprocess.run([*generator, str(clean)], cwd=PROJECT_DIR, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [*generator, "--wrong-totals", str(WRONG_TOTALS), "--wrong-variant-of", str(clean), str(wrong)],
        cwd=PROJECT_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    injected = json.loads((wrong / INJECTED_ERRORS).read_text())

    # The run on wrong totals goes first, into the same warehouse and target folder as the timed
    # runs: besides counting what it catches, it leaves dbt's parse of the project for them, so
    # that every timed run is a second run, as `make run` mostly is. No earlier run's rejected
    # build may stand in for this one's.
    shutil.rmtree(work / "pipeline", ignore_errors=True)
    shutil.rmtree(work / "pipeline-target", ignore_errors=True)
    wrong_run = measure(pipeline_command(wrong, work, "pipeline"))
    caught = count_caught(warehouse_of(work, "pipeline"))
    pairs = [measure_pair(clean, work, pipeline_first=index % 2 == 1) for index in range(repeats)]
    amount_rows = duckdb.execute(f"select count(*) from read_parquet('{clean / 'amounts.parquet'}')").fetchone()[0]
    # in a child, like everything heavy: this process's peak would carry over to the next children
    compared = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.bench.baseline",
            "--compare",
            str(work / "baseline.duckdb"),
            str(warehouse_of(work, "pipeline").published),
        ],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
        text=True,
    )
    differing = json.loads(compared.stdout)["differing_marts"]
    return SizeResult(lines, amount_rows, pairs, wrong_run, len(injected), caught, differing)


def plot(results: list[SizeResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [result.lines for result in results]
    figure, (times, memory) = plt.subplots(1, 2, figsize=(11, 4.5))
    times.plot(sizes, [r.pipeline_seconds for r in results], "o-", label="pipeline (dbt, tests, GX, export, publish)")
    times.plot(sizes, [r.baseline_seconds for r in results], "s--", label="hand-written DuckDB script")
    times.set(xscale="log", yscale="log", xlabel="budget lines", ylabel="wall time (s)", title="Time")
    memory.plot(sizes, [r.pipeline_peak_mib for r in results], "o-", label="pipeline")
    memory.plot(sizes, [r.baseline_peak_mib for r in results], "s--", label="hand-written DuckDB script")
    memory.set(xscale="log", xlabel="budget lines", ylabel="peak resident memory (MiB)", title="Peak memory")
    for axes in (times, memory):
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def table(results: list[SizeResult]) -> str:
    lines = [
        "| lines | amount rows | baseline s | pipeline s | ratio | ratio w/o export | w/o export, each pair |"
        " baseline MiB | pipeline MiB | wrong totals caught | same marts |",
        "|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|:---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.lines:,} | {r.amount_rows:,} | {r.baseline_seconds:.1f} | {r.pipeline_seconds:.1f} | {r.ratio:.2f} |"
            f" {r.ratio_without_export:.2f} | {r.ratio_without_export_range} | {r.baseline_peak_mib:.0f} | {r.pipeline_peak_mib:.0f} |"
            f" {r.caught}/{r.injected} | {'yes' if not r.differing_marts else 'no: ' + ', '.join(r.differing_marts)} |"
        )
    return "\n".join(lines)


def main(max_lines: int | None = None, repeats: int = REPEATS) -> int:
    """`python -m scripts bench sizes`: every size up to `max_lines` (all when None), `repeats` pairs each."""
    max_lines = max_lines or SIZES[-1]
    sizes = [size for size in SIZES if size <= max_lines] or [max_lines]
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    results = []
    for lines in sizes:
        print(f"benchmarking {lines:,} lines, {repeats} pairs of runs ...", flush=True)
        results.append(bench_size(lines, repeats))
        r = results[-1]
        print(
            f"  pipeline {r.pipeline_seconds:.1f} s, baseline {r.baseline_seconds:.1f} s, ratio {r.ratio:.2f}"
            f" ({r.ratio_without_export:.2f} without export); peak {r.pipeline_peak_mib:.0f} MiB;"
            f" wrong totals caught {r.caught}/{r.injected}",
            flush=True,
        )
    (BENCH_DIR / "results.json").write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n", encoding="utf-8")
    plot(results, BENCH_DIR / "results.png")
    print(table(results))
    if len(results) > 1:
        growth = results[-1].pipeline_seconds / results[-2].pipeline_seconds
        print(f"time growth from {results[-2].lines:,} to {results[-1].lines:,} lines: {growth:.1f}x")
    print(
        f"stages at {results[-1].lines:,} lines: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in results[-1].pipeline_stages.items())
    )
    largest = results[-1]
    verdict = "within" if largest.ratio_without_export <= TARGET_RATIO else "NOT within"
    print(
        f"at {largest.lines:,} lines the pipeline without its export is {largest.ratio_without_export:.2f}x"
        f" the hand-written baseline: {verdict} {TARGET_RATIO}x"
    )
    print("and the small run, on the real appendix:", flush=True)
    small = small_run.measure_small_run()
    print(small.summary())
    (BENCH_DIR / "small_run.json").write_text(json.dumps(small.as_dict(), indent=2) + "\n", encoding="utf-8")
    print(f"results: {BENCH_DIR / 'results.json'}, {BENCH_DIR / 'small_run.json'}, plot: {BENCH_DIR / 'results.png'}")
    failed = [
        r
        for r in results
        if r.caught != r.injected or r.pipeline_failed or r.wrong_run.exit_code != 1 or r.differing_marts
    ]
    return 1 if failed else 0
