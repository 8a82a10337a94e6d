"""Releases of the warehouse: build aside, switch in one atomic step, keep one generation back.

On disk, beside the published file (here for the default `warehouse/funding.duckdb`):

    warehouse/funding.duckdb           -> .funding/current/funding.duckdb
    warehouse/exports                  -> .funding/current/exports
    warehouse/funding.previous.duckdb  -> .funding/previous/funding.duckdb
    warehouse/.funding/current         -> releases/<id>     the one link a publish replaces
    warehouse/.funding/previous        -> releases/<id>
    warehouse/.funding/releases/<id>/  one tested build:
        funding.duckdb                 the marts, the BI contract, and nothing else (read-only)
        funding_build.duckdb           the build database: seeds (raw), staging, intermediate
                                       and the tests' failing rows (audit), for auditors
        exports/                       Parquet and CSV of every mart, datapackage.json
        release.json                   the release's id, commit, inputs and every file's SHA-256
    warehouse/.funding/build/          where a run builds, then renamed to releases/<id>
    warehouse/.funding/lock            held by the one run (or rollback) that may write

A release's files go live together when the single `current` link is replaced by `rename(2)`,
which is atomic: a reader sees the old release or the new one, never a mix, and a crash at any
point leaves a whole release published. A reader with the old file open keeps reading it until
it reconnects.

`python -m scripts rollback` (make rollback) makes the previous release current again, and
`python -m scripts status` (make status) shows the current release and checks its files.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import socket
import stat
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

RELEASE_MANIFEST = "release.json"
READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH

EXIT_INTACT, EXIT_CHANGED, EXIT_NOTHING_PUBLISHED = 0, 1, 2


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
    def build_dir(self) -> Path:
        """Where every run builds. The path stays the same from run to run, so dbt's connection
        settings do too, and dbt reuses its parse of the project (a changed profile makes dbt
        parse every file again)."""
        return self.state_dir / "build"

    @property
    def lock_path(self) -> Path:
        return self.state_dir / "lock"

    @property
    def current_link(self) -> Path:
        return self.state_dir / "current"

    @property
    def previous_link(self) -> Path:
        return self.state_dir / "previous"

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

    def build_in(self, folder: Path, release_id: str | None = None) -> Build:
        return Build(folder, self.published.name, f"{self.name}_build{self.published.suffix}", release_id)

    @property
    def reader_links(self) -> dict[Path, str]:
        """The paths readers open, each with the link into the current release it must be."""
        state = self.state_dir.name
        return {
            self.published: f"{state}/current/{self.published.name}",
            self.exports: f"{state}/current/exports",
        }

    @property
    def current_release(self) -> Build | None:
        folder = self.release_of(self.current_link)
        return self.build_in(folder) if folder is not None and folder.exists() else None


@dataclass(frozen=True)
class Build:
    """The files of one build, in its own folder; once published, the folder is a release."""

    folder: Path
    marts_name: str  # the published file's name, e.g. funding.duckdb
    build_name: str  # e.g. funding_build.duckdb
    release_id: str | None = None  # the release it becomes; a release's folder is named by it

    @property
    def id(self) -> str:
        return self.release_id or self.folder.name

    @property
    def marts_database(self) -> Path:
        """The marts alone: the file BI tools read once it is published."""
        return self.folder / self.marts_name

    @property
    def build_database(self) -> Path:
        """Everything else dbt wrote: raw, staging, intermediate, and a rejected build's failing rows in audit."""
        return self.folder / self.build_name

    @property
    def exports(self) -> Path:
        return self.folder / "exports"

    @property
    def manifest(self) -> Path:
        return self.folder / RELEASE_MANIFEST

    def read_manifest(self) -> dict:
        """The sealed manifest; empty when it is missing or unreadable."""
        try:
            return json.loads(self.manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def files(self) -> list[Path]:
        """Every file of the build that its manifest records, databases first."""
        exported = sorted(path for path in self.exports.rglob("*") if path.is_file()) if self.exports.exists() else []
        return [self.marts_database, self.build_database, *exported]


# --- one writer at a time -----------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """Who holds a warehouse's lock, as its holder wrote it into the lock file."""

    pid: int
    command: str
    host: str
    since: str

    def describe(self) -> str:
        return f"{self.command} (process {self.pid} on {self.host}, started {self.since})"

    @classmethod
    def read(cls, path: Path) -> Holder | None:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None  # empty, or written by an older run: nothing to name


@contextmanager
def writer_lock(warehouse: Warehouse, command: str, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the warehouse's lock for the block: one run or rollback writes at a time.

    An exclusive `flock(2)` on `.funding/lock`. When another process holds it, say whose it is
    and wait for it. The kernel releases the lock when its holder exits, however it exits, so
    a lock left by a killed run never blocks the next one.
    """
    warehouse.state_dir.mkdir(parents=True, exist_ok=True)
    with open(warehouse.lock_path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = Holder.read(warehouse.lock_path)
            whom = holder.describe() if holder else "another process"
            say(f"Waiting for {whom} to finish with {warehouse.published}: one run writes at a time.")
            fcntl.flock(handle, fcntl.LOCK_EX)
            say("      the other run has finished; going on.")
        me = Holder(os.getpid(), command, socket.gethostname(), time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(me.__dict__))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()


# --- builds and releases ------------------------------------------------------------------------


def replace_link(link: Path, target: str) -> None:
    """Point `link` at `target` in one atomic step, whatever it pointed at before."""
    temporary = link.with_name(f".{link.name}.{os.getpid()}.new")
    temporary.unlink(missing_ok=True)
    os.symlink(target, temporary)
    os.replace(temporary, link)


def ensure_link(link: Path, target: str) -> None:
    if not (link.is_symlink() and os.readlink(link) == target):
        replace_link(link, target)


def new_release_id() -> str:
    """When the run started (UTC), and a random part so that two in one second differ."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{uuid.uuid4().hex[:6]}"


def start_build(warehouse: Warehouse, release_id: str) -> Build:
    """The empty build folder, for the run that will publish `release_id`. Call it holding the writer lock.

    A build left by an earlier run is removed first: a rejected one has been kept for inspection
    until this run, and a crashed one is no one's, since no other run can hold the lock.
    """
    shutil.rmtree(warehouse.build_dir, ignore_errors=True)
    build = warehouse.build_in(warehouse.build_dir, release_id)
    build.exports.mkdir(parents=True)
    adopt_plain_file(warehouse)
    return build


def adopt_plain_file(warehouse: Warehouse) -> None:
    """Turn a published file that is a plain file (from before releases) into a release.

    Only a warehouse with no release yet is adopted. Where a release is current, a plain file
    in the published path was put there by hand, in place of the link: it was never tested,
    so it must not become the release to roll back to.
    """
    if warehouse.published.is_symlink() or not warehouse.published.exists():
        return
    if warehouse.current_release is not None:
        raise PublishError(
            f"{warehouse.published} is a plain file, not the link to the current release: it was put "
            f"there by hand and never tested. Move it away and run again; `make status` shows the release"
        )
    release = warehouse.releases_dir / "adopted"
    release.mkdir(parents=True, exist_ok=True)
    os.replace(warehouse.published, release / warehouse.published.name)
    replace_link(warehouse.current_link, f"releases/{release.name}")
    link_published_paths(warehouse)


def link_published_paths(warehouse: Warehouse) -> None:
    for path, target in warehouse.reader_links.items():
        ensure_link(path, target)
    if warehouse.previous_link.is_symlink():
        ensure_link(warehouse.previous, f"{warehouse.state_dir.name}/previous/{warehouse.published.name}")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def seal(build: Build, record: dict, known: dict[str, str] | None = None) -> dict:
    """Make the build's files read-only and write its manifest: `record` and every file's SHA-256.

    Read-only on disk, so that a client that forgets DuckDB's `read_only` fails at once
    instead of taking the write lock, or changing an audited figure. `known` holds checksums
    computed already (the exports'), by path relative to the build folder.
    """
    known = known or {}
    checksums = {}
    for path in build.files():
        relative = str(path.relative_to(build.folder))
        checksums[relative] = known.get(relative) or sha256(path)
        path.chmod(READ_ONLY)
    manifest = {**record, "release_id": build.id, "files": checksums}
    build.manifest.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    build.manifest.chmod(READ_ONLY)
    return manifest


def publish(warehouse: Warehouse, build: Build) -> Path:
    """Make the sealed build the current release; the current one becomes the previous."""
    release = warehouse.releases_dir / build.id
    warehouse.releases_dir.mkdir(parents=True, exist_ok=True)
    os.replace(build.folder, release)

    outgoing = warehouse.release_of(warehouse.current_link)
    replace_link(warehouse.current_link, f"releases/{release.name}")  # the moment of publishing
    if outgoing is not None:
        replace_link(warehouse.previous_link, f"releases/{outgoing.name}")
    link_published_paths(warehouse)
    prune_releases(warehouse)
    return release


def rollback(warehouse: Warehouse) -> Path:
    """Make the previous release current again; rolling back twice rolls forward.

    A previous release whose files no longer match their checksums is not made current.
    """
    current = warehouse.release_of(warehouse.current_link)
    previous = warehouse.release_of(warehouse.previous_link)
    if previous is None or not previous.exists():
        raise PublishError(f"there is no previous release of {warehouse.published} to roll back to")
    target = warehouse.build_in(previous)
    changed = files_changed(target, target.read_manifest())
    if changed:
        raise PublishError(f"the previous release {previous.name} was changed after publishing: {'; '.join(changed)}")
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


# --- status ---------------------------------------------------------------------------------------


@dataclass
class Status:
    release: Build
    manifest: dict
    changed: list[str]  # files whose bytes no longer match the manifest, or that are missing

    @property
    def intact(self) -> bool:
        return not self.changed


def release_status(warehouse: Warehouse) -> Status | None:
    """The current release, and whether what readers open is still what was published."""
    release = warehouse.current_release
    if release is None:
        return None
    manifest = release.read_manifest()
    return Status(release, manifest, links_changed(warehouse) + files_changed(release, manifest))


def links_changed(warehouse: Warehouse) -> list[str]:
    """The paths readers open that no longer lead into the current release."""
    return [
        f"{path.name} (no longer the link to the current release: readers open something else)"
        for path, target in warehouse.reader_links.items()
        if not (path.is_symlink() and os.readlink(path) == target)
    ]


def files_changed(release: Build, manifest: dict) -> list[str]:
    """The release's files that differ from its manifest's checksums, or that it does not list."""
    if "files" not in manifest:
        return [f"{RELEASE_MANIFEST} (missing or unreadable: the release was never sealed)"]
    changed = []
    for relative, expected in manifest["files"].items():
        path = release.folder / relative
        if not path.exists():
            changed.append(f"{relative} (missing)")
        elif sha256(path) != expected:
            changed.append(f"{relative} (its SHA-256 differs from the one recorded at publishing)")
    recorded = set(manifest["files"])
    changed += [
        f"{relative} (added after publishing)"
        for path in release.files()
        if path.exists() and (relative := str(path.relative_to(release.folder))) not in recorded
    ]
    return changed


def print_status(warehouse: Warehouse) -> int:
    status = release_status(warehouse)
    if status is None:
        print(f"Nothing is published at {warehouse.published} yet; `make run` publishes.")
        return EXIT_NOTHING_PUBLISHED
    manifest = status.manifest
    print(f"Current release of {warehouse.published}: {status.release.id}")
    print(f"  published at:   {manifest.get('published_at_utc', '?')} UTC")
    print(f"  commit:         {manifest.get('git_commit', '?')}")
    print(f"  built with:     dbt {manifest.get('dbt_version', '?')}, DuckDB {manifest.get('duckdb_version', '?')}")
    print(f"  documents:      {', '.join(manifest.get('documents', [])) or '?'}")
    print("  inputs:")
    for name, checksum in manifest.get("inputs", {}).items():
        print(f"    {name}  {checksum}")
    print(f"  files:          {status.release.folder}")
    print(f"  build database: {status.release.build_database} (raw, staging, intermediate)")
    previous = warehouse.release_of(warehouse.previous_link)
    if previous is not None:
        print(f"  previous:       {previous.name} (`make rollback` restores it)")
    if status.intact:
        print(
            f"OK: all {len(manifest['files'])} files match the checksums recorded when they were published,"
            f" and {warehouse.published.name} and {warehouse.exports.name} lead to them."
        )
        return EXIT_INTACT
    print("CHANGED: the release no longer is what was published:")
    for change in status.changed:
        print(f"  {change}")
    print("Publish again with `make run`, or `make rollback` to the previous release.")
    return EXIT_CHANGED


# --- rollback, as a command -----------------------------------------------------------------------


def rollback_command(warehouse: Warehouse) -> int:
    """`python -m scripts rollback`: roll back holding the writer lock, and say what happened."""
    with writer_lock(warehouse, "make rollback", print):
        try:
            release = rollback(warehouse)
        except PublishError as error:
            print(f"Nothing rolled back: {error}.", file=sys.stderr)
            return 1
    print(f"Rolled back: {warehouse.published} is release {release.name} again.")
    print(f"The release it replaced is kept as {warehouse.previous}; `make rollback` again rolls forward.")
    return 0
