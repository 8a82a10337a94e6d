"""`make run`: check the seeds, build and test aside, validate, export, publish.

Write, audit, publish. One run at a time holds the warehouse's lock; a second run waits for it
and says so. dbt builds into a build folder of the run's own, never into the published file.
Only when the seed check, every dbt test and the Great Expectations suite have passed is the
build stamped, made read-only, exported and published with its exports, in one atomic step
(scripts/publish.py). A failed run leaves the published release as it was, says why, and keeps
the rejected build for inspection until the next run.

The stages are the same on every engine (`run_stages`, driven by an `Engine`): DuckDB's run
(`DuckDbRun`) is here; scripts/postgres_pipeline.py and scripts/spark/pipeline.py hold only
what differs on PostgreSQL and Spark: how a build is kept apart, what the suite validates, how a
tested build is published.

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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import duckdb

from scripts.export import ExportError, export_marts
from scripts.interrupts import remembered_interrupts
from scripts.publish import (
    Build,
    PublishError,
    new_release_id,
    publish,
    seal,
    sha256,
    start_build,
    writer_lock,
)
from scripts.seed_check import check_seeds, required_seed_columns
from scripts.settings import Inputs, RunPaths, duckdb_limits
from scripts.validation import ValidationOutcome
from scripts.validation.process import ValidatorProcess

if TYPE_CHECKING:
    from scripts.dbt_build import DbtProject, StageResult

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
    stages: Sequence[str] = tuple(STAGES)  # those the run announces, numbered in this order
    _stage: str | None = None
    _started: float = 0.0

    @property
    def current(self) -> str | None:
        return self._stage

    def start(self, stage: str, detail: str | None = None) -> None:
        """Begin `stage`, closing the one before with `detail`."""
        self.finish(detail)
        self._stage, self._started = stage, time.monotonic()
        self.say(f"[{self.stages.index(stage) + 1}/{len(self.stages)}] {stage}")

    def finish(self, detail: str | None = None) -> None:
        if self._stage is None:
            return
        self.seconds[self._stage] = time.monotonic() - self._started
        if detail:
            self.say(f"      {detail} ({self.seconds[self._stage]:.1f} s)")
        self._stage = None

    def split(self) -> str:
        return ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in self.seconds.items() if stage in self.stages)


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


@dataclass
class StartedBuild:
    """What the shared stages need of a build an engine has started: its release id, the dbt
    project that builds it, and the sentence that says where a rejected build is kept."""

    release_id: str
    dbt: DbtProject
    kept: str


@dataclass
class Publishing:
    """What an engine's `release` is handed, once every check has passed: what to stamp the build
    with, the progress report for its stages, a pool for work beside them, and the Ctrl-C check to
    make before each step that changes what readers read."""

    commit: str
    checksums: dict[str, str]
    progress: Progress
    background: ThreadPoolExecutor
    stop_if_interrupted: Callable[[], None]


class Rejected(Exception):
    """A check failed after the build began: the run stops, publishes nothing and says why."""

    def __init__(self, reason: str, details: list[str]):
        super().__init__(reason)
        self.reason, self.details = reason, details


class Validator(Protocol):
    """What runs the Great Expectations suite (a `ValidatorProcess`, or the suite in this process)."""

    def start(self) -> None: ...

    def validate(self, target: Any, inputs: Inputs, result_path: Path) -> ValidationOutcome: ...

    def __enter__(self) -> Validator: ...

    def __exit__(self, *exc_info: object) -> None: ...


class Engine(Protocol):
    """One run on one engine: only what differs between DuckDB, PostgreSQL and Spark.

    `run_stages` drives it: the input check, dbt's seed, build and test, the GX suite and the
    summary are the same on every engine; how a build is kept apart from what readers read
    (`start_build`), what the suite reads (`validation_target`) and how a tested build is
    published (`release`) are the engine's.
    """

    stages: Sequence[str]  # the stages the run announces, in order (of STAGES)
    published: str  # what a publish makes current, for the summary: "schema marts on ..."
    unchanged: str  # what a rejected run leaves as it was: "the published warehouse ... is unchanged"

    def lock(self, say: Reporter) -> AbstractContextManager[object]:
        """Held for the whole run: one run at a time per warehouse."""
        ...

    def start_build(self, paths: RunPaths, say: Reporter) -> StartedBuild:
        """Set up a build of the run's own, apart from what readers read, and its dbt project.

        Raises PublishError when no build can be started (the run stops, having built nothing)."""
        ...

    def validation_target(self) -> Any:
        """What the GX suite validates: the build's marts."""
        ...

    def reconciled_totals(self) -> tuple[int, int]:
        """(reconciled, published) over the build's rpt_reconciliation: the figure the summary quotes."""
        ...

    def release(self, publishing: Publishing) -> list[str]:
        """Stamp and publish the tested build, announcing its stages through `publishing.progress`;
        return the summary's lines about where it published. Raises Rejected when a last check fails."""
        ...


