"""Releases, the atomic switch, one generation back and rollback, on folders made here.

These tests run no dbt: a "build" is a folder holding a file with known bytes, so that which
release is published can be read back from the published path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.publish import PublishError, Warehouse, publish, rollback, start_build


def build(warehouse: Warehouse, content: str) -> None:
    database = start_build(warehouse)
    database.write_text(content)
    (warehouse.build_exports / "export.csv").write_text(content)


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse" / "funding.duckdb")


def test_first_publish_makes_database_and_exports_current(warehouse):
    build(warehouse, "first")
    publish(warehouse)
    assert warehouse.published.read_text() == "first"
    assert (warehouse.exports / "export.csv").read_text() == "first"
    assert not warehouse.previous.exists()


def test_second_publish_keeps_the_first_as_previous(warehouse):
    for content in ("first", "second"):
        build(warehouse, content)
        publish(warehouse)
    assert warehouse.published.read_text() == "second"
    assert warehouse.previous.read_text() == "first"


def test_only_current_and_previous_releases_are_kept(warehouse):
    for content in ("first", "second", "third"):
        build(warehouse, content)
        publish(warehouse)
    kept = sorted((release / warehouse.published.name).read_text() for release in warehouse.releases_dir.iterdir())
    assert kept == ["second", "third"]


def test_rollback_restores_the_previous_and_twice_rolls_forward(warehouse):
    for content in ("first", "second"):
        build(warehouse, content)
        publish(warehouse)
    rollback(warehouse)
    assert (warehouse.published.read_text(), (warehouse.exports / "export.csv").read_text()) == ("first", "first")
    assert warehouse.previous.read_text() == "second"
    rollback(warehouse)
    assert warehouse.published.read_text() == "second"


def test_rollback_without_a_previous_release_says_so(warehouse):
    build(warehouse, "first")
    publish(warehouse)
    with pytest.raises(PublishError, match="no previous release"):
        rollback(warehouse)
    assert warehouse.published.read_text() == "first"


def test_a_stale_build_never_blocks_the_next(warehouse):
    build(warehouse, "first")
    publish(warehouse)
    build(warehouse, "crashed half way")  # never published
    (warehouse.build_dir / "funding.duckdb.wal").write_text("left by a killed process")
    build(warehouse, "second")
    assert sorted(path.name for path in warehouse.build_dir.iterdir()) == ["exports", "funding.duckdb"]
    publish(warehouse)
    assert warehouse.published.read_text() == "second"


def test_a_plain_published_file_is_adopted_as_a_release(warehouse):
    warehouse.published.parent.mkdir(parents=True)
    warehouse.published.write_text("published before releases existed")
    build(warehouse, "new")
    assert warehouse.published.read_text() == "published before releases existed"
    publish(warehouse)
    assert warehouse.published.read_text() == "new"
    assert warehouse.previous.read_text() == "published before releases existed"


def test_publish_leaves_no_temporary_links(warehouse):
    for content in ("first", "second"):
        build(warehouse, content)
        publish(warehouse)
    rollback(warehouse)
    leftovers = [path.name for path in warehouse.state_dir.iterdir() if path.name.startswith(".")]
    assert leftovers == []
