"""Every mart is exported as Parquet and CSV, described by a datapackage.json that data tools trust.

The descriptor must pass frictionless' own validation (and fail it when a file is corrupted),
say what the YAML says (descriptions, keys) and what the documents say (currency, unit factor,
budget phase), each read here from dbt's manifest and the published database, never typed in.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from frictionless import validate
from pipeline_runs import mart_row_counts
from seed_files import seed_rows

from scripts.export import (
    CURRENCY_UNIT,
    FDP_PHASES,
    PUBLISHED_UNIT,
    ExportError,
    ForeignKey,
    MartSpec,
    export_marts,
    fdp_phase,
    foreign_keys,
    mart_specs,
    one_or_all,
)
from scripts.publish import sha256

FRICTIONLESS = Path(sys.executable).parent / "frictionless"


@pytest.fixture(scope="module")
def exports(built) -> Path:
    return built.paths.warehouse.exports


@pytest.fixture(scope="module")
def package(exports) -> dict[str, Any]:
    return json.loads((exports / "datapackage.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mart_counts(built) -> dict[str, int]:
    return mart_row_counts(built.paths.warehouse.published)


@pytest.fixture(scope="module")
def manifest_path(built) -> Path:
    return built.paths.target_dir / "manifest.json"


@pytest.fixture(scope="module")
def mart_nodes(manifest_path) -> dict[str, dict[str, Any]]:
    """The marts as dbt's manifest has them, read here without scripts.export."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }


@pytest.fixture(scope="module")
def model_by_relation(manifest_path) -> dict[str, str]:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    nodes = manifest["nodes"].values()
    return {node["relation_name"]: node["name"] for node in nodes if node.get("relation_name")}


@pytest.fixture(scope="module")
def documents(built) -> list[dict[str, Any]]:
    with duckdb.connect(str(built.paths.warehouse.published), read_only=True) as connection:
        cursor = connection.execute("select * from marts.dim_documents")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def mart_of(resource: dict[str, Any]) -> str:
    return Path(resource["path"]).stem


def file_row_count(path: Path) -> int:
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    return duckdb.execute(f"select count(*) from {reader}('{path}')").fetchone()[0]


def errors_of(report) -> list[tuple[str, str]]:
    """(resource, error type) of every error in a frictionless report."""
    return [(task.name, error.type) for task in report.tasks for error in task.errors]


def yaml_keys(node: dict[str, Any], model_by_relation: dict[str, str]) -> tuple[list[str], set[tuple[str, str, str]]]:
    """A mart's primary key columns and (column, mart, mart column) foreign keys.

    Declared in contract constraints, or in column meta for the marts as large as the input
    (`primary_key: true`, `foreign_key: <mart>.<column>`; see models/marts/_marts__models.yml).
    """
    primary, foreign = [], set()
    for name, column in node["columns"].items():
        for constraint in column["constraints"]:
            if constraint["type"] == "primary_key":
                primary.append(name)
            elif constraint["type"] == "foreign_key":
                foreign.add((name, model_by_relation[constraint["to"]], constraint["to_columns"][0]))
        if column["meta"].get("primary_key"):
            primary.append(name)
        if column["meta"].get("foreign_key"):
            mart, mart_column = column["meta"]["foreign_key"].split(".", 1)
            foreign.add((name, mart, mart_column))
    return primary, foreign


def the_value_or_all(values) -> Any:
    distinct = sorted(set(values), key=str)
    return distinct[0] if len(distinct) == 1 else distinct


# The files


def test_each_mart_is_exported_as_parquet_and_csv(exports, mart_counts):
    expected = {f"{mart}.{suffix}" for mart in mart_counts for suffix in ("parquet", "csv")}
    assert {path.name for path in exports.iterdir()} == expected | {"datapackage.json"}


