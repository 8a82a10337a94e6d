"""A plain `dbt build`, as CI runs it, never touches the published release.

dbt is run as a user would run it: the command line, from the project folder, with the
committed profile and none of the pipeline's environment variables. One project copy, with a
release published in it, goes through two builds in order: a clean one, then one after a seed's
columns were reordered and one of its amounts corrupted. Loaded by position, the reordered
seed would fail to load; loaded by its header, only the corrupted line fails to reconcile.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from seed_files import renew_project, seed_path, seed_rows, write_rows

from scripts.publish import sha256

DBT = Path(sys.executable).parent / "dbt"
# the builds and the tests that read them run on one worker, while the others go on
pytestmark = pytest.mark.xdist_group("dbt-builds")
PIPELINE_VARIABLES = ("WAREHOUSE_BUILD_PATH", "WAREHOUSE_MARTS_PATH", "DBT_TARGET")


def dbt_build(project: Path) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in PIPELINE_VARIABLES}
    return subprocess.run(
        [str(DBT), "build", "--profiles-dir", ".", "--no-use-colors"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def reorder_columns(path: Path) -> None:
    """Write the CSV with its columns in reverse order; the values stay with their headers."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([list(reversed(row)) for row in rows])


@dataclass
class Builds:
    published: Path
    checksum_before: str
    clean: subprocess.CompletedProcess
    corrupted: subprocess.CompletedProcess  # its amounts' columns reordered, one amount changed
    checksum_after: str
    development_marts: Path
    corrupted_line: str


@pytest.fixture(scope="session")
def builds(built, kept_folder) -> Builds:
    project = renew_project(kept_folder("dbt-builds"))
    for development_database in (project / "target").glob("dev_*.duckdb*"):
        development_database.unlink()  # an earlier session's; the clean build starts from none
    published = built.copy_release_to(project)
    before = sha256(published)

    clean = dbt_build(project)
    reorder_columns(seed_path(project, "amounts"))
    rows = seed_rows(project, "amounts")
    rows[0]["amount_tdkk"] = str(int(rows[0]["amount_tdkk"]) + 900)  # a digit typed wrong
    write_rows(seed_path(project, "amounts"), rows)
    corrupted = dbt_build(project)
    return Builds(
        published,
        before,
        clean,
        corrupted,
        sha256(published),
        project / "target" / "dev_marts.duckdb",
        rows[0]["line_code"],
    )


@pytest.mark.pipeline
def test_a_clean_dbt_build_passes_in_a_development_database(builds):
    assert builds.clean.returncode == 0, builds.clean.stdout[-3000:]
    with duckdb.connect(str(builds.development_marts), read_only=True) as connection:
        (release_id,) = connection.execute("select release_id from marts.release_info").fetchone()
    assert release_id == "development"


@pytest.mark.pipeline
def test_a_seed_whose_columns_were_reordered_is_loaded_by_its_header(builds):
    """Every line but the corrupted one still reconciles: each amount landed in its column."""
    with duckdb.connect(str(builds.development_marts), read_only=True) as connection:
        mismatched_lines = connection.execute(
            "select line_code from marts.rpt_reconciliation"
            " where total_scope = 'line' and reconciliation_status <> 'reconciled'"
        ).fetchall()
    assert mismatched_lines == [(builds.corrupted_line,)], builds.corrupted.stdout[-3000:]


@pytest.mark.pipeline
def test_a_corrupted_seed_fails_the_build(builds):
    assert builds.corrupted.returncode != 0
    assert "line_totals_match_published" in builds.corrupted.stdout
    with duckdb.connect(str(builds.development_marts), read_only=True) as connection:
        (status,) = connection.execute(
            "select reconciliation_status from marts.rpt_reconciliation where total_scope = 'line' and line_code = ?",
            [builds.corrupted_line],
        ).fetchone()
    assert status == "mismatch"  # the development database did take the bad figure


@pytest.mark.pipeline
def test_no_dbt_build_touches_the_published_release(builds):
    assert builds.checksum_after == builds.checksum_before
