"""Check the seed CSVs before dbt loads them.

dbt's seed loader is forgiving in ways that corrupt figures silently: it reads the Danish
`1.500` as one and a half and rounds it to 2. This module reads every seed the way a careful
person would and reports each cell that is not of the declared form, by file, row and column.

The declared form comes from `seeds/_seeds.yml`, the file dbt itself reads: a column's type
is its `data_type`, or else its `column_types` entry, and it is required when its meta says
`required: true`.

Tolerated, because they do not change a figure: a UTF-8 byte-order mark, CRLF line endings
and spaces around a cell.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

SEEDS_PROPERTIES = "_seeds.yml"

# What each declared column type accepts, and how to say so to the person fixing the file.
INTEGER_TYPES = {"integer", "bigint", "smallint", "int", "hugeint"}
INTEGER_PATTERN = re.compile(r"-?[0-9]+")
INTEGER_FORM = "a whole number written with digits only, such as 1500 (no thousands separator, no decimals)"


@dataclass(frozen=True)
class SeedColumn:
    name: str
    data_type: str
    required: bool


@dataclass(frozen=True)
class SeedProblem:
    """One cell, row or file that is not of the declared form."""

    file: Path
    row: int | None  # line number in the file as an editor shows it; None for the whole file
    column: str | None
    message: str

    def __str__(self) -> str:
        where = str(self.file)
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


def declared_seed_columns(seeds_dir: Path) -> dict[str, list[SeedColumn]]:
    """Read each seed's columns, types and required flags from the seeds' YAML."""
    properties = yaml.safe_load((seeds_dir / SEEDS_PROPERTIES).read_text(encoding="utf-8"))
    declared = {}
    for seed in properties["seeds"]:
        column_types = seed["config"]["column_types"]
        declared[seed["name"]] = [
            SeedColumn(
                name=column["name"],
                data_type=column.get("data_type", column_types[column["name"]]).lower(),
                required=bool((column.get("meta") or {}).get("required")),
            )
            for column in seed["columns"]
        ]
    return declared


def required_seed_columns(seeds_dir: Path) -> dict[str, set[str]]:
    """Each seed's columns that may not be empty, which the seed check therefore proves not null."""
    return {
        seed: {column.name for column in columns if column.required}
        for seed, columns in declared_seed_columns(seeds_dir).items()
    }


def read_seed_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return a seed's header and its rows, each with the line number it starts on.

    Cells are stripped of surrounding spaces; a byte-order mark and CRLF endings are accepted.
    Raises UnicodeDecodeError when the file is not UTF-8.
    """
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.reader(text.splitlines(keepends=True))
    rows = []
    for cells in reader:
        rows.append((reader.line_num, [cell.strip() for cell in cells]))
    rows = [(line, cells) for line, cells in rows if any(cells)]
    if not rows:
        return [], []
    header = rows[0][1]
    return header, rows[1:]


def read_seed_records(path: Path) -> list[dict[str, str]]:
    """A seed's rows as dictionaries keyed by column name, cells stripped."""
    header, rows = read_seed_rows(path)
    return [dict(zip(header, cells, strict=True)) for _, cells in rows]


def check_cell(path: Path, line: int, column: SeedColumn, value: str) -> SeedProblem | None:
    if value == "":
        if column.required:
            return SeedProblem(path, line, column.name, f"is empty; expected {describe(column)}")
        return None
    if column.data_type in INTEGER_TYPES and not INTEGER_PATTERN.fullmatch(value):
        return SeedProblem(path, line, column.name, f"'{value}' is not {INTEGER_FORM}")
    return None


def describe(column: SeedColumn) -> str:
    if column.data_type in INTEGER_TYPES:
        return INTEGER_FORM
    return "a value"


def check_seed_file(path: Path, columns: list[SeedColumn]) -> list[SeedProblem]:
    try:
        header, rows = read_seed_rows(path)
    except UnicodeDecodeError as error:
        return [SeedProblem(path, None, None, f"is not UTF-8 text ({error.reason} at byte {error.start})")]
    if not header:
        return [SeedProblem(path, None, None, "is empty; expected a header row naming the columns")]

    expected = [column.name for column in columns]
    missing = [name for name in expected if name not in header]
    unexpected = [name for name in header if name not in expected]
    if missing or unexpected:
        return [
            SeedProblem(
                path,
                1,
                None,
                f"header has columns {header}; expected exactly {expected}"
                + (f" (missing {missing})" if missing else "")
                + (f" (unexpected {unexpected})" if unexpected else ""),
            )
        ]

    by_name = {column.name: column for column in columns}
    problems = []
    for line, cells in rows:
        if len(cells) != len(header):
            problems.append(
                SeedProblem(
                    path,
                    line,
                    None,
                    f"has {len(cells)} cells; expected {len(header)}, one per column of the header"
                    " (a comma inside a value needs double quotes around the value)",
                )
            )
            continue
        for name, value in zip(header, cells, strict=True):
            problem = check_cell(path, line, by_name[name], value)
            if problem:
                problems.append(problem)
    return problems


def check_seeds(seeds_dir: Path) -> list[SeedProblem]:
    """Every problem in every declared seed, in file order; an empty list means all is well."""
    problems = []
    for seed_name, columns in declared_seed_columns(seeds_dir).items():
        path = seeds_dir / f"{seed_name}.csv"
        if not path.exists():
            problems.append(
                SeedProblem(path, None, None, "is missing; every seed declared in _seeds.yml needs its CSV")
            )
            continue
        problems.extend(check_seed_file(path, columns))
    return problems