def test_descriptor_row_counts_match_the_files_and_the_marts(exports, package, mart_counts):
    assert len(package["resources"]) == 2 * len(mart_counts)
    for resource in package["resources"]:
        path = exports / resource["path"]
        assert resource["rows"] == file_row_count(path) == mart_counts[mart_of(resource)], resource["path"]


def test_descriptor_checksums_and_sizes_match_the_files(exports, package):
    """frictionless checks a CSV's bytes and hash itself, never a Parquet file's: this test does."""
    for resource in package["resources"]:
        path = exports / resource["path"]
        assert resource["hash"] == f"sha256:{sha256(path)}", resource["name"]
        if resource["format"] == "csv":
            assert resource["bytes"] == path.stat().st_size
        else:
            assert "bytes" not in resource, "frictionless 5 fails a Parquet resource that states bytes"
            assert resource["fileIntegrity"]["bytes"] == path.stat().st_size


def test_descriptor_schema_lists_every_column(exports, package):
    for resource in package["resources"]:
        parquet = exports / f"{mart_of(resource)}.parquet"
        columns = duckdb.execute(f"describe select * from read_parquet('{parquet}')").fetchall()
        assert [field["name"] for field in resource["schema"]["fields"]] == [column[0] for column in columns]
        amounts = [field for field in resource["schema"]["fields"] if field["name"].startswith("amount")]
        assert all(field["type"] == "integer" for field in amounts)


def csv_header_problems(exports: Path, published: Path) -> list[str]:
    """Each CSV export whose header row is not its mart's columns, in the mart's order."""
    problems = []
    with duckdb.connect(str(published), read_only=True) as connection:
        for path in sorted(exports.glob("*.csv")):
            cursor = connection.execute(f"select * from marts.{path.stem} limit 0")
            columns = [description[0] for description in cursor.description]
            with path.open(encoding="utf-8", newline="") as handle:
                header = next(csv.reader(handle))
            if header != columns:
                problems.append(f"{path.name}: header {header}, mart columns {columns}")
    return problems


def test_each_csv_header_is_its_marts_columns_in_order(built, exports):
    assert csv_header_problems(exports, built.paths.warehouse.published) == []


@pytest.mark.parametrize("change", ["rename", "reorder"])
def test_the_header_check_names_a_changed_header(built, exports, tmp_path, change):
    copy = tmp_path / "exports"
    shutil.copytree(exports, copy)
    path = copy / "fct_pool_year_totals.csv"
    lines = path.read_text(encoding="utf-8").split("\n", 1)
    header = lines[0].split(",")
    header = [header[0] + "_renamed", *header[1:]] if change == "rename" else [header[1], header[0], *header[2:]]
    path.write_text(",".join(header) + "\n" + lines[1], encoding="utf-8")
    problems = csv_header_problems(copy, built.paths.warehouse.published)
    assert [problem.split(":")[0] for problem in problems] == [path.name]


def test_csv_rows_are_sorted_by_the_marts_key(exports, package):
    for resource in (item for item in package["resources"] if item["format"] == "csv"):
        key = resource["schema"]["primaryKey"]
        assert resource["sortedBy"] == key
        with (exports / resource["path"]).open(encoding="utf-8", newline="") as handle:
            keys = [tuple(row[column] for column in key) for row in csv.DictReader(handle)]
        assert keys == sorted(keys), resource["path"]
        assert len(keys) == resource["rows"] == len(set(keys)), resource["path"]


def test_exports_belong_to_the_published_release(built, exports):
    assert exports.resolve().parent == built.paths.warehouse.published.resolve().parent


# Validation


def test_the_package_passes_frictionless_validation(exports, package):
    report = validate(str(exports / "datapackage.json"))
    assert report.valid, errors_of(report) or report.errors
    assert {task.name for task in report.tasks} == {resource["name"] for resource in package["resources"]}


