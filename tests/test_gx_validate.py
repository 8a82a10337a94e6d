"""The independent check: its queries, the Great Expectations suite on them, and its process.

dbt's tests stop a bad build before GX runs, so these corruptions are made to a copy of a
published warehouse directly, to show that the second check can fail on its own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from seed_files import PROJECT_DIR, read_rows, seed_rows, write_rows

from scripts.settings import Inputs
from scripts.validation.checks import TABLES, query_tables
from scripts.validation.process import ValidatorProcess
from scripts.validation.suite import expectations, validate_marts

FIRST_ALLOCATION = "allocation_id = (select min(allocation_id) from marts.fct_allocations)"

CORRUPTIONS = {
    "an amount changed after the build": (
        f"update marts.fct_allocations set amount_tdkk = amount_tdkk + 1 where {FIRST_ALLOCATION}",
        ["line_totals_by_pool", "pool_totals_against_published"],
    ),
    "a negative amount": (
        f"update marts.fct_allocations set amount_tdkk = -1 where {FIRST_ALLOCATION}",
        ["min_amount_tdkk"],
    ),
    "an amount emptied": (
        "alter table marts.fct_allocations alter amount_tdkk drop not null;"
        f" update marts.fct_allocations set amount_tdkk = null where {FIRST_ALLOCATION}",
        ["null_amounts"],
    ),
    "amounts no longer whole numbers": (
        "alter table marts.fct_allocations alter amount_tdkk type double",
        ["amount_type"],
    ),
    "a year total dropped": (
        "delete from marts.fct_year_totals where fiscal_year = (select min(fiscal_year) from marts.fct_year_totals)",
        ["year_totals_against_published"],
    ),
    "a year's allocations dropped": (
        "delete from marts.fct_allocations where fiscal_year = (select max(fiscal_year) from marts.fct_allocations)",
        ["fiscal_years: expect_column_distinct_values_to_equal_set"],
    ),
    "a pool code the inputs do not define": (
        f"update marts.fct_allocations set pool_code = pool_code || '_UNKNOWN' where {FIRST_ALLOCATION}",
        ["pool_codes: expect_column_values_to_be_in_set", "_UNKNOWN"],
    ),
    "a pool-year total changed in the mart": (
        "update marts.fct_pool_year_totals set amount_tdkk = amount_tdkk + 1"
        " where pool_year_id = (select min(pool_year_id) from marts.fct_pool_year_totals)",
        ["pool_totals_against_published", "mart_amount"],
    ),
    "a row duplicated": (
        "insert into marts.fct_allocations select * from marts.fct_allocations limit 1",
        ["allocation_profile", "input_row_count"],
    ),
}


# --- the queries ---------------------------------------------------------------------------------


def test_the_queries_give_each_table_the_suite_asserts_on_and_the_inputs_pools_and_years(built):
    checked = query_tables(built.paths.warehouse.published, built.paths.inputs)
    project = built.paths.project_dir
    assert checked.pools == sorted({row["pool_code"] for row in seed_rows(project, "pools")})
    published_years = {int(row["fiscal_year"]) for row in seed_rows(project, "published_totals") if row["fiscal_year"]}
    assert checked.years == sorted(published_years)
    assert set(checked.tables) == set(TABLES) == set(expectations(checked.pools, checked.years))
    assert all(len(table) > 0 for table in checked.tables.values()), checked.tables


def test_the_pipeline_side_imports_neither_great_expectations_nor_pandas():
    """The pipeline imports `Inputs` and `ValidatorProcess`; GX and pandas load in the child."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, scripts.validation.checks, scripts.validation.process;"
            " print(sorted({'great_expectations', 'pandas'} & set(sys.modules)))",
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"


def test_the_queries_run_without_great_expectations(built):
    checked = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; from pathlib import Path; from scripts.validation.checks import Inputs, query_tables;"
            " checked = query_tables(Path(sys.argv[1]), Inputs(Path(sys.argv[2]), sys.argv[3]));"
            " print(json.dumps({'tables': sorted(checked.tables), 'gx': 'great_expectations' in sys.modules}))",
            str(built.paths.warehouse.published),
            str(built.paths.inputs.directory),
            built.paths.inputs.file_format,
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(checked.stdout) == {"tables": sorted(TABLES), "gx": False}


# --- the suite -----------------------------------------------------------------------------------