def unchanged_sentence(engine: Engine) -> str:
    return engine.unchanged[:1].upper() + engine.unchanged[1:]


def input_check_stage(paths: RunPaths, progress: Progress, say: Reporter) -> bool:
    """The first stage: the input files' form; False, having said every problem, when it is wrong."""
    progress.start("check inputs")
    problems = check_inputs(paths)
    if problems:
        progress.finish()
        say(f"Rejected: {len(problems)} problem(s) in the input files; nothing was built or published.")
        for problem in problems:
            say(f"  {problem}")
        return False
    progress.finish(
        "every seed file is of its declared form"
        if paths.inputs.are_seeds
        else f"every input file is in {shown(paths.inputs.directory)}; dbt tests check their form"
    )
    return True


def run_engine(
    engine: Engine,
    paths: RunPaths,
    say: Reporter,
    *,
    timings: dict[str, float] | None = None,
    validator: Callable[[], Validator] = ValidatorProcess,
) -> int:
    """Every stage of a run on `engine`, reporting through `say`; return the exit code.

    A Ctrl-C is remembered for the run (scripts/interrupts.py): nothing is validated, exported
    or published after one, whatever library caught it.
    """
    with (
        remembered_interrupts() as stop_if_interrupted,
        engine.lock(say),
        validator() as validator_process,
        ThreadPoolExecutor(max_workers=2) as background,  # checksums, computed while dbt or the engine work
    ):
        return run_stages(engine, paths, validator_process, background, say, timings, stop_if_interrupted)


def run_stages(
    engine: Engine,
    paths: RunPaths,
    validator: Validator,
    background: ThreadPoolExecutor,
    say: Reporter,
    timings: dict[str, float] | None,
    stop_if_interrupted: Callable[[], None],
) -> int:
    """The stages every engine shares, around the engine's own build and publish."""
    started = time.monotonic()
    progress = Progress(say, seconds=timings if timings is not None else {}, stages=engine.stages)
    if not input_check_stage(paths, progress, say):
        return EXIT_BAD_INPUT

    progress.start("seed")
    validator.start()  # GX imports in its own process while dbt imports and parses in this one
    startup_began = time.monotonic()
    checksums = background.submit(input_checksums, paths)
    commit = background.submit(git_commit, paths.project_dir)
    try:
        build = engine.start_build(paths, say)
    except PublishError as error:
        progress.finish()
        say(f"Stopped: {error}. Nothing was built or published.")
        return EXIT_CHECK_FAILED
    try:
        built, tests_passed = dbt_stages(build.dbt, paths, progress, startup_began)

        stop_if_interrupted()
        progress.start("validate")
        validation = validator.validate(engine.validation_target(), paths.inputs, paths.validation_result)
        if not validation.success:
            raise Rejected(
                "Great Expectations found problems",
                [*validation.failures, f"Full result: {shown(validation.result_path)}"],
            )
        reconciled, published = engine.reconciled_totals()
        progress.finish(f"{validation.successful}/{validation.evaluated} expectations met")

        stop_if_interrupted()
        where = engine.release(
            Publishing(commit.result(), checksums.result(), progress, background, stop_if_interrupted)
        )
    except Rejected as rejection:
        progress.finish()
        say(f"Rejected: {rejection.reason}. {unchanged_sentence(engine)}.")
        for detail in rejection.details:
            say(f"  {detail}")
        say(f"  {build.kept}")
        return EXIT_CHECK_FAILED

    say("")
    say(f"Published {engine.published} in {time.monotonic() - started:.1f} s (release {build.release_id})")
    for line in where:
        say(line)
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


def dbt_stages(dbt: DbtProject, paths: RunPaths, progress: Progress, startup_began: float) -> tuple[StageResult, str]:
    """The seed, build and test stages: one `dbt build`; return its result and the tests passed, as
    the summary says them. Raises Rejected when dbt cannot parse the project or the build fails."""
    parsed = dbt.invoke("parse", "--no-write-json")  # the build writes target/manifest.json
    progress.seconds["dbt start-up"] = time.monotonic() - startup_began
    if not parsed.success:
        raise Rejected("dbt could not parse the project", [parsed.error or ""])
    stages = DbtStages(progress, dbt.node_counts())
    required = required_seed_columns(paths.inputs.directory) if paths.inputs.are_seeds else None
    built, proved = dbt.build_as_run(required, on_event=stages.on_event)
    if not built.success:
        raise Rejected("the dbt build failed", built.failure_lines())
    passed = f"{built.count('test', 'pass')}/{built.count('test')}"
    proved_too = f", and {len(proved)} not_null tests proved by the seed check" if proved else ""
    progress.finish(f"{built.count('model', 'success')} models, {passed} data tests passed{proved_too}")
    return built, passed + proved_too


