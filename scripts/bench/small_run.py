"""The small run against dbt's floor: `make run` on the real appendix beside a minimal dbt build.

The minimal build is a dbt project of one seed (the appendix's amounts), one model (their sum
per budget line) and two tests (unique and not_null on its key), built by the dbt command line
from the same virtual environment, into a DuckDB file of its own. It is what any dbt build costs
here: importing dbt, reading the project, opening DuckDB and running four nodes.

`make run` is timed as the command it runs (`python -m scripts run`), publishing into a
temporary warehouse, never the user's. Both sides are timed warm, as a user meets them on the
second run of the day: each runs once unmeasured, so that dbt has its parse of the project to
reuse. Then they run in alternating pairs (the minimal build first in the first pair, second in
the next), and the ratio is the median of the pairs' ratios of wall time. CPU time (user and
system, of the process and its children) is reported beside it.
"""

from __future__ import annotations

import csv
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from scripts.settings import PROJECT_DIR, Inputs, copy_project

TARGET = 1.5  # `make run` within this many times the minimal build
PAIRS = 5

MINIMAL_PROJECT = {
    "dbt_project.yml": """\
name: minimal
version: "1.0.0"
config-version: 2
profile: minimal
flags:
  send_anonymous_usage_stats: false
""",
    "profiles.yml": """\
minimal:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: minimal.duckdb
      threads: 2
""",
    "models/line_totals.sql": """\
select document_id || '|' || line_code as line_key, sum(amount_tdkk) as amount_tdkk
from {{ ref('amounts') }}
group by document_id, line_code
""",
    "models/line_totals.yml": """\
models:
  - name: line_totals
    columns:
      - name: line_key
        data_tests: [unique, not_null]
""",
}


@dataclass
class Timed:
    seconds: float
    cpu_seconds: float


def median_seconds(timings: list[Timed]) -> float:
    return median(timed.seconds for timed in timings)


@dataclass
class SmallRunResult:
    pairs: list[tuple[Timed, Timed]]  # (minimal dbt build, make run)
    project_floor: list[Timed] = field(default_factory=list)  # this project's dbt build selecting no node
    project_build: list[Timed] = field(default_factory=list)  # this project's plain dbt build

    @property
    def ratio(self) -> float:
        return median(run.seconds / minimal.seconds for minimal, run in self.pairs)

    @property
    def cpu_ratio(self) -> float:
        return median(run.cpu_seconds / minimal.cpu_seconds for minimal, run in self.pairs)

    @property
    def minimal_seconds(self) -> float:
        return median(minimal.seconds for minimal, _ in self.pairs)

    @property
    def run_seconds(self) -> float:
        return median(run.seconds for _, run in self.pairs)

    def against_minimal(self, timings: list[Timed]) -> float:
        """The median of `timings`, as a multiple of the minimal build's median."""
        return median_seconds(timings) / self.minimal_seconds

    def as_dict(self) -> dict:
        return {
            "ratio": self.ratio,
            "cpu_ratio": self.cpu_ratio,
            "make_run_seconds": self.run_seconds,
            "minimal_dbt_build_seconds": self.minimal_seconds,
            "project_dbt_build_selecting_nothing": [vars(timed) for timed in self.project_floor],
            "project_plain_dbt_build": [vars(timed) for timed in self.project_build],
            "target": TARGET,
            "pairs": [{"minimal": vars(minimal), "make_run": vars(run)} for minimal, run in self.pairs],
        }

    def summary(self) -> str:
        verdict = "within" if self.ratio <= TARGET else "NOT within"
        lines = [
            f"small run: make run {self.run_seconds:.2f} s, minimal dbt build {self.minimal_seconds:.2f} s"
            f" (medians of {len(self.pairs)} alternating pairs); ratio {self.ratio:.2f} in wall time,"
            f" {self.cpu_ratio:.2f} in CPU time: {verdict} {TARGET}x"
        ]
        if self.project_floor and self.project_build:
            lines.append(
                "  this project's own dbt build, in the same alternation: selecting no node"
                f" {median_seconds(self.project_floor):.2f} s"
                f" ({self.against_minimal(self.project_floor):.2f}x the minimal build); its seeds, models and"
                f" data tests, without the pipeline, {median_seconds(self.project_build):.2f} s"
                f" ({self.against_minimal(self.project_build):.2f}x)"
            )
        return "\n".join(lines)


def timed(command: list[str], cwd: Path) -> Timed:
    """Run `command` to completion; its wall time and the CPU time of it and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stdout}{completed.stderr}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(seconds, cpu)


def write_minimal_project(folder: Path) -> None:
    for name, text in MINIMAL_PROJECT.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    amounts = Inputs.seeds_of(folder).file("amounts")
    amounts.parent.mkdir()
    shutil.copyfile(Inputs.seeds_of(PROJECT_DIR).file("amounts"), amounts)
    with amounts.open(encoding="utf-8") as seed:
        assert "amount_tdkk" in next(csv.reader(seed)), "the minimal model sums the amounts' amount_tdkk"


def measure_small_run(pairs: int = PAIRS) -> SmallRunResult:
    python = sys.executable
    dbt = str(Path(python).parent / "dbt")
    with tempfile.TemporaryDirectory(prefix="funding-small-run-") as scratch:
        work = Path(scratch)
        minimal = work / "minimal"
        write_minimal_project(minimal)
        minimal_command = [dbt, "build", "--profiles-dir", ".", "--quiet"]
        project = copy_project(work / "project")
        # `make run` leaves out the unit tests, which check the models' logic, not the data
        project_build = [*minimal_command, "--exclude-resource-type", "unit_test"]
        project_floor = [*minimal_command, "--select", "no_such_node"]
        run_command = [
            python,
            "-m",
            "scripts",
            "run",
            "--warehouse",
            str(work / "warehouse" / "funding.duckdb"),
            "--target-dir",
            str(work / "target"),
        ]

        def minimal_build() -> Timed:
            return timed(minimal_command, minimal)

        def make_run() -> Timed:
            return timed(run_command, PROJECT_DIR)

        minimal_build(), make_run(), timed(project_build, project)  # warm: each keeps its parse
        measured, floor, built = [], [], []
        for pair in range(pairs):
            if pair % 2 == 0:
                first = minimal_build()
                measured.append((first, make_run()))
            else:
                second = make_run()
                measured.append((minimal_build(), second))
            floor.append(timed(project_floor, project))
            built.append(timed(project_build, project))
        return SmallRunResult(measured, floor, built)


def main(pairs: int = PAIRS) -> int:
    """`python -m scripts bench small`: the ratio, and 0 when it is within TARGET."""
    result = measure_small_run(pairs)
    print(result.summary())
    return 0 if result.ratio <= TARGET else 1
