"""A test's own copy of the project (scripts.settings.copy_project makes it), and its seed CSVs read and rewritten."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from scripts.settings import PROJECT_DIR, TARGET_FOLDER, copy_project  # noqa: F401  PROJECT_DIR: for the tests

Row = dict[str, str]


def renew_project(folder: Path) -> Path:
    """Make `folder` a fresh copy of the project again, keeping only its dbt output (target/).

    dbt reuses its parse of a project (target/partial_parse.msgpack) only while the project's
    folder and its profile's paths stay the same, and re-reads just the files that changed. A
    copy renewed in one place is parsed once by the runs of many tests, instead of in full by
    every run: two of a run's seconds here.
    """
    if folder.exists():
        for child in folder.iterdir():
            if child.name == TARGET_FOLDER:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    return copy_project(folder)


def read_rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{key: value.strip() for key, value in row.items()} for row in csv.DictReader(handle)]


def header_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def write_rows(path: Path, rows: list[Row], header: list[str] | None = None) -> None:
    header = header or header_of(path)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def seed_path(project_dir: Path, seed: str) -> Path:
    return project_dir / "seeds" / f"{seed}.csv"


def seed_rows(project_dir: Path, seed: str) -> list[Row]:
    return read_rows(seed_path(project_dir, seed))


def replace_text(project_dir: Path, seed: str, old: str, new: str) -> None:
    """Replace the first occurrence of `old` in a seed file's raw text."""
    path = seed_path(project_dir, seed)
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def raw_line(row: Row, header: list[str]) -> str:
    """A row as the CSV line that write_rows would produce for it."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([row[column] for column in header])
    return buffer.getvalue()


def published_totals_by_scope(project_dir: Path) -> dict[str, dict[tuple, int]]:
    """The seeds' published totals by scope, keyed like the marts' grains: a line's by document
    and line, a pool-year's by document, pool and year, a pool's by document and pool."""
    by_scope: dict[str, dict[tuple, int]] = {"line": {}, "pool_year": {}, "pool": {}}
    for row in seed_rows(project_dir, "published_totals"):
        amount = int(row["amount_tdkk"])
        if row["total_scope"] == "line":
            by_scope["line"][(row["document_id"], row["line_code"])] = amount
        elif row["total_scope"] == "pool_year":
            by_scope["pool_year"][(row["document_id"], row["pool_code"], int(row["fiscal_year"]))] = amount
        else:
            by_scope["pool"][(row["document_id"], row["pool_code"])] = amount
    return by_scope
