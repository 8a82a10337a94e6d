"""Releases of the warehouse: build aside, switch in one atomic step, keep one generation back.

On disk, beside the published file (here for the default `warehouse/funding.duckdb`):

    warehouse/funding.duckdb           -> .funding/current/funding.duckdb
    warehouse/exports                  -> .funding/current/exports
    warehouse/funding.previous.duckdb  -> .funding/previous/funding.duckdb
    warehouse/.funding/current         -> releases/<id>     the one link a publish replaces
    warehouse/.funding/previous        -> releases/<id>
    warehouse/.funding/releases/<id>/  funding.duckdb and exports/ of one tested build
    warehouse/.funding/build/          where the next release is built

The database and its exports live in one release folder and go live together when the single
`current` link is replaced by `rename(2)`, which is atomic: a reader sees the old release or
the new one, never a mix, and a crash at any point leaves a whole release published. A reader
with the old file open keeps reading it until it reconnects.

Run as `python -m scripts.publish rollback` to make the previous release current again.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WAREHOUSE = Path("warehouse/funding.duckdb")


class PublishError(Exception):
    """A publish or rollback that cannot be done; the message says why."""


@dataclass(frozen=True)
class Warehouse:
    published: Path  # the path BI tools open, e.g. warehouse/funding.duckdb

    @property
    def name(self) -> str:
        return self.published.stem

    @property
    def state_dir(self) -> Path:
        return self.published.parent / f".{self.name}"

    @property
    def releases_dir(self) -> Path:
        return self.state_dir / "releases"

    @property
    def current_link(self) -> Path:
        return self.state_dir / "current"

    @property
    def previous_link(self) -> Path:
        return self.state_dir / "previous"

    @property
    def build_dir(self) -> Path:
        return self.state_dir / "build"

    @property
    def build_database(self) -> Path:
        """Same file name as the published one, so that the catalog keeps its name."""
        return self.build_dir / self.published.name

    @property
    def build_exports(self) -> Path:
        return self.build_dir / "exports"

    @property
    def exports(self) -> Path:
        return self.published.parent / "exports"

    @property
    def previous(self) -> Path:
        return self.published.with_name(f"{self.name}.previous{self.published.suffix}")

    def release_of(self, link: Path) -> Path | None:
        if not link.is_symlink():
            return None
        return (link.parent / os.readlink(link)).resolve()


def replace_link(link: Path, target: str) -> None:
    """Point `link` at `target` in one atomic step, whatever it pointed at before."""
    temporary = link.with_name(f".{link.name}.{os.getpid()}.new")
    temporary.unlink(missing_ok=True)
    os.symlink(target, temporary)
    os.replace(temporary, link)


def ensure_link(link: Path, target: str) -> None:
    if not (link.is_symlink() and os.readlink(link) == target):
        replace_link(link, target)


def start_build(warehouse: Warehouse) -> Path:
    """An empty build folder; a rejected or crashed earlier build is removed first."""
    shutil.rmtree(warehouse.build_dir, ignore_errors=True)
    warehouse.build_exports.mkdir(parents=True)
    adopt_plain_file(warehouse)
    return warehouse.build_database


def adopt_plain_file(warehouse: Warehouse) -> None:
    """Turn a published file that is a plain file (from before releases) into a release."""
    if warehouse.published.is_symlink() or not warehouse.published.exists():
        return
    release = warehouse.releases_dir / "adopted"
    release.mkdir(parents=True, exist_ok=True)
    os.replace(warehouse.published, release / warehouse.published.name)
    replace_link(warehouse.current_link, f"releases/{release.name}")
    link_published_paths(warehouse)


def link_published_paths(warehouse: Warehouse) -> None:
    state = warehouse.state_dir.name
    ensure_link(warehouse.published, f"{state}/current/{warehouse.published.name}")
    ensure_link(warehouse.exports, f"{state}/current/exports")
    if warehouse.previous_link.is_symlink():
        ensure_link(warehouse.previous, f"{state}/previous/{warehouse.published.name}")


def new_release_id() -> str:
    """When the release was made (UTC), and a random part so that two in one second differ."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{uuid.uuid4().hex[:6]}"


def publish(warehouse: Warehouse) -> Path:
    """Make the finished build the current release; the current one becomes the previous."""
    release = warehouse.releases_dir / new_release_id()
    warehouse.releases_dir.mkdir(parents=True, exist_ok=True)
    os.replace(warehouse.build_dir, release)

    outgoing = warehouse.release_of(warehouse.current_link)
    replace_link(warehouse.current_link, f"releases/{release.name}")  # the moment of publishing
    if outgoing is not None:
        replace_link(warehouse.previous_link, f"releases/{outgoing.name}")
    link_published_paths(warehouse)
    prune_releases(warehouse)
    return release


def rollback(warehouse: Warehouse) -> Path:
    """Make the previous release current again; rolling back twice rolls forward."""
    current = warehouse.release_of(warehouse.current_link)
    previous = warehouse.release_of(warehouse.previous_link)
    if previous is None or not previous.exists():
        raise PublishError(f"there is no previous release of {warehouse.published} to roll back to")
    replace_link(warehouse.current_link, f"releases/{previous.name}")
    if current is not None:
        replace_link(warehouse.previous_link, f"releases/{current.name}")
    link_published_paths(warehouse)
    return previous


def prune_releases(warehouse: Warehouse) -> None:
    """Delete every release but the current and the previous one, including ones a crash left."""
    kept = {warehouse.release_of(warehouse.current_link), warehouse.release_of(warehouse.previous_link)}
    for release in warehouse.releases_dir.iterdir():
        if release.resolve() not in kept:
            shutil.rmtree(release, ignore_errors=True)


def add_warehouse_argument(parser: argparse.ArgumentParser) -> None:
    """`--warehouse`, the published file, as every command that works on releases takes it."""
    parser.add_argument(
        "--warehouse", type=Path, default=Path(os.environ.get("WAREHOUSE_PATH", DEFAULT_WAREHOUSE)),
        help="the published DuckDB file (default: $WAREHOUSE_PATH or warehouse/funding.duckdb)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Manage the published warehouse's releases.")
    parser.add_argument("command", choices=["rollback"])
    add_warehouse_argument(parser)
    args = parser.parse_args(argv)
    warehouse = Warehouse(args.warehouse)
    try:
        release = rollback(warehouse)
    except PublishError as error:
        print(f"Nothing rolled back: {error}.", file=sys.stderr)
        return 1
    print(f"Rolled back: {warehouse.published} is release {release.name} again.")
    print(f"The release it replaced is kept as {warehouse.previous}; `make rollback` again rolls forward.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
