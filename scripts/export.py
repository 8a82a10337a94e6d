"""Write every mart as Parquet and CSV, described by a `datapackage.json` that data tools trust.

CSV is for spreadsheets, so a mart with more rows than an Excel sheet holds gets Parquet only
(at ten million budget lines, writing CSVs nobody can open took most of the export's time);
the descriptor lists each CSV it left out and why.

The descriptor is a Tabular Data Package that `frictionless validate` passes, Parquet files
included, and in content a Fiscal Data Package (FDP_VERSION, named in the descriptor, as
frictionless cannot check the FDP profile offline):
- each resource's schema: its fields with the descriptions of the dbt YAML, its primary key
  and its foreign keys as the YAML declares them, in constraints or in column meta (each to
  the referenced mart's file of the same format), and the file's row count, size and checksum;
- the FDP `model`: every amount column (column meta `measure`) is a measure with its own
  currency, factor, phase and direction, and every column with meta `dimension` an attribute
  of a dimension of that type. Currency, unit factor and budget phase are read from
  `marts.dim_documents`, none is written here; where documents disagree, the measure lists
  every value (see one_or_all);
- `countryCode`, `fiscalPeriod` (from the data's fiscal years), `licenses` (the source's
  terms and ours) and `sources` (the documents).

CSV rows are sorted by the mart's primary key; Parquet rows are in no particular order.

Everything about the marts that is not data (descriptions, keys, meta) comes from dbt's
`manifest.json`, so the YAML stays the one place where a column is described.

Files are written into the build folder and go live with the database in the same publish.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from scripts.publish import sha256
from scripts.settings import duckdb_limits

MARTS_SCHEMA = "marts"
DOCUMENTS_MART = "dim_documents"
# An Excel sheet has 1,048,576 rows; the CSV's header takes one
EXCEL_MAX_DATA_ROWS = 1_048_575
PARQUET_DICTIONARY = "dictionary_size_limit 2000"  # see write_parquet

FDP_VERSION = "0.3.0"
FDP_SPEC = "https://specs.frictionlessdata.io/fiscal-data-package/"
COUNTRY_CODE = "DK"
# The documents allocate funds to projects: money the region spends
DIRECTION = "expenditure"
# dim_documents' budget phases (proposed, approved, revised, actual) in the words of the
# Fiscal Data Package, which allows only these four
FDP_PHASES = {"proposed": "proposed", "approved": "approved", "revised": "adjusted", "actual": "executed"}
# Column meta `measure`: how the column's amounts relate to the currency
PUBLISHED_UNIT = "published_unit"  # in the document's unit: its currency times its unit factor
CURRENCY_UNIT = "currency_unit"  # in whole currency units
# A null is an empty cell in a CSV. frictionless reads Parquet through pyarrow and pandas,
# which turn a null in an integer column into NaN (the column becomes float64) and a null
# timestamp into NaT; frictionless takes a cell as missing when str(cell) is one of the
# field's missingValues. No Parquet integer or timestamp holds the text "nan" or "NaT", so
# these stand for null only.
MISSING_VALUES = [""]
PARQUET_MISSING_VALUES = {"integer": ["", "nan"], "datetime": ["", "NaT"]}

# DuckDB column types as Frictionless Table Schema field types
FIELD_TYPES = {
    "BIGINT": "integer",
    "INTEGER": "integer",
    "SMALLINT": "integer",
    "HUGEINT": "integer",
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "datetime",
}


class ExportError(Exception):
    """The marts cannot be described as promised (a mart without a key, an unknown phase)."""


# The dbt manifest: descriptions, keys and meta of the marts


@dataclass(frozen=True)
class ForeignKey:
    columns: list[str]
    mart: str
    mart_columns: list[str]


@dataclass(frozen=True)
class MartSpec:
    """What the dbt YAML says about one mart, as dbt rendered it into its manifest."""

    name: str
    description: str
    column_descriptions: dict[str, str]
    column_meta: dict[str, dict[str, Any]]
    required: frozenset[str]
    primary_key: list[str]
    foreign_keys: list[ForeignKey]


def clean(text: str | None) -> str:
    """A YAML folded block (`>`) ends in a newline that no reader wants in a description."""
    return (text or "").strip()


def referenced_model(to: str, models_by_relation: dict[str, str]) -> str:
    """The model a foreign key's `to` names.

    dbt 1.11 renders `to: ref('dim_pools')` as the relation, `"marts_db"."marts"."dim_pools"`;
    an unrendered `ref('...')` is read too, so the exports survive a dbt that keeps it.
    """
    if to in models_by_relation:
        return models_by_relation[to]
    match = re.fullmatch(r"""\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*""", to)
    if match:
        return match.group(1)
    raise ExportError(f"foreign key to {to!r}: no mart of that name in the manifest")


def mart_specs(manifest_path: Path) -> dict[str, MartSpec]:
    """Every published model (schema `marts`: the marts and the reports), with its descriptions, constraints and meta."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    nodes = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    marts = [node for node in nodes if node["schema"] == MARTS_SCHEMA]
    models_by_relation = {node["relation_name"]: node["name"] for node in nodes if node.get("relation_name")}
    return {node["name"]: mart_spec(node, models_by_relation) for node in marts}


