"""On Spark, every model builds and every test passes: data tests, unit tests, reconciliation.

The published marts are read through Spark's own session, as views of the database `marts`.
"""

from __future__ import annotations

import json
import re

import pytest
from seed_files import copy_project
from spark_runs import run_on_spark
from test_marts import BI_CONTRACT

pytestmark = pytest.mark.spark


def test_the_release_built_every_model_and_passed_every_data_test(spark_release, spark_project, spark_root, tmp_path):
    from scripts.spark.session import SparkDbtProject

    dbt = SparkDbtProject(spark_project, spark_root, "parse", tmp_path)
    assert dbt.invoke("parse").success
    models = dbt.node_counts()["model"]
    summary = next(line for line in spark_release.lines if "data tests passed" in line)
    found = re.search(r"(\d+) models, (\d+)/(\d+) data tests passed", summary)
    assert found, summary
    built, passed, run = map(int, found.groups())
    assert built == models
    assert passed == run > 0


def test_the_reader_database_holds_one_view_per_mart_of_the_bi_contract(spark, spark_release):
    rows = spark.sql("show tables in marts").collect()
    assert {row.tableName for row in rows if not row.isTemporary} == BI_CONTRACT
    for mart in BI_CONTRACT:
        (described,) = [
            row for row in spark.sql(f"describe table extended marts.{mart}").collect() if row.col_name == "Type"
        ]
        assert described.data_type == "VIEW"
        assert f"{spark_release.schema}_marts.{mart}" in view_text(spark, mart)


def view_text(spark, mart: str) -> str:
    (row,) = [
        row for row in spark.sql(f"describe table extended marts.{mart}").collect() if row.col_name == "View Text"
    ]
    return row.data_type


def test_release_info_is_stamped_with_the_release(spark, spark_release):
    (row,) = spark.sql("select * from marts.release_info").collect()
    assert row.release_id == spark_release.release_id
    assert row.published_at_utc is not None
    assert json.loads(row.input_checksums)
    assert row.engine_version.split()[0] == spark.version


def test_the_unit_tests_pass_on_spark(spark_release, spark_project, spark_root, tmp_path):
    """The unit tests, which `make run` leaves to `dbt build`, against the release's models."""
    from scripts.spark.session import SparkDbtProject

    dbt = SparkDbtProject(spark_project, spark_root, spark_release.schema, tmp_path)
    result = dbt.invoke("test", "--select", "test_type:unit")
    assert result.success, "\n".join(result.failure_lines())
    assert result.count("unit_test", "pass") > 0
    assert result.count("unit_test", "pass") == result.count("unit_test")


def test_a_wrong_amount_fails_the_build_and_readers_see_the_release_before(spark, spark_release, spark_root, tmp_path):
    """Fault injection: one amount changed by one thousand DKK. The reconciliation stops the
    build, and every view of `marts` still shows the release that was published before."""
    from seed_files import seed_path

    before = {mart: sorted(map(tuple, spark.sql(f"select * from marts.{mart}").collect())) for mart in BI_CONTRACT}
    project = copy_project(tmp_path / "project")
    path = seed_path(project, "amounts")
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    position = header.index("amount_tdkk")
    cells = lines[1].split(",")
    cells[position] = str(int(cells[position]) + 1)
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run_on_spark(project, spark_root, tmp_path / "target")

    assert result.exit_code == 1, result.output
    assert "Rejected: the dbt build failed" in result.output
    assert "line_totals_match_published" in result.output
    # the failing row names the line and both figures, as on DuckDB
    assert f"line total: document_id={cells[header.index('document_id')]}" in result.output
    assert f"line_code={cells[header.index('line_code')]}" in result.output
    assert "The views in `marts` are unchanged" in result.output
    after = {mart: sorted(map(tuple, spark.sql(f"select * from marts.{mart}").collect())) for mart in BI_CONTRACT}
    assert after == before
    assert spark.sql("select release_id from marts.release_info").first().release_id == spark_release.release_id
    # the rejected build is kept, with the failing rows in its audit database
    audit = [row.tableName for row in spark.sql(f"show tables in {result.schema}_audit").collect()]
    assert "line_totals_match_published" in audit
