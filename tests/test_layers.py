"""The layers hold in the DAG dbt built: marts read staging and intermediate models, never a mart.

Checked on the manifest of the session's real run, and shown to fail on a manifest with a
mart-to-mart edge and on a model with an ordering hint.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from scripts.settings import PROJECT_DIR

MARTS_FOLDER = "models/marts/"
ORDERING_HINT = re.compile(r"--\s*depends_on:")


def mart_to_mart_edges(manifest: dict) -> list[tuple[str, str]]:
    """(mart, mart it depends on) for every dependency between two models under models/marts/."""
    marts = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["original_file_path"].startswith(MARTS_FOLDER)
    }
    return sorted(
        (manifest["nodes"][mart]["name"], manifest["nodes"][parent]["name"])
        for mart in marts
        for parent in manifest["nodes"][mart]["depends_on"]["nodes"]
        if parent in marts
    )


def ordering_hints(models_dir: Path) -> list[str]:
    """Every model that orders itself with a `-- depends_on:` comment instead of reading data."""
    return sorted(
        str(path.relative_to(models_dir))
        for path in models_dir.rglob("*.sql")
        if ORDERING_HINT.search(path.read_text(encoding="utf-8"))
    )


def test_no_mart_depends_on_another_mart(built):
    manifest = json.loads((built.paths.target_dir / "manifest.json").read_text(encoding="utf-8"))
    assert any(node["original_file_path"].startswith(MARTS_FOLDER) for node in manifest["nodes"].values())
    assert mart_to_mart_edges(manifest) == []


def test_the_check_names_a_mart_that_reads_a_mart(built):
    manifest = json.loads((built.paths.target_dir / "manifest.json").read_text(encoding="utf-8"))
    nodes = manifest["nodes"]
    facts = next(node for node in nodes.values() if node["name"] == "fct_allocations")
    dimension = next(unique_id for unique_id, node in nodes.items() if node["name"] == "dim_projects")
    facts["depends_on"]["nodes"].append(dimension)
    assert mart_to_mart_edges(manifest) == [("fct_allocations", "dim_projects")]


def test_no_model_orders_itself_with_a_hint():
    assert ordering_hints(PROJECT_DIR / "models") == []


def test_the_hint_check_finds_a_hint(tmp_path):
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "fct.sql").write_text("-- depends_on: {{ ref('dim') }}\nselect 1\n", encoding="utf-8")
    (tmp_path / "marts" / "dim.sql").write_text("select 1 -- reads no other model\n", encoding="utf-8")
    assert ordering_hints(tmp_path) == ["marts/fct.sql"]
