"""Spark computes exactly: ANSI mode is on in every dbt run, so an overflow fails the build.

Without ANSI mode Spark turns an overflowing decimal sum into NULL and wraps an overflowing
bigint sum around to a negative figure, without an error. dbt-spark 1.11 turns ANSI mode off in
every profile; the project keeps profiles.yml's setting (scripts/spark/ansi.py) and refuses to
run where it is off (macros/engines/spark/assert_engine_settings.sql). The amounts below are
built from the type's own limits, not taken from any document.
"""

from __future__ import annotations

import pytest
from seed_files import copy_project, seed_path

pytestmark = pytest.mark.spark

BIGINT_MAX = 2**63 - 1
DECIMAL_38_MAX = 10**38 - 1


def test_an_overflowing_decimal_sum_fails_through_dbts_connection(spark_release, spark_project, spark_root, tmp_path):
    from scripts.spark.session import SparkDbtProject

    dbt = SparkDbtProject(spark_project, spark_root, "ansi", tmp_path)
    value = f"cast('{DECIMAL_38_MAX}' as decimal(38, 0))"
    result = dbt.invoke(
        "show", "--inline", f"select sum(amount) as total from (values ({value}), ({value})) as t(amount)"
    )
    assert not result.success
    assert "NUMERIC_VALUE_OUT_OF_RANGE" in (result.error or "") + "".join(result.failure_lines())


def test_without_ansi_mode_the_same_sum_is_null_and_a_bigint_sum_wraps(spark):
    """Why ANSI mode matters: the same sums in a session without it give wrong figures silently."""
    value = f"cast('{DECIMAL_38_MAX}' as decimal(38, 0))"
    spark.conf.set("spark.sql.ansi.enabled", "false")
    try:
        decimal_total = spark.sql(f"select sum(x) as total from (values ({value}), ({value})) as t(x)").first().total
        bigint_total = spark.sql(f"select sum(x) as total from (values ({BIGINT_MAX}L), (1L)) as t(x)").first().total
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "true")
    assert decimal_total is None
    assert bigint_total < 0


def test_a_run_without_ansi_mode_is_refused(spark_release, spark_project, spark_root, tmp_path):
    """dbt-spark's own behaviour, without the project's fix: the run stops at its start (the
    check is an on-run-start hook, which dbt runs for run, build, test and seed)."""
    from dbt.adapters.spark.connections import SparkCredentials

    from scripts.spark.session import SparkDbtProject, spark_session

    dbt = SparkDbtProject(spark_project, spark_root, "ansi", tmp_path)
    patched = SparkCredentials.__post_init__
    SparkCredentials.__post_init__ = patched.__wrapped__
    try:
        result = dbt.invoke("run", "--select", "stg_appendix__documents")
    finally:
        SparkCredentials.__post_init__ = patched
        spark_session().conf.set("spark.sql.ansi.enabled", "true")
    assert not result.success
    assert "spark.sql.ansi.enabled=false" in (result.error or "") + "".join(result.failure_lines())


def test_a_build_whose_amounts_overflow_fails_instead_of_totalling_wrong(spark_release, spark_root, tmp_path):
    """Two amounts of one budget line whose sum exceeds bigint: the subtotal fails the build."""
    from scripts.spark.session import SparkDbtProject

    project = copy_project(tmp_path / "project")
    path = seed_path(project, "amounts")
    lines = path.read_text(encoding="utf-8").splitlines()
    position = lines[0].split(",").index("amount_tdkk")
    for number in (1, 2):  # the first line's two years
        cells = lines[number].split(",")
        cells[position] = str(BIGINT_MAX // 2 + 1)
        lines[number] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    dbt = SparkDbtProject(project, spark_root, "overflow", tmp_path / "target")
    result = dbt.invoke("build", "--select", "+int_subtotals", "--exclude-resource-type", "unit_test")

    assert not result.success
    failures = "\n".join(result.failure_lines())
    assert "int_subtotals" in failures
    assert "ARITHMETIC_OVERFLOW" in failures