def column_keys(name: str, meta: dict[str, Any]) -> list[dict[str, Any]]:
    """A column's keys declared in meta, in the shape of dbt's constraints.

    The marts as large as the input declare their keys in column meta, `primary_key: true` and
    `foreign_key: <mart>.<column>`, instead of enforced constraints, whose index DuckDB keeps
    in memory (see the header of models/marts/_marts__models.yml). The exports take both alike.
    """
    keys: list[dict[str, Any]] = []
    if meta.get("primary_key"):
        keys.append({"type": "primary_key", "columns": [name]})
    if meta.get("foreign_key"):
        mart, column = meta["foreign_key"].split(".", 1)
        keys.append({"type": "foreign_key", "columns": [name], "mart": mart, "to_columns": [column]})
    return keys


def mart_spec(node: dict[str, Any], models_by_relation: dict[str, str]) -> MartSpec:
    """A mart's YAML: a key stands in a column's constraints or meta, or on the model naming its columns."""
    columns = node["columns"]
    meta = {name: column.get("meta") or {} for name, column in columns.items()}
    constraints = [
        key
        for name, column in columns.items()
        for key in [{**constraint, "columns": [name]} for constraint in column.get("constraints", [])]
        + column_keys(name, meta[name])
    ] + list(node.get("constraints", []))

    def columns_of(kind: str) -> list[str]:
        return [name for constraint in constraints if constraint["type"] == kind for name in constraint["columns"]]

    foreign_keys = [
        ForeignKey(
            constraint["columns"],
            constraint.get("mart") or referenced_model(constraint["to"], models_by_relation),
            constraint["to_columns"],
        )
        for constraint in constraints
        if constraint["type"] == "foreign_key"
    ]
    return MartSpec(
        name=node["name"],
        description=clean(node.get("description")),
        column_descriptions={name: clean(column.get("description")) for name, column in columns.items()},
        column_meta=meta,
        required=frozenset(columns_of("not_null")),
        primary_key=columns_of("primary_key"),
        foreign_keys=foreign_keys,
    )


# The marts database


def field_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return "number"
    return FIELD_TYPES.get(duckdb_type, "string")


def relation(connection: duckdb.DuckDBPyConnection, mart: str) -> str:
    """`catalog.marts.<mart>`, so that a file named like its schema (marts.duckdb) still works."""
    (catalog,) = connection.execute("select current_database()").fetchone()
    return f'"{catalog}"."{MARTS_SCHEMA}"."{mart}"'