def test_the_frictionless_command_passes_it_too(exports):
    result = subprocess.run(
        [str(FRICTIONLESS), "validate", str(exports / "datapackage.json")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def change_first_csv_amount(exports: Path) -> None:
    """One amount of the fact table's CSV, one higher: still a whole number, another file."""
    path = exports / "fct_allocations.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["amount_tdkk"] = str(int(rows[0]["amount_tdkk"]) + 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def rewrite_parquet(path: Path, select: str) -> None:
    """Rewrite a Parquet file with `select`, reading the file as the table `original`."""
    rewritten = path.with_suffix(".rewritten.parquet")
    duckdb.execute(
        f"copy (with original as (select * from read_parquet('{path}')) {select}) to '{rewritten}' (format parquet)"
    )
    rewritten.replace(path)


def drop_first_pool(exports: Path) -> None:
    """A pool gone from dim_pools.parquet: the facts and projects of that pool point at nothing."""
    rewrite_parquet(exports / "dim_pools.parquet", "select * from original order by pool_key offset 1")


def repeat_a_year_key(exports: Path) -> None:
    """Every row of fct_year_totals.parquet given the same year_id."""
    rewrite_parquet(
        exports / "fct_year_totals.parquet", "select * replace (min(year_id) over () as year_id) from original"
    )


@pytest.mark.parametrize(
    ("corrupt", "expected"),
    [
        pytest.param(change_first_csv_amount, {("fct_allocations_csv", "hash-count")}, id="csv-cell-changed"),
        pytest.param(
            drop_first_pool,
            {
                ("dim_pools_parquet", "row-count"),
                ("fct_allocations_parquet", "foreign-key"),
                ("dim_projects_parquet", "foreign-key"),
                ("fct_pool_year_totals_parquet", "foreign-key"),
            },
            id="parquet-foreign-key-to-a-missing-row",
        ),
        pytest.param(repeat_a_year_key, {("fct_year_totals_parquet", "primary-key")}, id="parquet-key-repeated"),
    ],
)
def test_validation_reports_a_corrupted_copy(
    exports: Path, tmp_path: Path, corrupt: Callable[[Path], None], expected: set[tuple[str, str]]
):
    copy = tmp_path / "exports"
    shutil.copytree(exports, copy)
    assert validate(str(copy / "datapackage.json")).valid, "the copy is valid before it is corrupted"
    corrupt(copy)
    report = validate(str(copy / "datapackage.json"))
    assert not report.valid
    assert expected <= set(errors_of(report)), errors_of(report)


# What the descriptor says


def test_every_measure_has_the_currency_factor_phase_and_direction_of_its_documents(package, documents, mart_nodes):
    assert documents, "marts.dim_documents is empty"
    currency = the_value_or_all(document["currency_code"] for document in documents)
    unit_factor = the_value_or_all(document["unit_factor"] for document in documents)
    phase = the_value_or_all(FDP_PHASES[document["budget_phase"]] for document in documents)
    measures = package["model"]["measures"]
    assert measures
    for measure in measures.values():
        kind = mart_nodes[measure["resource"].rsplit("_", 1)[0]]["columns"][measure["source"]]["meta"]["measure"]
        assert measure["currency"] == currency
        assert measure["factor"] == (unit_factor if kind == PUBLISHED_UNIT else 1)
        assert measure["phase"] == phase
        assert measure["direction"] == "expenditure"
    assert {measure["factor"] for measure in measures.values() if measure["source"] == "amount_dkk"} == {1}
    assert not {"currency", "unit_factor", "factor"} & set(package), "no package-wide unit may claim every amount"


def test_every_column_with_measure_meta_is_a_measure_of_every_file(package, mart_nodes):
    declared = {
        (resource["name"], column)
        for resource in package["resources"]
        for column, spec in mart_nodes[mart_of(resource)]["columns"].items()
        if spec["meta"].get("measure") in (PUBLISHED_UNIT, CURRENCY_UNIT)
    }
    measures = package["model"]["measures"].values()
    assert {(measure["resource"], measure["source"]) for measure in measures} == declared
    assert {"amount_tdkk", "amount_dkk"} <= {column for _, column in declared}


def test_every_column_with_dimension_meta_is_an_attribute_of_a_dimension_of_its_type(package, mart_nodes):
    declared = {
        (resource["name"], column, spec["meta"]["dimension"])
        for resource in package["resources"]
        for column, spec in mart_nodes[mart_of(resource)]["columns"].items()
        if "dimension" in spec["meta"]
    }
    described = {
        (attribute["resource"], attribute["source"], dimension["dimensionType"])
        for dimension in package["model"]["dimensions"].values()
        for attribute in dimension["attributes"].values()
    }
    assert described == declared and declared
    for dimension in package["model"]["dimensions"].values():
        assert set(dimension["primaryKey"]) <= set(dimension["attributes"])


def test_every_field_has_the_description_of_the_yaml(package, mart_nodes):
    for resource in package["resources"]:
        node = mart_nodes[mart_of(resource)]
        assert resource["description"] == node["description"].strip()
        for field in resource["schema"]["fields"]:
            if field["name"] in node["columns"]:
                assert field["description"] == node["columns"][field["name"]]["description"].strip(), field["name"]
            else:  # a column the data decides (a report's year): described by the model's post-hook
                assert node["config"]["meta"].get("columns_from_data"), f"{field['name']} is not in the YAML"
            assert field["description"], f"{resource['name']}.{field['name']} has no description"


def test_primary_and_foreign_keys_are_the_yamls(package, mart_nodes, model_by_relation):
    """Keys in constraints and keys in meta alike; each foreign key to the file of the same format."""
    all_foreign = set()
    for resource in package["resources"]:
        primary, foreign = yaml_keys(mart_nodes[mart_of(resource)], model_by_relation)
        schema = resource["schema"]
        assert schema["primaryKey"] == primary and primary, resource["name"]
        expected = {(column, f"{mart}_{resource['format']}", mart_column) for column, mart, mart_column in foreign}
        described = {
            (key["fields"][0], key["reference"]["resource"], key["reference"]["fields"][0])
            for key in schema.get("foreignKeys", [])
        }
        assert described == expected, resource["name"]
        assert all(len(key["fields"]) == 1 for key in schema.get("foreignKeys", []))
        all_foreign |= foreign
    assert all_foreign


def test_fiscal_period_spans_the_fiscal_years_in_the_data(built, package):
    with duckdb.connect(str(built.paths.warehouse.published), read_only=True) as connection:
        first, last = connection.execute(
            "select min(fiscal_year_start_date), max(fiscal_year_start_date) from marts.fct_allocations"
        ).fetchone()
    end = date(last.year + 1, last.month, last.day) - timedelta(days=1)
    assert package["fiscalPeriod"] == {"start": first.isoformat(), "end": end.isoformat()}
    assert package["countryCode"] == "DK"


def test_licenses_state_the_source_terms_and_ours(package, documents):
    source_terms, ours = package["licenses"]
    assert "ophavsretsloven" in source_terms["title"] and "§ 9" in source_terms["title"]
    assert all(document["issuer"] in source_terms["title"] for document in documents)
    assert "not legal advice" in source_terms["title"]
    assert ours["name"] == "CC-BY-4.0" and ours["path"].startswith("https://creativecommons.org/licenses/by/4.0")


def test_sources_are_the_seeded_documents(package, built):
    seeded = {document["document_id"]: document for document in seed_rows(built.paths.project_dir, "documents")}
    assert [source["document_id"] for source in package["sources"]] == sorted(seeded)
    for source in package["sources"]:
        document = seeded[source["document_id"]]
        assert source["currency"] == document["currency"]
        assert source["unit_factor"] == int(document["unit_factor"])
        assert source["budget_phase"] == document["budget_phase"]
        assert source["title"] == document["title"]


# A mart larger than a spreadsheet


def test_a_mart_larger_than_a_spreadsheet_gets_parquet_only(built, mart_counts, manifest_path, tmp_path):
    largest = max(mart_counts, key=mart_counts.get)
    limit = mart_counts[largest] - 1
    package = export_marts(built.paths.warehouse.published, tmp_path, manifest_path, csv_max_rows=limit)
    too_large = {mart for mart, rows in mart_counts.items() if rows > limit}
    assert largest in too_large
    assert {item["mart"] for item in package["csv_left_out"]} == too_large
    written = {path.name for path in tmp_path.iterdir()}
    for mart in mart_counts:
        assert f"{mart}.parquet" in written
        assert (f"{mart}.csv" in written) == (mart not in too_large), mart
    assert all(f"{item['mart']}.parquet" in item["reason"] for item in package["csv_left_out"])
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, errors_of(report)


# The pieces, without a build


def test_a_foreign_key_to_a_mart_without_csv_points_at_its_parquet_file():
    spec = MartSpec("fct", "", {}, {}, frozenset(), ["id"], [ForeignKey(["dim_key"], "dim", ["dim_key"])])
    keys = foreign_keys(spec, "csv", {"fct": ["parquet", "csv"], "dim": ["parquet"]})
    assert keys == [{"fields": ["dim_key"], "reference": {"resource": "dim_parquet", "fields": ["dim_key"]}}]


def test_documents_that_disagree_are_listed_not_hidden():
    assert one_or_all(["DKK", "DKK"]) == "DKK"
    assert one_or_all(["EUR", "DKK", "EUR"]) == ["DKK", "EUR"]


def test_a_budget_phase_unknown_to_the_fiscal_data_package_is_an_error():
    assert fdp_phase("revised") == "adjusted"
    with pytest.raises(ExportError, match="forecast"):
        fdp_phase("forecast")


def test_manifest_keys_are_read_from_constraints_and_meta(tmp_path):
    """dbt 1.11 writes a foreign key's `to` as the relation; an unrendered ref() and meta keys are read too."""

    def node(name: str, columns: dict[str, Any]) -> dict[str, Any]:
        return {
            "resource_type": "model",
            "name": name,
            "fqn": ["project", "marts", name],
            "schema": "marts",
            "relation_name": f'"db"."marts"."{name}"',
            "description": f"{name}.\n",
            "columns": columns,
        }

    def column(description: str, *constraints: dict[str, Any]) -> dict[str, Any]:
        return {"description": description, "meta": {}, "constraints": list(constraints)}

    pool_fk = {"type": "foreign_key", "to": '"db"."marts"."dim"', "to_columns": ["dim_key"]}
    ref_fk = {"type": "foreign_key", "to": "ref('other')", "to_columns": ["other_key"]}
    manifest = {
        "nodes": {
            "model.project.fct": node(
                "fct",
                {
                    "id": column("Key.\n", {"type": "not_null"}, {"type": "primary_key"}),
                    "dim_key": column("To dim.", pool_fk),
                    "other_key": column("To other.", ref_fk),
                },
            ),
            "model.project.dim": node("dim", {"dim_key": column("Key.", {"type": "primary_key"})}),
            "model.project.big": node(
                "big",
                {
                    "big_id": {**column("Key, tested."), "meta": {"primary_key": True}},
                    "dim_key": {
                        **column("To dim, tested."),
                        "meta": {"foreign_key": "dim.dim_key", "dimension": "other"},
                    },
                },
            ),
        }
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    fct = mart_specs(path)["fct"]
    assert fct.primary_key == ["id"] and fct.required == {"id"}
    assert fct.foreign_keys == [
        ForeignKey(["dim_key"], "dim", ["dim_key"]),
        ForeignKey(["other_key"], "other", ["other_key"]),
    ]
    assert fct.description == "fct." and fct.column_descriptions["id"] == "Key."
    big = mart_specs(path)["big"]
    assert big.primary_key == ["big_id"] and big.foreign_keys == [ForeignKey(["dim_key"], "dim", ["dim_key"])]
