"""Write-audit-publish on Spark: a second good release switches every view of `marts` to its
build, keeps the one before, and a rollback switches them back.

(A failed build leaves the views as they were: test_spark_build.py.)
"""

from __future__ import annotations

import pytest
from spark_runs import run_on_spark
from test_marts import BI_CONTRACT

pytestmark = pytest.mark.spark


def view_targets(spark) -> dict[str, str]:
    """Each reader view, with the build database its text reads."""
    targets = {}
    for mart in BI_CONTRACT:
        (row,) = [r for r in spark.sql(f"describe table extended marts.{mart}").collect() if r.col_name == "View Text"]
        targets[mart] = row.data_type.split(" from ")[-1].split(".")[0]
    return targets


def test_a_new_release_switches_every_view_and_a_rollback_switches_them_back(
    spark, spark_release, spark_project, spark_root, tmp_path
):
    from scripts.spark.pipeline import releases, rollback

    first = spark_release
    assert set(view_targets(spark).values()) == {f"{first.schema}_marts"}

    second = run_on_spark(spark_project, spark_root, tmp_path / "target")
    assert second.exit_code == 0, second.output
    assert set(view_targets(spark).values()) == {f"{second.schema}_marts"}
    assert spark.sql("select release_id from marts.release_info").first().release_id == second.release_id
    assert [release_id for release_id, _ in releases()][-2:] == [first.release_id, second.release_id]
    databases = {row[0] for row in spark.sql("show databases").collect()}
    assert f"{first.schema}_marts" in databases  # kept for rollback

    assert rollback() == first.release_id
    assert set(view_targets(spark).values()) == {f"{first.schema}_marts"}
    assert spark.sql("select release_id from marts.release_info").first().release_id == first.release_id
