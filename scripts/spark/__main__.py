"""`python -m scripts.spark COMMAND`: the warehouse on a local Spark warehouse folder.

    run        check, build, test, validate and publish (make run-spark)
    rollback   point the views of `marts` at the previous release again
    status     which release the views of `marts` show, and the releases kept

The warehouse folder is --root, $SPARK_WAREHOUSE_ROOT, or warehouse/spark. See docs/engines.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scripts.settings import FILE_FORMATS, PROJECT_DIR, Inputs, default_target_dir
from scripts.spark.session import SparkDbtProject, default_root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.spark", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "rollback", "status"])
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR)
    parser.add_argument("--root", type=Path, default=None, help="the Spark warehouse folder")
    parser.add_argument("--target-dir", type=Path, default=None)
    parser.add_argument("--input-dir", type=Path, default=None, help="input tables as files, as for make run")
    parser.add_argument("--input-format", choices=FILE_FORMATS, default=FILE_FORMATS[0])
    parser.add_argument("--threads", type=int, default=None, help="dbt threads (default: the profile's)")
    args = parser.parse_args(argv)
    root = (args.root or default_root()).absolute()
    target_dir = args.target_dir or default_target_dir(args.project_dir) / "spark"
    from scripts.spark import pipeline

    if args.command == "run":
        inputs = Inputs(args.input_dir.resolve(), args.input_format) if args.input_dir else None
        return pipeline.run(args.project_dir, root, target_dir, inputs, threads=args.threads).exit_code
    SparkDbtProject(args.project_dir, root, "status", target_dir)  # starts the session on `root`
    if args.command == "rollback":
        try:
            release = pipeline.rollback()
        except RuntimeError as error:
            print(f"Rollback refused: {error}")
            return 1
        print(f"Release {release} is current again: the views of `marts` point at its build.")
        return 0
    current = pipeline.current_release()
    print(f"Spark warehouse {root}")
    print(f"  current release: {current[0] if current else '(none published)'}")
    for release_id, schema in pipeline.releases():
        print(f"  published: {release_id} ({schema}_marts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
