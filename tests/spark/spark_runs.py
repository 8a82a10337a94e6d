"""Running the Spark pipeline from a test (a module of its own: tests import helpers, never conftest)."""

from __future__ import annotations

from pathlib import Path


def run_on_spark(project: Path, root: Path, target: Path):
    """The Spark pipeline on `project`, into the warehouse `root`, quietly; its SparkRun."""
    from scripts.spark.pipeline import run

    return run(project, root, target, say=lambda line: None)
