"""Write synthetic appendices: the seeds' six tables at any size, deterministic from a seed.

    python -m scripts generate OUT_DIR --lines 100000 --seed 7 --wrong-totals 3

Many documents, each with its pools, projects (one or two budget lines each), lines and
years, and published totals that add up: every line's total, every pool's yearly and grand
total. `--wrong-totals N` then changes N published totals, chosen by the seed, by one unit,
and lists them in `injected_errors.json`, so that a run can prove the reconciliation catches
each of them. The tables are generated inside DuckDB, so ten million lines take seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scripts.settings import INPUT_TABLES

if TYPE_CHECKING:
    import duckdb

INJECTED_ERRORS = "injected_errors.json"
SPENDING_PURPOSES = ["tender_preparation", "software_development", "infrastructure_purchase", "consolidation"]


@dataclass(frozen=True)
class Shape:
    lines: int
    seed: int = 1
    years: int = 2
    first_year: int = 2022
    pools_per_document: int = 3
    lines_per_document: int = 50_000
    wrong_totals: int = 0

    @property
    def documents(self) -> int:
        return max(1, -(-self.lines // self.lines_per_document))


def build_tables(connection: duckdb.DuckDBPyConnection, shape: Shape) -> None:
    """Create the six tables in `connection`, with published totals that add up."""
    parameters = {
        "lines": shape.lines,
        "seed": shape.seed,
        "years": shape.years,
        "first_year": shape.first_year,
        "pools": shape.pools_per_document,
        "documents": shape.documents,
    }
    connection.execute(
        """
        create or replace table budget_lines as
        select
            'doc-' || lpad(cast((line_number // 2) % $documents as varchar), 5, '0') as document_id,
            'L' || line_number as line_code,
            'P' || (line_number // 2) as project_code,
            'Synthetic budget line ' || line_number as line_label,
            cast(line_number // $documents as integer) as line_order,
            cast(line_number + 1 as integer) as source_line
        from range($lines) as lines(line_number)
        """,
        parameters_subset(parameters, "documents", "lines"),
    )
    connection.execute(
        """
        create or replace table projects as
        select
            document_id,
            project_code,
            'POOL' || (hash(project_code, $seed) % $pools) as pool_code,
            'Synthetic project ' || project_code as project_name,
            'A generated project for benchmarks and tests' as description_en,
            list_extract($purposes, cast(hash(project_code, $seed + 1) % 4 as integer) + 1) as spending_purpose
        from (select distinct document_id, project_code from budget_lines)
        """,
        parameters_subset(parameters, "seed", "pools") | {"purposes": SPENDING_PURPOSES},
    )
    connection.execute(
        """
        create or replace table pools as
        select
            document_id,
            'POOL' || pool_number as pool_code,
            'Pulje ' || pool_number as pool_name,
            'Pool ' || pool_number as pool_name_en,
            'Synthetic collaboration ' || pool_number as collaboration,
            cast(pool_number + 1 as integer) as source_line
        from (select distinct document_id from budget_lines), range($pools) as pools(pool_number)
        """,
        parameters_subset(parameters, "pools"),
    )
    connection.execute(
        """
        create or replace table documents as
        select
            document_id,
            'Synthetic region' as issuer,
            'Syntetisk bilag ' || document_id as title,
            'Synthetic appendix ' || document_id as title_en,
            'DKK' as currency,
            1000 as unit_factor,
            'proposed' as budget_phase,
            'generated/' || document_id || '.txt' as source_file,
            cast(null as varchar) as supersedes_document_id
        from (select distinct document_id from budget_lines)
        """
    )
    connection.execute(
        """
        create or replace table amounts as
        select
            budget_lines.document_id,
            budget_lines.line_code,
            cast($first_year + year_offset as integer) as fiscal_year,
            -- about one amount in five is 0, as in the real appendix
            cast(case when hash(budget_lines.line_code, year_offset, $seed) % 5 = 0 then 0
                      else hash(budget_lines.line_code, year_offset, $seed + 2) % 20000 end as bigint) as amount_tdkk,
            budget_lines.source_line
        from budget_lines, range($years) as years(year_offset)
        """,
        parameters_subset(parameters, "first_year", "years", "seed"),
    )
    connection.execute(
        """
        create or replace table published_totals as
        with allocations as (
            select amounts.*, projects.pool_code
            from amounts
            join budget_lines using (document_id, line_code)
            join projects using (document_id, project_code)
        )
        select document_id, 'line' as total_scope, pool_code, line_code, cast(null as integer) as fiscal_year,
               'Synthetic budget line total' as label_as_published, cast(sum(amount_tdkk) as bigint) as amount_tdkk,
               cast(min(source_line) as integer) as source_line
        from allocations group by document_id, pool_code, line_code
        union all
        select document_id, 'pool_year', pool_code, null, fiscal_year, pool_code || ' i alt',
               cast(sum(amount_tdkk) as bigint), cast(0 as integer)
        from allocations group by document_id, pool_code, fiscal_year
        union all
        select document_id, 'pool', pool_code, null, null, pool_code || ' i alt',
               cast(sum(amount_tdkk) as bigint), cast(0 as integer)
        from allocations group by document_id, pool_code
        """
    )


def parameters_subset(parameters: dict, *names: str) -> dict:
    return {name: parameters[name] for name in names}


def inject_wrong_totals(connection: duckdb.DuckDBPyConnection, shape: Shape) -> list[dict]:
    """Add one to `shape.wrong_totals` published totals, spread over the three scopes; return them.

    Which totals is decided by the seed: within each scope, those first in hash order.
    """
    if shape.wrong_totals == 0:
        return []
    scopes = ["line", "pool_year", "pool"]
    per_scope = {
        scope: shape.wrong_totals // 3 + (index < shape.wrong_totals % 3) for index, scope in enumerate(scopes)
    }
    connection.execute(
        """
        create temp table wrong as
        select * from (
            select
                document_id, total_scope, pool_code, line_code, fiscal_year, amount_tdkk,
                row_number() over (
                    partition by total_scope
                    order by hash(document_id, total_scope, pool_code, line_code, fiscal_year, $seed)
                ) as pick
            from published_totals
        )
        where pick <= case total_scope when 'line' then $line when 'pool_year' then $pool_year else $pool end
        """,
        {"seed": shape.seed, "line": per_scope["line"], "pool_year": per_scope["pool_year"], "pool": per_scope["pool"]},
    )
    connection.execute(
        """
        update published_totals set amount_tdkk = published_totals.amount_tdkk + 1
        from wrong
        where published_totals.document_id = wrong.document_id
            and published_totals.total_scope = wrong.total_scope
            and published_totals.pool_code = wrong.pool_code
            and published_totals.line_code is not distinct from wrong.line_code
            and published_totals.fiscal_year is not distinct from wrong.fiscal_year
        """
    )
    rows = connection.execute(
        "select document_id, total_scope, pool_code, line_code, fiscal_year, amount_tdkk from wrong order by all"
    ).fetchall()
    return [
        {
            "document_id": document_id,
            "total_scope": scope,
            "pool_code": pool_code,
            "line_code": line_code,
            "fiscal_year": fiscal_year,
            "correct_tdkk": amount,
            "published_tdkk": amount + 1,
        }
        for document_id, scope, pool_code, line_code, fiscal_year, amount in rows
    ]


def generate(out_dir: Path, shape: Shape, file_format: str = "parquet") -> list[dict]:
    """Write the six tables into `out_dir` as Parquet or CSV; return the injected errors."""
    import duckdb  # here: the command line reads Shape's defaults without loading DuckDB

    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        build_tables(connection, shape)
        errors = inject_wrong_totals(connection, shape)
        for table in INPUT_TABLES:
            options = "format parquet" if file_format == "parquet" else "format csv, header true"
            # sorted, so that the same seed and size give the same bytes
            connection.execute(
                f"copy (from {table} order by all) to '{out_dir / f'{table}.{file_format}'}' ({options})"
            )
    (out_dir / INJECTED_ERRORS).write_text(json.dumps(errors, indent=2) + "\n", encoding="utf-8")
    return errors


def write_wrong_variant(clean_dir: Path, wrong_dir: Path, shape: Shape) -> list[dict]:
    """A copy of a generated input whose published totals carry `shape.wrong_totals` errors.

    Only published_totals is rewritten; the other tables are linked, so a large input is not
    generated twice.
    """
    import duckdb

    wrong_dir.mkdir(parents=True, exist_ok=True)
    for table in INPUT_TABLES:
        if table != "published_totals":
            link = wrong_dir / f"{table}.parquet"
            link.unlink(missing_ok=True)
            link.symlink_to(clean_dir / f"{table}.parquet")
    with duckdb.connect() as connection:
        connection.execute(
            f"create table published_totals as from read_parquet('{clean_dir / 'published_totals.parquet'}')"
        )
        errors = inject_wrong_totals(connection, shape)
        connection.execute(
            f"copy (from published_totals order by all) to '{wrong_dir / 'published_totals.parquet'}' (format parquet)"
        )
    (wrong_dir / INJECTED_ERRORS).write_text(json.dumps(errors, indent=2) + "\n", encoding="utf-8")
    return errors


def main(out_dir: Path, shape: Shape, file_format: str = "parquet", wrong_variant_of: Path | None = None) -> int:
    """`python -m scripts generate`: write the tables, or a wrong variant of tables written before."""
    if wrong_variant_of:
        errors = write_wrong_variant(wrong_variant_of.resolve(), out_dir, shape)
        print(f"Wrote {out_dir}: {wrong_variant_of} with {len(errors)} wrong totals")
        return 0
    errors = generate(out_dir, shape, file_format)
    print(f"Wrote {shape.lines} lines in {shape.documents} documents to {out_dir} ({len(errors)} wrong totals)")
    return 0
