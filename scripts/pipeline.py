"""`make run`: check the seeds, build and test aside, validate, export, publish.

Write, audit, publish. One run at a time holds the warehouse's lock; a second run waits for it
and says so. dbt builds into a build folder of the run's own, never into the published file.
Only when the seed check, every dbt test and the Great Expectations suite have passed is the
build stamped, made read-only, exported and published with its exports, in one atomic step
(scripts/publish.py). A failed run leaves the published release as it was, says why, and keeps
the rejected build for inspection until the next run.

Exit codes: 0 published; 1 a check failed; 2 the input files are malformed; 3 the run stopped on
an unexpected error (its traceback is written to a log file, not the terminal); 130 interrupted.
"""

from __future__ import annotations

import json
import resource
import subprocess
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from scripts.export import ExportError, export_marts
from scripts.interrupts import remembered_interrupts
from scripts.publish import (
    PublishError,
    new_release_id,
    publish,
    seal,
    sha256,
    start_build,
    writer_lock,
)
from scripts.seed_check import check_seeds, required_seed_columns
from scripts.settings import RunPaths, duckdb_limits
from scripts.validation.process import ValidatorProcess

STAGES = ["check inputs", "seed", "build", "test", "validate", "export", "publish"]
EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT, EXIT_ERROR = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # as a shell reports a command stopped by Ctrl-C

Reporter = Callable[[str], None]


def print_line(message: str) -> None:
    print(message, flush=True)


@dataclass
class Progress:
    """Announces each stage as it starts and keeps how long each took."""

    say: Reporter
    seconds: dict[str, float] = field(default_factory=dict)
    _stage: str | None = None
    _started: float = 0.0

    @property
    def current(self) -> str | None:
        return self._stage

    def start(self, stage: str, detail: str | None = None) -> None:
        """Begin `stage`, closing the one before with `detail`."""
        self.finish(detail)
        self._stage, self._started = stage, time.monotonic()
        self.say(f"[{STAGES.index(stage) + 1}/{len(STAGES)}] {stage}")

    def finish(self, detail: str | None = None) -> None:
        if self._stage is None:
            return
        self.seconds[self._stage] = time.monotonic() - self._started
        if detail:
            self.say(f"      {detail} ({self.seconds[self._stage]:.1f} s)")
        self._stage = None

    def split(self) -> str:
        return ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in self.seconds.items() if stage in STAGES)


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory where possible."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def reconciled_totals(database: Path) -> tuple[int, int]:
    """(reconciled, published) over rpt_reconciliation: the figure the summary quotes."""
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


def check_inputs(paths: RunPaths) -> list[str]:
    """Problems with the input files, each naming the file; empty when all is well."""
    if paths.inputs.are_seeds:
        return [
            str(replace(problem, file=Path(shown(problem.file)))) for problem in check_seeds(paths.inputs.directory)
        ]
    return [f"{path}: is missing; every input table needs its file" for path in paths.inputs.files if not path.exists()]


