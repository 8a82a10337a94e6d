"""Releases, the atomic switch, one generation back and rollback, on folders made here.

These tests run no dbt: a "build" is a folder holding a file with known bytes, so that which
release is published can be read back from the published path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.publish import (
    Build,
    PublishError,
    Warehouse,
    new_release_id,
    publish,
    release_status,
    rollback,
    seal,
    start_build,
)


def build(warehouse: Warehouse, content: str) -> Build:
    started = start_build(warehouse, new_release_id())
    for database in (started.marts_database, started.build_database):
        database.write_text(content)
    (started.exports / "export.csv").write_text(content)
    return started


def build_and_publish(warehouse: Warehouse, content: str) -> Path:
    built = build(warehouse, content)
    seal(built, {})
    return publish(warehouse, built)


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse" / "funding.duckdb")


def test_first_publish_makes_database_and_exports_current(warehouse):
    build_and_publish(warehouse, "first")
    assert warehouse.published.read_text() == "first"
    assert (warehouse.exports / "export.csv").read_text() == "first"
    assert not warehouse.previous.exists()


def test_second_publish_keeps_the_first_as_previous(warehouse):
    for content in ("first", "second"):
        build_and_publish(warehouse, content)
    assert warehouse.published.read_text() == "second"
    assert warehouse.previous.read_text() == "first"


def test_only_current_and_previous_releases_are_kept(warehouse):
    for content in ("first", "second", "third"):
        build_and_publish(warehouse, content)
    kept = sorted((release / warehouse.published.name).read_text() for release in warehouse.releases_dir.iterdir())
    assert kept == ["second", "third"]


def test_rollback_restores_the_previous_and_twice_rolls_forward(warehouse):
    for content in ("first", "second"):
        build_and_publish(warehouse, content)
    rollback(warehouse)
    assert (warehouse.published.read_text(), (warehouse.exports / "export.csv").read_text()) == ("first", "first")
    assert warehouse.previous.read_text() == "second"
    rollback(warehouse)
    assert warehouse.published.read_text() == "second"


def test_rollback_without_a_previous_release_says_so(warehouse):
    build_and_publish(warehouse, "first")
    with pytest.raises(PublishError, match="no previous release"):
        rollback(warehouse)
    assert warehouse.published.read_text() == "first"


def test_a_stale_build_never_blocks_the_next(warehouse):
    build_and_publish(warehouse, "first")
    crashed = build(warehouse, "crashed half way")  # never published
    (crashed.folder / "funding.duckdb.wal").write_text("left by a killed process")
    second = build(warehouse, "second")
    assert second.folder == warehouse.build_dir
    assert sorted(path.name for path in second.folder.iterdir()) == [
        "exports",
        "funding.duckdb",
        "funding_build.duckdb",
    ]
    publish(warehouse, second)
    assert warehouse.published.read_text() == "second"


def test_a_plain_published_file_is_adopted_as_a_release(warehouse):
    warehouse.published.parent.mkdir(parents=True)
    warehouse.published.write_text("published before releases existed")
    new = build(warehouse, "new")
    assert warehouse.published.read_text() == "published before releases existed"
    publish(warehouse, new)
    assert warehouse.published.read_text() == "new"
    assert warehouse.previous.read_text() == "published before releases existed"


def test_publish_leaves_no_temporary_links(warehouse):
    for content in ("first", "second"):
        build_and_publish(warehouse, content)
    rollback(warehouse)
    leftovers = [path.name for path in warehouse.state_dir.iterdir() if path.name.startswith(".")]
    assert leftovers == []


def test_a_publish_moves_only_its_own_build(warehouse):
    build_and_publish(warehouse, "first")
    mine = build(warehouse, "mine")
    release = publish(warehouse, mine)
    assert release.name == mine.id and not mine.folder.exists()
    assert warehouse.published.read_text() == "mine"


def test_seal_makes_every_file_read_only_and_records_its_checksum(warehouse):
    sealed = build(warehouse, "sealed")
    manifest = seal(sealed, {"git_commit": "abc"})
    publish(warehouse, sealed)
    assert set(manifest["files"]) == {"funding.duckdb", "funding_build.duckdb", "exports/export.csv"}
    release = warehouse.current_release
    assert all(path.stat().st_mode & 0o222 == 0 for path in [*release.files(), release.manifest])
    assert release_status(warehouse).intact
    extra = release.exports / "added.csv"
    extra.write_text("not published")
    assert release_status(warehouse).changed == ["exports/added.csv (added after publishing)"]


def test_status_reports_a_published_path_that_no_longer_leads_to_the_release(warehouse):
    build_and_publish(warehouse, "tested")
    assert release_status(warehouse).intact
    warehouse.published.unlink()
    warehouse.published.write_text("a writable copy, changed by hand")
    assert release_status(warehouse).changed == [
        "funding.duckdb (no longer the link to the current release: readers open something else)"
    ]


def test_a_run_refuses_a_plain_file_put_in_place_of_the_current_release(warehouse):
    build_and_publish(warehouse, "tested")
    warehouse.published.unlink()
    warehouse.published.write_text("never tested")
    with pytest.raises(PublishError, match="plain file, not the link to the current release"):
        build(warehouse, "next")
    assert warehouse.published.read_text() == "never tested"  # left where it is, for its owner to look at
    assert [path.name for path in warehouse.releases_dir.iterdir()] == [warehouse.current_release.id]


def test_rollback_refuses_a_previous_release_that_was_changed(warehouse):
    for content in ("first", "second"):
        build_and_publish(warehouse, content)
    tampered = warehouse.previous.resolve()
    tampered.chmod(0o644)
    tampered.write_text("first, changed")
    with pytest.raises(PublishError, match="was changed after publishing: funding.duckdb"):
        rollback(warehouse)
    assert warehouse.published.read_text() == "second"
