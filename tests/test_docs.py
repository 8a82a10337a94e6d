"""`make docs` builds the documentation site; every mart and column is described; exposures name the marts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.docs import generate_docs
from scripts.pipeline import RunPaths

# one worker generates the site and runs every test of it, while the others go on
pytestmark = pytest.mark.xdist_group("docs")


@pytest.fixture(scope="session")
def site(built, kept_folder) -> Path:
    target = kept_folder("docs")  # dbt's parse of the project is kept in it for the next session
    for generated in ("index.html", "static_index.html", "catalog.json", "manifest.json"):
        (target / generated).unlink(missing_ok=True)  # an earlier session's
    index = generate_docs(RunPaths(built.paths.project_dir, built.paths.warehouse, target))
    assert index is not None and index.exists()
    return target


@pytest.fixture(scope="session")
def manifest(site: Path) -> dict:
    return json.loads((site / "manifest.json").read_text(encoding="utf-8"))


def marts(manifest: dict) -> list[dict]:
    """The published models: the marts and the reports, both in schema marts."""
    return [
        node for node in manifest["nodes"].values() if node["resource_type"] == "model" and node["schema"] == "marts"
    ]


@pytest.mark.pipeline
def test_site_and_catalog_are_generated(site: Path, manifest: dict):
    assert (site / "index.html").stat().st_size > 0
    assert (site / "static_index.html").stat().st_size > 0
    catalog = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    catalogued = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    documented = {node["name"] for node in marts(manifest)}
    assert documented and documented <= catalogued


@pytest.mark.pipeline
def test_every_model_and_column_is_described(manifest: dict):
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    assert models
    undescribed = [node["name"] for node in models if not node["description"].strip()]
    undescribed += [
        f"{node['name']}.{column}"
        for node in models
        for column, spec in node["columns"].items()
        if not spec["description"].strip()
    ]
    assert undescribed == []


@pytest.mark.pipeline
def test_every_mart_has_an_enforced_contract(manifest: dict):
    found = marts(manifest)
    assert found, "no mart in the manifest: the test would check nothing"
    assert all(node["access"] == "public" for node in found)
    # a report whose columns the data decides (a column per fiscal year) cannot declare them in a
    # contract; it says so in its meta, and only that report may
    from_data = [node["name"] for node in found if node["config"].get("meta", {}).get("columns_from_data")]
    assert from_data == ["rpt_appendix_tables"]
    assert all(node["contract"]["enforced"] for node in found if node["name"] not in from_data)


@pytest.mark.pipeline
def test_exposures_name_their_owner_and_read_only_marts(manifest: dict):
    exposures = list(manifest["exposures"].values())
    assert exposures
    mart_ids = {node["unique_id"] for node in marts(manifest)}
    for exposure in exposures:
        assert exposure["owner"]["name"] and exposure["owner"]["email"]
        assert exposure["depends_on"]["nodes"] and set(exposure["depends_on"]["nodes"]) <= mart_ids


@pytest.mark.pipeline
def test_every_macro_of_the_project_is_documented(manifest: dict):
    macros = [macro for macro in manifest["macros"].values() if macro["package_name"] == "funding_warehouse"]
    assert macros
    assert [macro["name"] for macro in macros if not macro["description"].strip()] == []
