"""Every mart is exported as Parquet and CSV, described by a datapackage.json that matches."""

from __future__ import annotations

import json

import duckdb
import pytest

from conftest import mart_row_counts, sha256
from scripts.export import export_marts
from seed_files import seed_rows


@pytest.fixture(scope="module")
def exports(built):
    return built.paths.warehouse.exports


@pytest.fixture(scope="module")
def package(exports):
    return json.loads((exports / "datapackage.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mart_counts(built) -> dict[str, int]:
    return mart_row_counts(built.paths.warehouse.published)


def file_row_count(path) -> int:
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    return duckdb.execute(f"select count(*) from {reader}('{path}')").fetchone()[0]


def test_each_mart_is_exported_as_parquet_and_csv(exports, mart_counts):
    expected = {f"{mart}.{suffix}" for mart in mart_counts for suffix in ("parquet", "csv")}
    assert {path.name for path in exports.iterdir()} == expected | {"datapackage.json"}


def test_descriptor_counts_match_the_files_and_the_marts(exports, package, mart_counts):
    assert len(package["resources"]) == 2 * len(mart_counts)
    for resource in package["resources"]:
        path = exports / resource["path"]
        mart = path.stem
        assert resource["count_of_rows"] == file_row_count(path) == mart_counts[mart], resource["path"]


def test_descriptor_checksums_and_sizes_match_the_files(exports, package):
    for resource in package["resources"]:
        path = exports / resource["path"]
        assert resource["hash"] == f"sha256:{sha256(path)}"
        assert resource["bytes"] == path.stat().st_size


def test_descriptor_schema_lists_every_column(exports, package):
    for resource in package["resources"]:
        columns = duckdb.execute(f"describe select * from read_parquet('{exports / resource['path'].replace('.csv', '.parquet')}')").fetchall()
        assert [field["name"] for field in resource["schema"]["fields"]] == [column[0] for column in columns]
        amounts = [field for field in resource["schema"]["fields"] if field["name"].startswith("amount")]
        assert all(field["type"] == "integer" for field in amounts)


def test_descriptor_carries_currency_unit_factor_and_budget_phase(package, built):
    documents = seed_rows(built.paths.project_dir, "documents")
    assert {package["currency"]} == {document["currency"] for document in documents}
    assert {package["unit_factor"]} == {int(document["unit_factor"]) for document in documents}
    assert set(package["budget_phases"]) == {document["budget_phase"] for document in documents}
    assert [source["document_id"] for source in package["sources"]] == sorted(d["document_id"] for d in documents)


def test_exports_belong_to_the_published_release(built, exports):
    assert exports.resolve().parent == built.paths.warehouse.published.resolve().parent


def test_a_mart_larger_than_a_spreadsheet_gets_parquet_only(built, mart_counts, tmp_path):
    largest = max(mart_counts, key=mart_counts.get)
    limit = mart_counts[largest] - 1
    package = export_marts(built.paths.warehouse.published, tmp_path, csv_max_rows=limit)
    too_large = {mart for mart, rows in mart_counts.items() if rows > limit}
    assert largest in too_large
    assert {item["mart"] for item in package["csv_left_out"]} == too_large
    written = {path.name for path in tmp_path.iterdir()}
    for mart in mart_counts:
        assert f"{mart}.parquet" in written
        assert (f"{mart}.csv" in written) == (mart not in too_large), mart
    assert all(f"{item['mart']}.parquet" in item["reason"] for item in package["csv_left_out"])