def mart_names(connection: duckdb.DuckDBPyConnection) -> list[str]:
    rows = connection.execute(
        """
        select table_name from information_schema.tables
        where table_catalog = current_database() and table_schema = ? order by table_name
        """,
        [MARTS_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def mart_columns(connection: duckdb.DuckDBPyConnection, mart: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of every column of `mart`, in table order."""
    return connection.execute(
        """
        select column_name, data_type from information_schema.columns
        where table_catalog = current_database() and table_schema = ? and table_name = ?
        order by ordinal_position
        """,
        [MARTS_SCHEMA, mart],
    ).fetchall()


def described_in_database(connection: duckdb.DuckDBPyConnection, spec: MartSpec) -> MartSpec:
    """The mart's spec, with the database's comment for a column the YAML does not describe: a report's
    columns that the data decides (rpt_appendix_tables' years) are described by the model's post-hook."""
    comments = connection.execute(
        "select column_name, comment from duckdb_columns()"
        " where database_name = current_database() and schema_name = ? and table_name = ?",
        [MARTS_SCHEMA, spec.name],
    ).fetchall()
    described = {name: spec.column_descriptions.get(name) or clean(comment) for name, comment in comments}
    return replace(spec, column_descriptions={**spec.column_descriptions, **described})


def row_count(connection: duckdb.DuckDBPyConnection, mart: str) -> int:
    return connection.execute(f"select count(*) from {relation(connection, mart)}").fetchone()[0]


def documents(connection: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cursor = connection.execute(
        f"""
        select document_id, issuer, document_title, document_title_en, budget_phase, currency_code,
               unit_factor, supersedes_document_id, superseded_by_document_id, is_current, source_file
        from {relation(connection, DOCUMENTS_MART)} order by document_id
        """
    )
    columns = [description[0] for description in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def fiscal_period(connection: duckdb.DuckDBPyConnection, marts: list[str]) -> dict[str, str] | None:
    """From the first day of the earliest fiscal year to the last day of the latest.

    Read from every mart's `fiscal_year_start_date`: the fiscal years are the data's, and a
    fiscal year is taken to last one year from its start (Danish regions budget by calendar
    year, so 1 January to 31 December).
    """
    with_dates = [mart for mart in marts if "fiscal_year_start_date" in dict(mart_columns(connection, mart))]
    if not with_dates:
        return None
    union = " union all ".join(
        f"select min(fiscal_year_start_date) as first, max(fiscal_year_start_date) as last "
        f"from {relation(connection, mart)}"
        for mart in with_dates
    )
    first, last = connection.execute(
        f"select min(first), cast(max(last) + interval 1 year - interval 1 day as date) from ({union})"
    ).fetchone()
    if first is None:
        return None
    return {"start": first.isoformat(), "end": last.isoformat()}


# The files


def write_parquet(connection: duckdb.DuckDBPyConnection, mart: str, path: Path) -> None:
    # A mart promises no row order (only `order by` gives one) and a Parquet reader needs none,
    # so the file is not sorted and need not keep the table's order: DuckDB's threads then write
    # row groups as they finish instead of waiting for each other's.
    connection.execute("set preserve_insertion_order = false")
    # Dictionary encoding pays for columns of few values (documents, pools, purposes), not for
    # keys and labels that differ on nearly every row; DuckDB tries it on a column until its
    # dictionary outgrows this limit. A small limit gives up early on the columns where the
    # dictionary cannot pay (docs/benchmark.md has the measurement).
    connection.execute(f"copy {relation(connection, mart)} to '{path}' (format parquet, {PARQUET_DICTIONARY})")


def write_csv(connection: duckdb.DuckDBPyConnection, mart: str, path: Path, key: list[str]) -> None:
    """A CSV is read top to bottom, in a spreadsheet or a diff: its rows come sorted by the key.

    Only marts that fit in a spreadsheet get a CSV (at most about a million rows), so the sort
    costs little; the Parquet files, written at any size, are not sorted.
    """
    connection.execute("set preserve_insertion_order = true")
    order = ", ".join(f'"{column}"' for column in key)
    connection.execute(
        f"copy (select * from {relation(connection, mart)} order by {order}) to '{path}' (format csv, header true)"
    )


# The descriptor: resources


def resource_name(mart: str, file_format: str) -> str:
    return f"{mart}_{file_format}"


def schema_field(name: str, duckdb_type: str, spec: MartSpec, file_format: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": name,
        "type": field_type(duckdb_type),
        "description": spec.column_descriptions.get(name, ""),
        "duckdb_type": duckdb_type,
    }
    if name in spec.required:
        item["constraints"] = {"required": True}
    if spec.column_meta.get(name, {}).get("additive") is False:
        item["additive"] = False  # as the YAML's meta: summing the column over rows means nothing
    if file_format == "parquet" and item["type"] in PARQUET_MISSING_VALUES:
        item["missingValues"] = PARQUET_MISSING_VALUES[item["type"]]
    return item


def foreign_keys(spec: MartSpec, file_format: str, formats_of: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Each foreign key points at the referenced mart's file of the same format.

    A CSV left out (too large) is stood in for by the same mart's Parquet file, which every
    mart has, so that no key points at a resource that is not in the package.
    """
    keys = []
    for key in spec.foreign_keys:
        target_format = file_format if file_format in formats_of[key.mart] else "parquet"
        keys.append(
            {
                "fields": key.columns,
                "reference": {"resource": resource_name(key.mart, target_format), "fields": key.mart_columns},
            }
        )
    return keys


def file_properties(path: Path) -> dict[str, Any]:
    """Size and checksum of a file, stated where frictionless checks them, and only there.

    frictionless 5 reads a CSV's bytes itself and checks `bytes` and `hash` against them. It
    reads a Parquet file through pyarrow and pandas and never sees its bytes: a Parquet
    resource with `bytes` fails validation ("byte-count ... actual is None"), and its `hash`
    is skipped without a word (a changed amount in a Parquet file validates). So a Parquet
    resource keeps the standard `hash`, true of the file and checked by other tools, and gives
    its size under `fileIntegrity`, which also says that frictionless checks neither.
    """
    size, digest = path.stat().st_size, f"sha256:{sha256(path)}"
    if path.suffix == ".csv":
        return {"bytes": size, "hash": digest}
    return {
        "hash": digest,
        "fileIntegrity": {
            "bytes": size,
            "checkedBy": (
                "sha256sum against hash; frictionless 5 reads Parquet through pandas and checks neither bytes nor hash"
            ),
        },
    }


def resource(
    path: Path, spec: MartSpec, columns: list[tuple[str, str]], rows: int, formats_of: dict[str, list[str]]
) -> dict[str, Any]:
    file_format = path.suffix.lstrip(".")
    schema: dict[str, Any] = {
        "fields": [schema_field(name, duckdb_type, spec, file_format) for name, duckdb_type in columns],
        "missingValues": MISSING_VALUES,
        "primaryKey": spec.primary_key,
    }
    keys = foreign_keys(spec, file_format, formats_of)
    if keys:
        schema["foreignKeys"] = keys
    item: dict[str, Any] = {
        "name": resource_name(spec.name, file_format),
        "profile": "tabular-data-resource",
        "title": spec.name,
        "description": spec.description,
        "path": path.name,
        "format": file_format,
        "mediatype": "text/csv" if file_format == "csv" else "application/vnd.apache.parquet",
    }
    if file_format == "csv":
        item["encoding"] = "utf-8"
        item["sortedBy"] = spec.primary_key
    item.update(file_properties(path))
    item["rows"] = rows
    item["schema"] = schema
    return item


# The descriptor: the Fiscal Data Package model


def one_or_all(values: list[Any]) -> Any:
    """One value when every document agrees on it, else all of them, sorted.

    A list is not what the Fiscal Data Package allows (one currency, factor and phase per
    measure), and it is meant to stand out: the column then mixes documents of different
    terms, whose own terms are listed under `sources`. Filter on one document_id before
    reading its amounts.
    """
    distinct = sorted(set(values), key=str)
    return distinct[0] if len(distinct) == 1 else distinct


def fdp_phase(budget_phase: str) -> str:
    if budget_phase not in FDP_PHASES:
        raise ExportError(
            f"budget phase {budget_phase!r} of marts.{DOCUMENTS_MART} has no Fiscal Data Package phase; "
            f"known: {', '.join(FDP_PHASES)}"
        )
    return FDP_PHASES[budget_phase]


def measure(
    column: str, meta: dict[str, Any], resource_item: dict[str, Any], sources: list[dict[str, Any]]
) -> dict[str, Any]:
    """One amount column, with the currency, factor, phase and direction of its own amounts.

    A `published_unit` column holds the figures as the document prints them (thousands of
    DKK for "Beløb i 1.000 kr"), so its factor is the document's unit factor; a
    `currency_unit` column is already in whole currency units, factor 1.
    """
    kind = meta["measure"]
    if kind not in (PUBLISHED_UNIT, CURRENCY_UNIT):
        raise ExportError(f"{resource_item['title']}.{column}: unknown measure kind {kind!r}")
    factors = [source["unit_factor"] if kind == PUBLISHED_UNIT else 1 for source in sources]
    item = {
        "source": column,
        "resource": resource_item["name"],
        "title": f"{resource_item['title']}.{column}",
        "currency": one_or_all([source["currency_code"] for source in sources]),
        "factor": one_or_all(factors),
        "phase": one_or_all([fdp_phase(source["budget_phase"]) for source in sources]),
        "direction": DIRECTION,
    }
    if meta.get("additive") is False:
        item["additive"] = False  # e.g. totals of overlapping scopes: never sum them over rows
    return item


def dimensions(resource_item: dict[str, Any], spec: MartSpec) -> dict[str, dict[str, Any]]:
    """The columns with meta `dimension`, one dimension per type, each column an attribute.

    The primary key of a dimension is all its attributes together: it identifies a member
    whatever the attributes' hierarchy (a line within a project), which the YAML does not say.
    """
    by_type: dict[str, list[str]] = {}
    for name in (item["name"] for item in resource_item["schema"]["fields"]):
        dimension_type = spec.column_meta.get(name, {}).get("dimension")
        if dimension_type:
            by_type.setdefault(dimension_type, []).append(name)
    return {
        f"{resource_item['name']}.{dimension_type}": {
            "dimensionType": dimension_type,
            "attributes": {name: {"source": name, "resource": resource_item["name"]} for name in names},
            "primaryKey": names,
        }
        for dimension_type, names in by_type.items()
    }


def fiscal_model(
    resources: list[dict[str, Any]], specs: dict[str, MartSpec], sources: list[dict[str, Any]]
) -> dict[str, Any]:
    """Measures and dimensions of every resource, named `<resource>.<column>` and `<resource>.<type>`.

    Each file is a resource of its own, so a tool that reads only the CSV files (as the Fiscal
    Data Package's version expects) or only the Parquet files finds its model complete.
    """
    measures: dict[str, Any] = {}
    dims: dict[str, Any] = {}
    for item in resources:
        spec = specs[item["title"]]
        for name in (column["name"] for column in item["schema"]["fields"]):
            meta = spec.column_meta.get(name, {})
            if meta.get("measure"):
                measures[f"{item['name']}.{name}"] = measure(name, meta, item, sources)
        dims.update(dimensions(item, spec))
    return {"measures": measures, "dimensions": dims}


def licenses(sources: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The source's terms, and ours for what we added. A statement of terms, not legal advice."""
    issuers = ", ".join(sorted({source["issuer"] for source in sources})) or "Danish public authorities"
    return [
        {
            "name": "DK-ophavsretsloven-9",
            "title": (
                f"The source figures, names and labels as published: official documents of {issuers}. "
                "Under the Danish Copyright Act (ophavsretsloven) § 9, laws, administrative orders, "
                "decisions and similar official documents are not protected by copyright. "
                "This states the source's terms as we read them; it is not legal advice."
            ),
        },
        {
            "name": "CC-BY-4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
            "title": (
                "Creative Commons Attribution 4.0, for this project's additions: codes and keys, "
                "English names and descriptions, the computed totals and the reconciliation."
            ),
        },
    ]


def package_sources(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "title": source["document_title"],
            "title_en": source["document_title_en"],
            "document_id": source["document_id"],
            "issuer": source["issuer"],
            "path": source["source_file"],
            "currency": source["currency_code"],
            "unit_factor": source["unit_factor"],
            "budget_phase": source["budget_phase"],
            "supersedes": source["supersedes_document_id"],
            "superseded_by": source["superseded_by_document_id"],
            "is_current": source["is_current"],
        }
        for source in sources
    ]


def descriptor(
    sources: list[dict[str, Any]],
    resources: list[dict[str, Any]],
    specs: dict[str, MartSpec],
    period: dict[str, str] | None,
    csv_left_out: list[dict[str, Any]],
) -> dict[str, Any]:
    package: dict[str, Any] = {
        "name": "funding-warehouse",
        "title": "Funding warehouse marts",
        "description": "Allocations of public-budget appendices, reconciled against every published total.",
        # frictionless checks a descriptor offline against the profiles it ships: the Tabular
        # Data Package's. "fiscal-data-package" makes it fetch a JSON Schema from the web, so
        # the Fiscal Data Package the content follows is named beside it.
        "profile": "tabular-data-package",
        "fiscalDataPackage": {"version": FDP_VERSION, "specification": FDP_SPEC},
        "countryCode": COUNTRY_CODE,
        "granularity": "aggregated",
        "licenses": licenses(sources),
        "sources": package_sources(sources),
    }
    if period:
        package["fiscalPeriod"] = period
    package["model"] = fiscal_model(resources, specs, sources)
    package["resources"] = resources
    package["csv_left_out"] = csv_left_out
    return package


# The export


def checked_specs(specs: dict[str, MartSpec], marts: list[str]) -> dict[str, MartSpec]:
    """The manifest must describe every mart in the database, each with a primary key."""
    missing = [mart for mart in marts if mart not in specs]
    if missing:
        raise ExportError(f"marts not in dbt's manifest (a stale manifest?): {', '.join(missing)}")
    keyless = [mart for mart in marts if not specs[mart].primary_key]
    if keyless:
        raise ExportError(f"marts without a primary key constraint in the YAML: {', '.join(keyless)}")
    return specs


def export_mart(
    connection: duckdb.DuckDBPyConnection,
    spec: MartSpec,
    exports_dir: Path,
    rows: int,
    formats_of: dict[str, list[str]],
) -> list[dict[str, Any]]:
    """Write one mart's files (Parquet, and CSV when it fits a spreadsheet); return their resources."""
    paths = [exports_dir / f"{spec.name}.{file_format}" for file_format in formats_of[spec.name]]
    for path in paths:
        if path.suffix == ".parquet":
            write_parquet(connection, spec.name, path)
        else:
            write_csv(connection, spec.name, path, spec.primary_key)
    columns = mart_columns(connection, spec.name)
    return [resource(path, spec, columns, rows, formats_of) for path in paths]


def export_marts(
    marts_database: Path, exports_dir: Path, manifest_path: Path, csv_max_rows: int = EXCEL_MAX_DATA_ROWS
) -> dict:
    """Write the exports of the built `marts_database` into `exports_dir`; return the descriptor.

    Every mart gets a Parquet file; a CSV too when it has at most `csv_max_rows` rows.
    `manifest_path` is the `manifest.json` of the dbt run that built the marts.
    """
    exports_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(marts_database), read_only=True, config=duckdb_limits()) as connection:
        marts = mart_names(connection)
        specs = {
            mart: described_in_database(connection, spec)
            for mart, spec in checked_specs(mart_specs(manifest_path), marts).items()
        }
        counts = {mart: row_count(connection, mart) for mart in marts}
        formats_of = {mart: ["parquet"] + (["csv"] if counts[mart] <= csv_max_rows else []) for mart in marts}
        resources = [
            item
            for mart in marts
            for item in export_mart(connection, specs[mart], exports_dir, counts[mart], formats_of)
        ]
        csv_left_out = [
            {
                "mart": mart,
                "rows": counts[mart],
                "reason": f"more than {csv_max_rows:,} rows, more than a spreadsheet holds; read {mart}.parquet",
            }
            for mart in marts
            if "csv" not in formats_of[mart]
        ]
        period = fiscal_period(connection, marts)
        package = descriptor(documents(connection), resources, specs, period, csv_left_out)
    text = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    (exports_dir / "datapackage.json").write_text(text, encoding="utf-8")
    return package