class DuckDbRun:
    """A run on DuckDB: a build folder of the run's own; exported, then published as a release
    file with its exports, in one atomic step (scripts/publish.py)."""

    stages = STAGES

    def __init__(self, paths: RunPaths):
        warehouse = self.warehouse = paths.warehouse
        self.manifest = paths.target_dir / "manifest.json"  # the build writes it; the exports describe its models
        self.published = shown(warehouse.published)
        self.unchanged = f"the published warehouse {shown(warehouse.published)} is unchanged"
        self.build: Build | None = None

    def lock(self, say: Reporter) -> AbstractContextManager[object]:
        return writer_lock(self.warehouse, "make run", say)

    def start_build(self, paths: RunPaths, say: Reporter) -> StartedBuild:
        from scripts.dbt_build import DbtProject  # imported here: dbt takes seconds to import

        build = self.build = start_build(self.warehouse, new_release_id())
        kept = (
            f"The rejected build is kept for inspection in {shown(build.folder)}/ until the next run: "
            f"the marts in {build.marts_name}, failing rows in schema audit of {build.build_name}."
        )
        dbt = DbtProject(paths.project_dir, build.build_database, build.marts_database, paths.target_dir, paths.inputs)
        return StartedBuild(build.id, dbt, kept)

    def started(self) -> Build:
        if self.build is None:
            raise RuntimeError("the build has not started")
        return self.build

    def validation_target(self) -> Path:
        return self.started().marts_database

    def reconciled_totals(self) -> tuple[int, int]:
        return reconciled_totals(self.started().marts_database)

    def release(self, publishing: Publishing) -> list[str]:
        build, warehouse, progress = self.started(), self.warehouse, publishing.progress
        progress.start("export")
        record = stamp_release(build.marts_database, build.id, publishing.commit, publishing.checksums)
        # the databases are final now: hash them while DuckDB writes the exports
        database_checksums = {
            path.name: publishing.background.submit(sha256, path)
            for path in (build.marts_database, build.build_database)
        }
        try:
            package = export_marts(build.marts_database, build.exports, self.manifest)
        except ExportError as error:
            raise Rejected("the marts could not be exported as described", [str(error)]) from error
        progress.finish(f"{len(package['resources'])} files and datapackage.json")

        publishing.stop_if_interrupted()
        progress.start("publish")
        # the exports' checksums were taken as they were written, and the descriptor holds them
        known = {
            f"{build.exports.name}/{item['path']}": item["hash"].removeprefix("sha256:")
            for item in package["resources"]
        }
        known.update({name: checksum.result() for name, checksum in database_checksums.items()})
        seal(build, record, known)
        release = publish(warehouse, build)
        progress.finish(f"release {release.name} is current")
        lines = [
            f"  exports:                     {shown(warehouse.exports)}/ ({len(package['resources'])} files, datapackage.json)"
        ]
        if warehouse.previous.is_symlink():
            lines.append(f"  previous release:            {shown(warehouse.previous)} (make rollback restores it)")
        lines.append(f"  build database (audit):      {shown(warehouse.current_link)}/{build.build_name}")
        return lines


def run(
    paths: RunPaths,
    say: Reporter = print_line,
    timings: dict[str, float] | None = None,
    validator: Callable[[], Validator] = ValidatorProcess,
) -> int:
    """Every stage on DuckDB, reporting through `say`; return the exit code.

    `timings`, when given, receives the seconds of each stage, and of dbt's start-up (its
    import and parse) within the seed stage, for `make bench`. `validator` makes what runs the
    GX suite: its own process, unless a caller that runs many pipelines in one process (the
    tests) hands in one that runs the suite there, to import GX once rather than per run.
    """
    return run_engine(DuckDbRun(paths), paths, say, timings=timings, validator=validator)


def report_errors(run: Callable[[], int], unchanged: str, error_log: Path) -> int:
    """`run()`, with a Ctrl-C or an unexpected error told in one sentence (saying that `unchanged`
    is, as nothing was published) and an unexpected error's traceback kept in `error_log`."""
    try:
        return run()
    except KeyboardInterrupt:
        print_line(f"Interrupted: nothing was published; {unchanged}.")
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001  the one place that turns any error into a message
        error_log.parent.mkdir(parents=True, exist_ok=True)
        error_log.write_text(traceback.format_exc(), encoding="utf-8")
        print_line(f"The run stopped on an unexpected error: {type(error).__name__}: {str(error).strip()}")
        print_line(f"  Nothing was published; {unchanged}.")
        print_line(f"  The full traceback is in {shown(error_log)}.")
        return EXIT_ERROR


def run_reporting_errors(paths: RunPaths, timings: dict[str, float]) -> int:
    """`run`, with an unexpected error told in one sentence and its traceback kept in a log."""
    return report_errors(
        lambda: run(paths, timings=timings), f"{shown(paths.warehouse.published)} is unchanged", paths.error_log
    )


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
