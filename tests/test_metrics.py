"""The semantic layer: `mf query` answers from the published warehouse, read-only, what the marts hold.

Every query runs the `mf` command, as a user would, in the session's built project copy with
`DBT_TARGET=published` and `WAREHOUSE_PATH` naming a published file: the shared test build's,
or a corrupted copy of it, never the user's warehouse. The expected figures are read from the
marts (the published totals in rpt_reconciliation, the pool-year mart), not typed here.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
import yaml
from pipeline_runs import PipelineRun
from seed_files import PROJECT_DIR

# the mf and dbt processes of this file run on one worker, one after the other
pytestmark = pytest.mark.xdist_group("metrics")

MF = Path(sys.executable).parent / "mf"
POOL_QUERY = ("--metrics", "allocated_amount_tdkk", "--group-by", "pool__pool_code")


def published_environment(warehouse: Path) -> dict[str, str]:
    return {**os.environ, "DBT_TARGET": "published", "WAREHOUSE_PATH": str(warehouse)}


def mf_query(project: Path, warehouse: Path, *arguments: str) -> list[dict[str, str]]:
    """`mf query ARGUMENTS` against `warehouse`; its rows, as written by `--csv`."""
    with tempfile.TemporaryDirectory(prefix="mf-query-") as folder:
        out = Path(folder) / "rows.csv"
        result = subprocess.run(
            [str(MF), "query", *arguments, "--csv", str(out)],
            cwd=project,
            env=published_environment(warehouse),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0 and out.exists(), result.stdout + result.stderr
        with out.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))


def year_of(metric_time: str) -> int:
    return int(metric_time[:4])


def pool_total_problems(warehouse: Path, answered: list[dict[str, str]]) -> list[str]:
    """Where mf's allocated_amount_tdkk by pool differs from the pool totals the document publishes."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        published = dict(
            connection.execute(
                "select pool_code, published_amount_tdkk from marts.rpt_reconciliation where total_scope = 'pool'"
            ).fetchall()
        )
    got = {row["pool__pool_code"]: int(row["allocated_amount_tdkk"]) for row in answered}
    return [
        f"pool {pool}: mf answers {got.get(pool)}, the document publishes {published.get(pool)}"
        for pool in sorted(set(published) | set(got))
        if got.get(pool) != published.get(pool)
    ]


def totals_printed(printed: list[list[str]], totals: list[tuple[str, int]]) -> list[tuple[str, str]]:
    """The (pool, amount) lines of mf's printed table, for the pools the marts hold."""
    pools = {pool for pool, _ in totals}
    return [(words[0], words[1]) for words in printed if len(words) == 2 and words[0] in pools]


@pytest.fixture(scope="session")
def published(built: PipelineRun) -> Path:
    return built.paths.warehouse.published


@pytest.fixture(scope="session")
def project(built: PipelineRun) -> Path:
    return built.paths.project_dir


