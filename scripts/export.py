"""Write every mart as Parquet and CSV, with a `datapackage.json` that describes them.

CSV is for spreadsheets, so a mart with more rows than an Excel sheet holds gets Parquet only
(at ten million budget lines, writing CSVs nobody can open took most of the export's time);
the descriptor lists each CSV it left out and why.

The descriptor follows the Frictionless Data Package, in the spirit of its Fiscal Data
Package profile: each resource's schema, row count, size and checksum, and the documents'
currency, unit factor and budget phase. Files are written into the build folder and go live
with the database in the same publish.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from scripts.duckdb_settings import duckdb_limits

MARTS_SCHEMA = "marts"
# An Excel sheet has 1,048,576 rows; the CSV's header takes one
EXCEL_MAX_DATA_ROWS = 1_048_575
DOCUMENTS_MODEL = "staging.stg_appendix__documents"
PARQUET_DICTIONARY = "dictionary_size_limit 2000"  # see write_mart_files

# DuckDB column types as Frictionless Table Schema field types
FIELD_TYPES = {
    "BIGINT": "integer", "INTEGER": "integer", "SMALLINT": "integer", "HUGEINT": "integer",
    "VARCHAR": "string", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "datetime",
}


def field_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return "number"
    return FIELD_TYPES.get(duckdb_type, "string")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mart_names(connection: duckdb.DuckDBPyConnection) -> list[str]:
    rows = connection.execute(
        "select table_name from information_schema.tables where table_schema = ? order by table_name",
        [MARTS_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def mart_fields(connection: duckdb.DuckDBPyConnection, mart: str) -> list[dict]:
    rows = connection.execute(
        """
        select column_name, data_type from information_schema.columns
        where table_schema = ? and table_name = ? order by ordinal_position
        """,
        [MARTS_SCHEMA, mart],
    ).fetchall()
    return [{"name": name, "type": field_type(data_type), "duckdb_type": data_type} for name, data_type in rows]


def documents(connection: duckdb.DuckDBPyConnection) -> list[dict]:
    cursor = connection.execute(
        f"""
        select document_id, issuer, document_title, currency_code, unit_factor, budget_phase, source_file,
               supersedes_document_id
        from {DOCUMENTS_MODEL} order by document_id
        """
    )
    columns = [description[0] for description in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def write_mart_files(
    connection: duckdb.DuckDBPyConnection, mart: str, exports_dir: Path, with_csv: bool
) -> list[Path]:
    parquet, csv = exports_dir / f"{mart}.parquet", exports_dir / f"{mart}.csv"
    # A mart promises no row order (as in SQL, only `order by` gives one), so a Parquet file
    # need not keep the table's: letting DuckDB's threads write row groups as they finish saves
    # about 2 of 22 s of export at ten million lines. A CSV, read top to bottom in a
    # spreadsheet, keeps it.
    connection.execute("set preserve_insertion_order = false")
    # Dictionary encoding pays for columns of few values (documents, pools, purposes), not for
    # keys and labels that differ on nearly every row; DuckDB tries it on a column until its
    # dictionary outgrows this limit. At ten million lines, 2,000 entries rather than DuckDB's
    # default took the fact table's file from 8.2 to 6.3 s, and from 447 to 486 MiB.
    connection.execute(f"copy {MARTS_SCHEMA}.{mart} to '{parquet}' (format parquet, {PARQUET_DICTIONARY})")
    if not with_csv:
        return [parquet]
    connection.execute("set preserve_insertion_order = true")
    connection.execute(f"copy {MARTS_SCHEMA}.{mart} to '{csv}' (format csv, header true)")
    return [parquet, csv]


def resource(path: Path, mart: str, fields: list[dict], row_count: int) -> dict:
    return {
        "name": f"{mart}_{path.suffix.lstrip('.')}",
        "path": path.name,
        "format": path.suffix.lstrip("."),
        "mediatype": "text/csv" if path.suffix == ".csv" else "application/vnd.apache.parquet",
        "encoding": "utf-8" if path.suffix == ".csv" else None,
        "bytes": path.stat().st_size,
        "hash": f"sha256:{sha256(path)}",
        "count_of_rows": row_count,
        "schema": {"fields": fields},
    }


def descriptor(sources: list[dict], resources: list[dict], csv_left_out: list[dict]) -> dict:
    currencies = sorted({source["currency_code"] for source in sources})
    factors = sorted({source["unit_factor"] for source in sources})
    return {
        "name": "funding-warehouse",
        "title": "Funding warehouse marts",
        "profile": "data-package",
        "description": "Allocations of public-budget appendices, reconciled against every published total.",
        # Fiscal Data Package terms; one value when every document agrees, else a list
        "currency": currencies[0] if len(currencies) == 1 else currencies,
        "unit_factor": factors[0] if len(factors) == 1 else factors,
        "budget_phases": sorted({source["budget_phase"] for source in sources}),
        "sources": [
            {
                "title": source["document_title"],
                "document_id": source["document_id"],
                "issuer": source["issuer"],
                "path": source["source_file"],
                "currency": source["currency_code"],
                "unit_factor": source["unit_factor"],
                "budget_phase": source["budget_phase"],
                "supersedes": source["supersedes_document_id"],
            }
            for source in sources
        ],
        "resources": [{key: value for key, value in item.items() if value is not None} for item in resources],
        "csv_left_out": csv_left_out,
    }


def export_marts(database: Path, exports_dir: Path, csv_max_rows: int = EXCEL_MAX_DATA_ROWS) -> dict:
    """Write the exports of the built `database` into `exports_dir`; return the descriptor.

    Every mart gets a Parquet file; a CSV too when it has at most `csv_max_rows` rows.
    """
    exports_dir.mkdir(parents=True, exist_ok=True)
    resources, csv_left_out = [], []
    with duckdb.connect(str(database), read_only=True, config=duckdb_limits()) as connection:
        for mart in mart_names(connection):
            fields = mart_fields(connection, mart)
            (row_count,) = connection.execute(f"select count(*) from {MARTS_SCHEMA}.{mart}").fetchone()
            with_csv = row_count <= csv_max_rows
            if not with_csv:
                csv_left_out.append({
                    "mart": mart,
                    "count_of_rows": row_count,
                    "reason": f"more than {csv_max_rows:,} rows, more than a spreadsheet holds; read {mart}.parquet",
                })
            for path in write_mart_files(connection, mart, exports_dir, with_csv):
                resources.append(resource(path, mart, fields, row_count))
        package = descriptor(documents(connection), resources, csv_left_out)
    (exports_dir / "datapackage.json").write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return package