def test_the_suite_passes_on_the_published_warehouse(built):
    outcome = validate_marts(built.paths.warehouse.published, built.paths.inputs, built.paths.target_dir / "gx.json")
    assert outcome.success, outcome.failures
    assert outcome.evaluated == outcome.successful > 0
    report = json.loads(outcome.result_path.read_text(encoding="utf-8"))
    assert set(report) == set(TABLES)
    assert sum(len(result["results"]) for result in report.values()) == outcome.evaluated


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_the_suite_fails_on(corruption: str, built, tmp_path: Path):
    sql, expected = CORRUPTIONS[corruption]
    warehouse = tmp_path / "funding.duckdb"
    shutil.copyfile(built.paths.warehouse.published, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(sql)
    outcome = validate_marts(warehouse, built.paths.inputs, tmp_path / "gx.json")
    assert not outcome.success
    assert outcome.successful == outcome.evaluated - len(outcome.failures)
    report = "\n".join(outcome.failures)
    for fragment in expected:
        assert fragment in report, report


def test_the_suite_reads_what_to_expect_from_the_inputs_not_the_marts(built, tmp_path: Path):
    """Inputs that define one pool fewer: the marts' pool codes no longer all pass."""
    inputs = tmp_path / "inputs"
    shutil.copytree(built.paths.inputs.directory, inputs)
    pools = read_rows(inputs / "pools.csv")
    write_rows(inputs / "pools.csv", pools[:-1])
    outcome = validate_marts(built.paths.warehouse.published, Inputs(inputs, "seeds"), tmp_path / "gx.json")
    assert not outcome.success
    (failure,) = outcome.failures
    assert failure.startswith("pool_codes:") and repr(pools[-1]["pool_code"]) in failure.split("observed")[-1], failure


# --- the process the pipeline runs it in ---------------------------------------------------------


def test_the_child_process_gives_the_same_outcome_as_a_validation_in_this_process(built, tmp_path: Path):
    in_process = validate_marts(built.paths.warehouse.published, built.paths.inputs, tmp_path / "here.json")
    with ValidatorProcess() as validator:
        validator.start()
        in_child = validator.validate(built.paths.warehouse.published, built.paths.inputs, tmp_path / "child.json")
    assert (in_child.success, in_child.evaluated, in_child.successful, in_child.failures) == (
        in_process.success,
        in_process.evaluated,
        in_process.successful,
        in_process.failures,
    )
    assert in_child.result_path == tmp_path / "child.json" and in_child.result_path.exists()


def test_the_child_process_reports_failures_as_this_process_does(built, tmp_path: Path):
    sql, _ = CORRUPTIONS["an amount changed after the build"]
    warehouse = tmp_path / "funding.duckdb"
    shutil.copyfile(built.paths.warehouse.published, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(sql)
    in_process = validate_marts(warehouse, built.paths.inputs, tmp_path / "here.json")
    with ValidatorProcess() as validator:
        in_child = validator.validate(warehouse, built.paths.inputs, tmp_path / "child.json")
    assert not in_child.success and in_child.failures == in_process.failures


def test_a_child_that_fails_raises_instead_of_answering(built, tmp_path: Path):
    with ValidatorProcess() as validator, pytest.raises(RuntimeError, match="stopped with exit code 1"):
        validator.validate(tmp_path / "no-such-warehouse.duckdb", built.paths.inputs, tmp_path / "gx.json")


def test_a_child_that_died_before_it_was_asked_raises(built, tmp_path: Path):
    with ValidatorProcess() as validator, pytest.raises(RuntimeError, match="before it answered"):
        validator.start()
        validator._child.kill()
        validator._child.wait()
        validator.validate(built.paths.warehouse.published, built.paths.inputs, tmp_path / "gx.json")


def test_a_child_never_asked_is_stopped_when_the_block_ends():
    with ValidatorProcess() as validator:
        validator.start()
        child = validator._child
    assert child.returncode is not None


# A stand-in for the run: it starts the validator child as ValidatorProcess does (its own pid on
# the command line, stdin a pipe it holds), prints the child's pid, and waits to be killed.
RUN = """
import os, subprocess, sys
child = subprocess.Popen([sys.executable, *sys.argv[1:], str(os.getpid())], stdin=subprocess.PIPE)
print(child.pid, flush=True)
child.wait()
"""

# A subreaper: the run's orphaned child is handed to it, so it can tell how the child ended. It
# kills the run once the child has started importing GX (numpy's library is mapped into it),
# then gives the child two seconds to be killed with it, far more than the kernel takes.
SUBREAPER = """
import ctypes, os, signal, subprocess, sys, time
PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1)
run = subprocess.Popen([sys.executable, "-c", sys.argv[1], *sys.argv[2:]], stdout=subprocess.PIPE, text=True)
child = int(run.stdout.readline())
deadline = time.monotonic() + 60
while "numpy" not in open(f"/proc/{child}/maps").read() and time.monotonic() < deadline:
    time.sleep(0.01)
os.kill(run.pid, signal.SIGKILL)
run.wait()
deadline = time.monotonic() + 2
while (ended := os.waitpid(child, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
    time.sleep(0.01)
if ended[0] == 0:
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    print("outlived the run")
else:
    status = ended[1]
    print("killed" if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL else "exited")
"""

CHILD = ["-m", "scripts.validation.process", "--serve"]
# the same child with its request to die with the run taken out: the control
CHILD_WITHOUT_DEATH_SIGNAL = [
    "-c",
    "import sys, scripts.validation.process as child; child.die_with = lambda run: None;"
    " sys.exit(child.serve(int(sys.argv[1])))",
]


def how_the_child_of_a_killed_run_ends(child: list[str]) -> str:
    ended = subprocess.run(
        [sys.executable, "-c", SUBREAPER, RUN, *child], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120
    )
    assert ended.returncode == 0, ended.stderr
    return ended.stdout.strip()


@pytest.mark.skipif(sys.platform != "linux", reason="the death signal is Linux's prctl(2)")
def test_the_child_of_a_run_killed_with_sigkill_is_killed_with_it():
    """Killed in the middle of its import, not left to finish it and find its stdin closed."""
    assert how_the_child_of_a_killed_run_ends(CHILD) == "killed"
    assert how_the_child_of_a_killed_run_ends(CHILD_WITHOUT_DEATH_SIGNAL) in ("outlived the run", "exited")
