"""The commands of the one command line (scripts/cli.py) with `--engine spark`.

    run        check, build, test, validate and publish (make run ENGINE=spark)
    rollback   point the views of `marts` at the previous release again (make rollback ENGINE=spark)

The warehouse folder is $SPARK_WAREHOUSE_ROOT, or warehouse/spark. See docs/engines.md.
"""

from __future__ import annotations

from pathlib import Path

from scripts.settings import Inputs, default_target_dir
from scripts.spark.session import SparkDbtProject, default_root


def spark_command(
    command: str,
    project_dir: Path,
    target_dir: Path | None,
    inputs: Inputs | None = None,
    root: Path | None = None,
    threads: int | None = None,
) -> int:
    """Run `command` on the Spark warehouse in `root`; return the exit code."""
    root = (root or default_root()).absolute()
    target_dir = target_dir or default_target_dir(project_dir) / "spark"
    from scripts.spark import pipeline

    if command == "run":
        from scripts.pipeline import report_errors
        from scripts.settings import RunPaths

        error_log = RunPaths(project_dir, None, target_dir, inputs).error_log  # type: ignore[arg-type]
        return report_errors(
            lambda: pipeline.run(project_dir, root, target_dir, inputs, threads=threads).exit_code,
            pipeline.SparkEngineRun.unchanged,
            error_log,
        )
    if command == "rollback":
        SparkDbtProject(project_dir, root, "rollback", target_dir)  # starts the session on `root`
        try:
            release = pipeline.rollback()
        except RuntimeError as error:
            print(f"Nothing rolled back: {error}.")
            return 1
        print(f"Release {release} is current again: the views of `marts` read its build.")
        return 0
    raise ValueError(f"unknown command {command!r}")
