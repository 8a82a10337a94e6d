"""Every path, input choice and DuckDB setting of the pipeline, defined once.

Each stage reads them from here: the command line (`scripts/cli.py`) turns its options into a
`RunPaths`, and the stages take what they need from it.

- Paths: the project, its seeds and target folders, the default published warehouse, and the
  files a run writes under its target folder.
- Inputs: where a run reads the input tables, the project's seeds or files in a folder. One
  `Inputs` gives the input files, the dbt variables and environment that select them, and what
  the validation reads.
- DuckDB: the settings of every DuckDB connection of a run, dbt's and the pipeline's own.
  profiles.yml cannot import Python, so dbt is handed them through the environment variables the
  profile reads (`dbt_duckdb_environment`, set by `scripts/dbt_build.py` for each invocation).
  The storage compatibility version is not here: only dbt creates the database files, so
  profiles.yml is the one place it is written.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scripts.publish import Warehouse

# --- paths ----------------------------------------------------------------------------------------

PROJECT_DIR = Path(__file__).resolve().parent.parent
SEEDS_FOLDER = "seeds"  # in a project: the seed CSVs and their declaration, _seeds.yml
TARGET_FOLDER = "target"  # in a project: dbt's output, and what a run writes beside it
LOG_FOLDER = "logs"  # in a target folder: dbt's log and the pipeline's error log
WAREHOUSE_VARIABLE = "WAREHOUSE_PATH"
DEFAULT_WAREHOUSE = Path("warehouse/funding.duckdb")  # relative to where the command runs


# What dbt needs of the project to build it, and the source document: what a copy of the project
# holds (the tests' copies, the benchmark's).
PROJECT_PARTS = ["dbt_project.yml", "profiles.yml", "models", "macros", SEEDS_FOLDER, "tests/dbt", "sources"]


def copy_project(destination: Path) -> Path:
    """Copy the project's PROJECT_PARTS into `destination`; return it."""
    for part in PROJECT_PARTS:
        source, target = PROJECT_DIR / part, destination / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    return destination


def default_warehouse() -> Path:
    """The published file a command works on unless told otherwise: $WAREHOUSE_PATH, or the default."""
    return Path(os.environ.get(WAREHOUSE_VARIABLE, DEFAULT_WAREHOUSE))


def default_target_dir(project_dir: Path) -> Path:
    return project_dir / TARGET_FOLDER


# --- inputs ---------------------------------------------------------------------------------------

# The input tables, by name. dbt declares them too, as seeds (seeds/_seeds.yml) and as the source
# appendix_files (models/staging/_appendix__sources.yml); tests/test_settings.py holds the three
# lists equal.
INPUT_TABLES = ("documents", "pools", "projects", "budget_lines", "amounts", "published_totals")
ENGINES = ("duckdb", "postgres", "spark")  # where `run` builds and publishes: the first is the default
SEEDS = "seeds"  # the format of the project's own seed CSVs, loaded by dbt
FILE_FORMATS = ("parquet", "csv")  # the formats of files read in place


@dataclass(frozen=True)
class Inputs:
    """Where a run reads the input tables: the seed CSVs in `directory`, or one file per table in
    `directory`, `<table>.parquet` or `<table>.csv`, read in place (for large inputs)."""

    directory: Path
    file_format: str = SEEDS  # SEEDS, or one of FILE_FORMATS

    def __post_init__(self) -> None:
        if self.file_format not in (SEEDS, *FILE_FORMATS):
            raise ValueError(f"unknown input format {self.file_format!r}; expected {SEEDS} or one of {FILE_FORMATS}")

    @classmethod
    def seeds_of(cls, project_dir: Path) -> Inputs:
        return cls(project_dir / SEEDS_FOLDER, SEEDS)

    @property
    def are_seeds(self) -> bool:
        return self.file_format == SEEDS

    def file(self, table: str) -> Path:
        return self.directory / f"{table}.{'csv' if self.are_seeds else self.file_format}"

    @property
    def files(self) -> list[Path]:
        """Every input table's file, in the order of INPUT_TABLES."""
        return [self.file(table) for table in INPUT_TABLES]

    @property
    def dbt_vars(self) -> dict[str, str]:
        """The dbt variables that select these inputs; none for the seeds, dbt_project.yml's default."""
        if self.are_seeds:
            return {}
        return {"input_mode": "files", "input_format": self.file_format}

    @property
    def dbt_environment(self) -> dict[str, str]:
        """The environment dbt reads for these inputs: the folder the source appendix_files reads,
        and one dbt thread for large files.

        DuckDB runs each query on every core already. With two dbt threads, two of the large
        models (the facts and the subtotals, each joining every amount to its line) run at once
        and contend for the cores and the one memory limit: `make bench` measured the pair far
        slower side by side than one after the other. The seeds keep dbt's two threads, where a
        node's cost is dbt's own Python work rather than DuckDB's.
        """
        if self.are_seeds:
            return {}
        return {"APPENDIX_FILES_DIR": str(self.directory), "DBT_THREADS": os.environ.get("DBT_THREADS", "1")}


# --- one run --------------------------------------------------------------------------------------


@dataclass
class RunPaths:
    """Where one run reads and writes: the project, the published warehouse, the target folder,
    and the inputs (by default the project's seeds)."""

    project_dir: Path
    warehouse: Warehouse
    target_dir: Path
    inputs: Inputs = field(default=None)  # type: ignore[assignment]  # None: the project's seeds

    def __post_init__(self) -> None:
        if self.inputs is None:
            self.inputs = Inputs.seeds_of(self.project_dir)

    @property
    def log_dir(self) -> Path:
        return self.target_dir / LOG_FOLDER

    @property
    def error_log(self) -> Path:
        """Where an unexpected error's traceback is written, instead of the terminal."""
        return self.log_dir / "pipeline-error.log"

    @property
    def validation_result(self) -> Path:
        return self.target_dir / "gx" / "validation_result.json"

    def shown_input(self, path: Path) -> str:
        """An input file as release.json names it: relative to the project for a seed."""
        if self.inputs.are_seeds:
            return str(path.relative_to(self.project_dir))
        return str(path)


# --- DuckDB ---------------------------------------------------------------------------------------

# Each setting: the environment variable that changes it (profiles.yml reads the same one for
# dbt's connection), and the project's default. Beyond the memory limit DuckDB spills to disk.
DUCKDB_SETTINGS = {"memory_limit": ("DUCKDB_MEMORY_LIMIT", "3GB")}


def duckdb_limits() -> dict[str, str]:
    """The configuration of a DuckDB connection the pipeline opens itself, beside dbt's."""
    return {setting: os.environ.get(variable, default) for setting, (variable, default) in DUCKDB_SETTINGS.items()}


def dbt_duckdb_environment() -> dict[str, str]:
    """The same settings as the environment variables profiles.yml reads them from."""
    return {variable: os.environ.get(variable, default) for variable, default in DUCKDB_SETTINGS.values()}
