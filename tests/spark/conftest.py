"""Fixtures of the Spark suite (`make test-spark`, pytest marker `spark`).

Spark runs inside the test process (dbt-spark's `session` method), with its warehouse and its
Derby metastore in one temporary folder for the whole session. An embedded Derby admits one
process, so the suite runs in one process (`make test-spark` passes -n0); builds are kept apart by
the name of their databases, as on a shared cluster. The first release is built once and shared.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from seed_files import copy_project
from spark_runs import run_on_spark


@pytest.fixture(scope="session")
def spark_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spark-warehouse")


@pytest.fixture(scope="session")
def spark_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("spark-project"))


@pytest.fixture(scope="session")
def spark_release(spark_project: Path, spark_root: Path, tmp_path_factory: pytest.TempPathFactory):
    """The real seeds, built, tested, validated and published on Spark once for the session."""
    result = run_on_spark(spark_project, spark_root, tmp_path_factory.mktemp("spark-target"))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="session")
def spark(spark_release):
    from scripts.spark.session import spark_session

    return spark_session()