def test_mf_answers_each_pools_published_total_as_printed(project: Path, published: Path):
    """The acceptance command, as a user types it, prints each pool's published total."""
    before = hashlib.sha256(published.read_bytes()).hexdigest()
    result = subprocess.run(
        [str(MF), "query", "--metrics", "allocated_amount_tdkk", "--group-by", "pool__pool_code"],
        cwd=project,
        env=published_environment(published),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with duckdb.connect(str(published), read_only=True) as connection:
        totals = connection.execute(
            "select pool_code, published_amount_tdkk from marts.rpt_reconciliation where total_scope = 'pool'"
        ).fetchall()
    printed = [line.split() for line in result.stdout.splitlines()]
    answered = [
        {"pool__pool_code": pool, "allocated_amount_tdkk": amount} for pool, amount in totals_printed(printed, totals)
    ]
    assert totals and pool_total_problems(published, answered) == [], result.stdout
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before, "mf changed the published file"


def test_metrics_by_pool_and_year_equal_the_pool_year_mart(project: Path, published: Path):
    answered = mf_query(
        project,
        published,
        "--metrics",
        "allocated_amount_tdkk,allocated_amount_dkk,pool_share_of_year,reconciliation_gap_tdkk",
        "--group-by",
        "pool__pool_code,metric_time__year,pool__collaboration",
    )
    with duckdb.connect(str(published), read_only=True) as connection:
        rows = connection.execute(
            "select pool_code, fiscal_year, amount_tdkk, amount_dkk, year_amount_tdkk, published_amount_tdkk"
            " from marts.fct_pool_year_totals where is_current_document"
        ).fetchall()
        collaborations = dict(connection.execute("select pool_code, collaboration from marts.dim_pools").fetchall())
    assert {row["pool__pool_code"]: row["pool__collaboration"] for row in answered} == collaborations
    expected = {
        (pool, year): (amount, amount_dkk, Fraction(amount, year_amount), amount - published_amount)
        for pool, year, amount, amount_dkk, year_amount, published_amount in rows
    }
    got = {
        (row["pool__pool_code"], year_of(row["metric_time__year"])): (
            int(row["allocated_amount_tdkk"]),
            int(row["allocated_amount_dkk"]),
            Fraction(row["pool_share_of_year"]),
            int(row["reconciliation_gap_tdkk"]),
        )
        for row in answered
    }
    assert set(got) == set(expected)
    for key, (amount, amount_dkk, share, gap) in expected.items():
        assert got[key][:2] == (amount, amount_dkk), key
        assert abs(got[key][2] - share) < Fraction(1, 10**9), key  # a ratio of two sums, as a float
        assert got[key][3] == gap == 0, key
    # a pool's shares of one year add up to one
    for year in {year for _, year in expected}:
        assert abs(sum(share for (_, y), (_, _, share, _) in got.items() if y == year) - 1) < Fraction(1, 10**9)


def test_the_saved_query_by_spending_purpose_equals_the_allocations(project: Path, published: Path):
    answered = mf_query(project, published, "--saved-query", "spending_purpose_totals")
    with duckdb.connect(str(published), read_only=True) as connection:
        purposes = connection.execute(
            "select spending_purpose, fiscal_year, sum(amount_tdkk) from marts.fct_allocations group by all"
        ).fetchall()
    assert {
        (row["project__spending_purpose"], year_of(row["metric_time__year"])): int(row["allocated_amount_tdkk"])
        for row in answered
    } == {(purpose, year): amount for purpose, year, amount in purposes}


def test_a_corrupted_amount_makes_the_metric_check_fail(project: Path, published: Path, tmp_path: Path):
    """Fault injection: one amount changed in a copy of the release; mf reports it, the check names the pool."""
    corrupted = tmp_path / "funding.duckdb"
    shutil.copyfile(published, corrupted)
    with duckdb.connect(str(corrupted)) as connection:
        (pool,) = connection.execute(
            "update marts.fct_allocations set amount_tdkk = amount_tdkk + 1"
            " where allocation_id = (select min(allocation_id) from marts.fct_allocations) returning pool_code"
        ).fetchone()
    problems = pool_total_problems(corrupted, mf_query(project, corrupted, *POOL_QUERY))
    assert len(problems) == 1 and problems[0].startswith(f"pool {pool}:"), problems


def test_the_published_target_attaches_the_release_read_only(published: Path, tmp_path: Path):
    """The profile's `published` target, as dbt-duckdb attaches it, refuses every write; attached
    without `read_only` the same file takes one (the check can fail)."""
    from dbt.adapters.duckdb.credentials import Attachment

    profile = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    target = profile["funding_warehouse"]["outputs"]["published"]
    (attachment,) = target["attach"]
    assert target["path"] == ":memory:" and "WAREHOUSE_PATH" in attachment["path"]
    copy = tmp_path / "funding.duckdb"
    shutil.copyfile(published, copy)
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    as_published = {**attachment, "path": str(copy)}  # the path the profile reads from $WAREHOUSE_PATH
    with duckdb.connect(":memory:") as connection:
        connection.execute(Attachment.from_dict(as_published).to_sql())
        assert connection.execute("select count(*) from marts_db.marts.fct_allocations").fetchone()[0] > 0
        for write in ("create table marts_db.marts.scratch as select 1 as x", "delete from marts_db.marts.dim_dates"):
            with pytest.raises(duckdb.Error, match="read-only"):
                connection.execute(write)
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before
    with duckdb.connect(":memory:") as connection:
        connection.execute(Attachment.from_dict({**as_published, "read_only": False}).to_sql())
        connection.execute("delete from marts_db.marts.dim_dates")
    assert hashlib.sha256(copy.read_bytes()).hexdigest() != before