def git_commit(project_dir: Path) -> str:
    """The commit the project was checked out at, `+changes` when its files differ from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(project_dir), *args], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()

    try:
        if git("rev-parse", "--show-toplevel") != str(project_dir):
            return "unknown (the project is not a git checkout of its own)"
        commit = git("rev-parse", "HEAD")
        return commit + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")
    except subprocess.CalledProcessError:
        return "unknown (the project is not in a git checkout)"
    except (OSError, subprocess.SubprocessError):
        return "unknown (git is not installed or did not answer)"


def input_checksums(paths: RunPaths) -> dict[str, str]:
    return {paths.shown_input(path): f"sha256:{sha256(path)}" for path in paths.inputs.files}


def stamp_release(database: Path, release_id: str, commit: str, checksums: dict[str, str]) -> dict:
    """Record the release in marts.release_info; return its row, for release.json.

    Called once every check has passed, just before the exports are written from the stamped
    marts. The build wrote development values; this sets the release id, the commit, the
    input checksums and the moment of publishing. A build rejected after it (its exports
    could not be written) is never published, whatever its stamp says.
    """
    published_at = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    with duckdb.connect(str(database), config=duckdb_limits()) as connection:
        connection.execute(
            "update marts.release_info set release_id = ?, git_commit = ?, input_checksums = ?,"
            " published_at_utc = cast(? as timestamp)",
            [release_id, commit, json.dumps(checksums, sort_keys=True), published_at],
        )
        cursor = connection.execute("select * from marts.release_info")
        columns = [description[0] for description in cursor.description]
        (row,) = cursor.fetchall()
    info = dict(zip(columns, row, strict=True))
    return {
        "published_at_utc": published_at,
        "git_commit": info["git_commit"],
        "dbt_version": info["dbt_version"],
        "duckdb_version": info["engine_version"],
        "documents": info["document_ids"].split(", ") if info["document_ids"] else [],
        "inputs": json.loads(info["input_checksums"]),
    }


class DbtStages:
    """Turns dbt's node events into the seed, build and test stages of the progress report.

    `dbt build` interleaves models and their tests, so the build stage starts with the first
    model, and the test stage with the last model's end: the tests still running then.
    """

    def __init__(self, progress: Progress, expected: Counter):
        self.progress, self.expected = progress, expected
        self.finished, self.succeeded = Counter(), Counter()
        self.lock = threading.Lock()

    def on_event(self, event) -> None:
        name = event.info.name
        if name not in ("NodeStart", "NodeFinished"):
            return
        resource_type = event.data.node_info.resource_type
        with self.lock:
            if name == "NodeStart" and resource_type == "model" and self.progress.current == "seed":
                self.progress.start("build", detail=self.done("seed", "loaded"))
            if name == "NodeFinished":
                self.finished[resource_type] += 1
                self.succeeded[resource_type] += event.data.node_info.node_status == "success"
                if resource_type == "model" and self.finished["model"] == self.expected["model"]:
                    self.progress.start("test", detail=self.done("model", "built"))

    def done(self, resource_type: str, verb: str) -> str:
        if resource_type == "seed" and not self.expected["seed"]:
            return "no seeds: the inputs are read in place from files"
        return f"{self.succeeded[resource_type]}/{self.expected[resource_type]} {resource_type}s {verb}"


def run(
    paths: RunPaths,
    say: Reporter = print_line,
    timings: dict[str, float] | None = None,
    validator: Callable[[], ValidatorProcess] = ValidatorProcess,
) -> int:
    """Run every stage, reporting through `say`; return the exit code.

    `timings`, when given, receives the seconds of each stage, and of dbt's start-up (its
    import and parse) within the seed stage, for `make bench`. `validator` makes what runs the
    GX suite: its own process, unless a caller that runs many pipelines in one process (the
    tests) hands in one that runs the suite there, to import GX once rather than per run.
    """
    with (
        remembered_interrupts() as stop_if_interrupted,
        writer_lock(paths.warehouse, "make run", say),
        validator() as validator_process,
        ThreadPoolExecutor(max_workers=2) as background,  # checksums, computed while dbt or DuckDB work
    ):
        return run_stages(paths, validator_process, background, say, timings, stop_if_interrupted)


def run_stages(
    paths: RunPaths,
    validator: ValidatorProcess,
    background: ThreadPoolExecutor,
    say: Reporter,
    timings: dict[str, float] | None,
    stop_if_interrupted: Callable[[], None] = lambda: None,
) -> int:
    started = time.monotonic()
    warehouse = paths.warehouse
    progress = Progress(say, seconds=timings if timings is not None else {})

    def reject(reason: str, details: list[str], kept: str) -> int:
        progress.finish()
        say(f"Rejected: {reason}. The published warehouse {shown(warehouse.published)} is unchanged.")
        for detail in details:
            say(f"  {detail}")
        say(f"  {kept}")
        return EXIT_CHECK_FAILED

    progress.start("check inputs")
    problems = check_inputs(paths)
    if problems:
        progress.finish()
        say(f"Rejected: {len(problems)} problem(s) in the input files; nothing was built or published.")
        for problem in problems:
            say(f"  {problem}")
        return EXIT_BAD_INPUT
    progress.finish(
        "every seed file is of its declared form"
        if paths.inputs.are_seeds
        else f"every input file is in {shown(paths.inputs.directory)}; dbt tests check their form"
    )

    progress.start("seed")
    validator.start()  # GX imports in its own process while dbt imports and parses in this one
    startup_began = time.monotonic()
    checksums = background.submit(input_checksums, paths)
    commit = background.submit(git_commit, paths.project_dir)
    from scripts.dbt_build import DbtProject  # imported here: dbt takes seconds to import

    try:
        build = start_build(warehouse, new_release_id())
    except PublishError as error:
        progress.finish()
        say(f"Stopped: {error}. Nothing was built or published.")
        return EXIT_CHECK_FAILED
    kept = (
        f"The rejected build is kept for inspection in {shown(build.folder)}/ until the next run: "
        f"the marts in {build.marts_name}, failing rows in schema audit of {build.build_name}."
    )
    dbt = DbtProject(paths.project_dir, build.build_database, build.marts_database, paths.target_dir, paths.inputs)
    parsed = dbt.invoke("parse", "--no-write-json")  # the build writes target/manifest.json
    progress.seconds["dbt start-up"] = time.monotonic() - startup_began
    if not parsed.success:
        return reject("dbt could not parse the project", [parsed.error or ""], kept)
    stages = DbtStages(progress, dbt.node_counts())
    # Unit tests check the models' logic on fixed rows, not the data, so they run where the
    # code changes (`dbt build` in CI, `make test`), as dbt advises, not in every publish. The
    # not_null tests that the seed check has already proved are not run a second time.
    proved = (
        dbt.tests_proved_by_seed_check(required_seed_columns(paths.inputs.directory)) if paths.inputs.are_seeds else []
    )
    excluded = ["--exclude", *proved] if proved else []
    built = dbt.invoke("build", "--exclude-resource-type", "unit_test", *excluded, on_event=stages.on_event)
    if not built.success:
        return reject("the dbt build failed", built.failure_lines(), kept)
    tests_passed = f"{built.count('test', 'pass')}/{built.count('test')}" + (
        f", and {len(proved)} not_null tests proved by the seed check" if proved else ""
    )
    progress.finish(f"{tests_passed} data tests passed")

    stop_if_interrupted()
    progress.start("validate")
    validation = validator.validate(build.marts_database, paths.inputs, paths.validation_result)
    if not validation.success:
        return reject(
            "Great Expectations found problems",
            validation.failures + [f"Full result: {shown(validation.result_path)}"],
            kept,
        )
    progress.finish(f"{validation.successful}/{validation.evaluated} expectations met")

    stop_if_interrupted()
    progress.start("export")
    reconciled, published = reconciled_totals(build.marts_database)
    record = stamp_release(build.marts_database, build.id, commit.result(), checksums.result())
    # the databases are final now: hash them while DuckDB writes the exports
    database_checksums = {
        path.name: background.submit(sha256, path) for path in (build.marts_database, build.build_database)
    }
    try:
        package = export_marts(build.marts_database, build.exports, paths.target_dir / "manifest.json")
    except ExportError as error:
        return reject("the marts could not be exported as described", [str(error)], kept)
    progress.finish(f"{len(package['resources'])} files and datapackage.json")

    stop_if_interrupted()
    progress.start("publish")
    # the exports' checksums were taken as they were written, and the descriptor holds them
    known = {
        f"{build.exports.name}/{item['path']}": item["hash"].removeprefix("sha256:") for item in package["resources"]
    }
    known.update({name: checksum.result() for name, checksum in database_checksums.items()})
    seal(build, record, known)
    release = publish(warehouse, build)
    progress.finish(f"release {release.name} is current")

    say("")
    say(f"Published {shown(warehouse.published)} in {time.monotonic() - started:.1f} s (release {release.name})")
    say(
        f"  exports:                     {shown(warehouse.exports)}/ ({len(package['resources'])} files, datapackage.json)"
    )
    if warehouse.previous.is_symlink():
        say(f"  previous release:            {shown(warehouse.previous)} (make rollback restores it)")
    say(f"  build database (audit):      {shown(warehouse.current_link)}/{build.build_name}")
    say(
        f"  models built:                {built.count('model', 'success')} (seeds loaded: {built.count('seed', 'success')})"
    )
    say(f"  dbt data tests passed:       {tests_passed}")
    say(f"  GX expectations met:         {validation.successful}/{validation.evaluated}")
    say(f"  published totals reconciled: {reconciled}/{published}")
    say(f"  time per stage:              {progress.split()}")
    say(
        f"  of which dbt start-up:       {progress.seconds['dbt start-up']:.1f} s (import and parse, in the seed stage)"
    )
    return EXIT_OK


def run_reporting_errors(paths: RunPaths, timings: dict[str, float]) -> int:
    """`run`, with an unexpected error told in one sentence and its traceback kept in a log."""
    try:
        return run(paths, timings=timings)
    except KeyboardInterrupt:
        print_line(f"Interrupted: nothing was published; {shown(paths.warehouse.published)} is unchanged.")
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001  the one place that turns any error into a message
        log = paths.error_log
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(traceback.format_exc(), encoding="utf-8")
        print_line(f"The run stopped on an unexpected error: {type(error).__name__}: {error}")
        print_line(f"  Nothing was published; {shown(paths.warehouse.published)} is unchanged.")
        print_line(f"  The full traceback is in {shown(log)}.")
        return EXIT_ERROR


def main(paths: RunPaths, timings_path: Path | None = None) -> int:
    """`python -m scripts run`: the run, its exit code, and with `timings_path` its timings as JSON."""
    timings: dict[str, float] = {}
    exit_code = run_reporting_errors(paths, timings)
    if timings_path:
        timings_path.parent.mkdir(parents=True, exist_ok=True)
        # this process's peak, and the largest of its children's: GX's process, which runs
        # beside this one, so that a benchmark can add the two
        report = {
            "exit_code": exit_code,
            "seconds": timings,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        }
        timings_path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return exit_code
