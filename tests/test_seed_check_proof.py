"""The not_null tests that a run on the seeds leaves to the seed check.

`make run` checks the seed files before dbt loads them, and does not run again the not_null
tests that this check has already proved (DbtProject.tests_proved_by_seed_check). These tests
hold that bargain: each test left out has its fault refused by the seed check, naming the file,
row and column; each would fail in dbt on that fault; and no other test is left out.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from seed_files import read_rows, write_rows
from shared_project import SharedProject

from scripts.seed_check import check_seeds, required_seed_columns

EMPTY = ""  # dbt's seed loader reads an empty cell as null


def proved_tests(shared_project: SharedProject) -> dict[str, tuple[str, str]]:
    """Each test the seed check proves, by name: the seed and the column it checks."""
    manifest = shared_project.dbt.manifest
    names = shared_project.dbt.tests_proved_by_seed_check(required_seed_columns(shared_project.project / "seeds"))
    tests = {node.name: node for node in manifest.nodes.values() if node.resource_type == "test"}
    proved = {}
    for name in names:
        test = tests[name]
        model = manifest.nodes[test.attached_node]
        (seed,) = [manifest.nodes[parent].name for parent in model.depends_on.nodes if parent.startswith("seed.")]
        proved[name] = (seed, test.column_name)
    return proved


def blank_first_row(seeds_dir: Path, seed: str, columns: set[str]) -> None:
    path = seeds_dir / f"{seed}.csv"
    rows = read_rows(path)
    rows[0].update(dict.fromkeys(columns, EMPTY))
    write_rows(path, rows)


@pytest.mark.pipeline
def test_each_test_left_out_has_its_fault_refused_by_the_seed_check(shared_project: SharedProject, tmp_path: Path):
    proved = proved_tests(shared_project)
    assert proved, "no not_null test is left to the seed check: the test would hold nothing"
    for name, (seed, column) in proved.items():
        seeds = shutil.copytree(shared_project.project / "seeds", tmp_path / name)
        blank_first_row(seeds, seed, {column})
        problems = [str(problem) for problem in check_seeds(seeds)]
        assert any(f"{seed}.csv, row 2, column {column}: is empty" in problem for problem in problems), (
            f"{name}: the seed check does not refuse an empty {seed}.{column}: {problems}"
        )


@pytest.mark.pipeline
def test_each_test_left_out_fails_in_dbt_on_that_fault(shared_project: SharedProject, tmp_path: Path):
    proved = proved_tests(shared_project)
    columns_by_seed: dict[str, set[str]] = {}
    for seed, column in proved.values():
        columns_by_seed.setdefault(seed, set()).add(column)

    def blank_every_proved_column(project: Path) -> None:
        for seed, columns in columns_by_seed.items():
            blank_first_row(project / "seeds", seed, columns)

    _, result = shared_project.build(blank_every_proved_column, tmp_path / "build", every_test=True)
    failed = {failure.name for failure in result.failures}
    assert not result.success
    assert set(proved) <= failed, f"these tests pass on an empty cell: {sorted(set(proved) - failed)}"


@pytest.mark.pipeline
def test_only_not_null_tests_on_required_seed_columns_are_left_out(shared_project: SharedProject):
    required = required_seed_columns(shared_project.project / "seeds")
    proved = proved_tests(shared_project)
    for name, (seed, column) in proved.items():
        assert column in required[seed], f"{name} is left out, but {seed}.{column} may be empty"

    # a column that may be empty: its not_null test runs in dbt again
    name, (seed, column) = next(iter(proved.items()))
    fewer = {**required, seed: required[seed] - {column}}
    assert name not in shared_project.dbt.tests_proved_by_seed_check(fewer)
