"""One project copy, parsed once, whose seeds a test changes and then builds, in this process.

For the tests whose cases differ only in seed rows: the project's code is the same in every
case, so one parse serves them all, and each build runs through the pipeline's own dbt runner
(scripts/dbt_build.py), as `make run` does, without a process and a parse of its own.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from seed_files import renew_project

from scripts.dbt_build import DbtProject, StageResult
from scripts.seed_check import check_seeds, required_seed_columns

Changed = TypeVar("Changed")


def failure_report(result: StageResult) -> str:
    """A failed build's failures as the pipeline prints them (StageResult.failure_lines)."""
    return "\n".join(result.failure_lines())


class SharedProject:
    """A project copy in `folder`, parsed once; `build` restores its seeds, changes them and builds."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.project = renew_project(folder / "project")
        self.pristine_seeds = folder / "pristine-seeds"
        shutil.rmtree(self.pristine_seeds, ignore_errors=True)
        shutil.copytree(self.project / "seeds", self.pristine_seeds)
        self.dbt = self.runner(folder / "parse")
        parsed = self.dbt.invoke("parse")
        assert parsed.success, parsed.error

    def runner(self, build_folder: Path) -> DbtProject:
        build_folder.mkdir(parents=True, exist_ok=True)
        return DbtProject(
            project_dir=self.project,
            database=build_folder / "funding_build.duckdb",
            marts_database=build_folder / "funding.duckdb",
            target_dir=self.folder / "target",
        )

    def build(
        self, change: Callable[[Path], Changed], build_folder: Path, *, every_test: bool = False
    ) -> tuple[Changed, StageResult]:
        """Build the pristine seeds as `change` leaves them (in `build_folder`); return what
        `change` returned, and the build's result. The marts are in `build_folder`/funding.duckdb.

        The build is `make run`'s: the seed check must pass the changed seeds, and the not_null
        tests it proves are left out (DbtProject.build_as_run). `every_test` runs those too, on
        seeds that the check may refuse.
        """
        shutil.rmtree(self.project / "seeds")
        shutil.copytree(self.pristine_seeds, self.project / "seeds")
        changed = change(self.project)
        dbt = self.runner(build_folder)
        dbt.manifest = self.dbt.manifest
        required = None  # every test runs: nothing is left to a seed check
        if not every_test:
            problems = check_seeds(self.project / "seeds")
            assert not problems, "the seed check refuses the changed seeds:\n" + "\n".join(map(str, problems))
            required = required_seed_columns(self.project / "seeds")
        # no manifest.json nor run_results.json: nothing reads them, and writing them costs a tenth
        result, _ = dbt.build_as_run(required, "--no-write-json")
        return changed, result
