"""Great Expectations: an independent second check of the marts.

dbt's tests reconcile the marts with SQL inside the build. This suite checks the built file
from outside, through a read-only DuckDB connection, against figures read straight from the
input files (the seed CSVs, or the Parquet/CSV files of a large run): the published totals, the
pools and the fiscal years. It shares no code with the dbt models, so a mistake in one is
caught by the other.

The marts can hold tens of millions of rows, so nothing row-sized reaches pandas: DuckDB
computes aggregates (sums per pool and year, a profile of the amounts) and GX validates those
small frames. GX's own SQL data source fails on DuckDB (GX issue #11579), hence pandas.

Importing GX takes about 3 s of one core, longer than the validation itself. The pipeline
therefore runs the suite in a child process (`ValidatorProcess`) that it starts before dbt: the
child imports GX on the second core while dbt imports and parses on the first, then waits for
the one request it serves.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pandas as pd

from scripts.duckdb_settings import duckdb_limits
from scripts.seed_check import read_seed_records

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

PROJECT_DIR = Path(__file__).resolve().parent.parent
OUTCOME_PREFIX = "validation outcome: "  # how the child marks its answer on stdout

WHOLE_NUMBER_TYPES = ["BIGINT", "INTEGER", "HUGEINT", "SMALLINT"]
INPUT_TABLES = ["pools", "amounts", "published_totals"]


@dataclass
class ValidationOutcome:
    success: bool
    evaluated: int
    successful: int
    failures: list[str]
    result_path: Path

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "result_path": str(self.result_path)})

    @classmethod
    def from_json(cls, text: str) -> ValidationOutcome:
        fields = json.loads(text)
        return cls(**{**fields, "result_path": Path(fields["result_path"])})


@dataclass(frozen=True)
class Inputs:
    """Where the run's input tables are: seed CSVs, or files read in place."""

    directory: Path
    file_format: str = "seeds"  # seeds, parquet or csv

    def attach(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Make each input table queryable as `input_<table>`, with the seeds' column names."""
        for table in INPUT_TABLES:
            if self.file_format == "seeds":
                frame = pd.DataFrame(read_seed_records(self.directory / f"{table}.csv"))
                connection.register(f"input_{table}_text", frame)
                relation = f"input_{table}_text"
            elif self.file_format == "csv":
                relation = f"read_csv('{self.directory / f'{table}.csv'}', header = true, all_varchar = true)"
            else:
                relation = f"read_parquet('{self.directory / f'{table}.parquet'}')"
            connection.execute(f"create or replace temp view input_{table} as select * from {relation}")


PUBLISHED = """
    select
        trim(document_id) as document_id,
        trim(total_scope) as total_scope,
        trim(pool_code) as pool_code,
        nullif(trim(cast(line_code as varchar)), '') as line_code,
        cast(nullif(trim(cast(fiscal_year as varchar)), '') as integer) as fiscal_year,
        cast(trim(cast(amount_tdkk as varchar)) as bigint) as published
    from input_published_totals
"""

PROFILE = """
    select
        (select count(*) from marts.fct_allocations) as row_count,
        (select count(*) from input_amounts) as input_row_count,
        (select count(*) from marts.fct_allocations where amount_tdkk is null) as null_amounts,
        (select min(amount_tdkk) from marts.fct_allocations) as min_amount_tdkk,
        (select data_type from information_schema.columns
            where table_schema = 'marts' and table_name = 'fct_allocations' and column_name = 'amount_tdkk') as amount_type
"""

RECOMPUTED_POOL_SUMS = """
    create or replace temp table recomputed_pool_sums as
    select document_id, pool_code, sum(amount_tdkk) as recomputed
    from marts.fct_allocations group by all
"""

# The published line totals of each pool, added up, against the pool's sum recomputed from the
# allocations. Cheap at any size (one row per pool), and it fails when an amount or a published
# line total changes, unless another change in the same pool cancels it exactly; dbt's
# reconciliation compares every line one by one.
LINE_TOTALS_BY_POOL = """
    with published_lines as (
        select document_id, pool_code, sum(published) as published_line_sum
        from ({published}) where total_scope = 'line' group by all
    ),
    recomputed as (select * from recomputed_pool_sums)
    select
        coalesce(published_lines.document_id, recomputed.document_id) as document_id,
        coalesce(published_lines.pool_code, recomputed.pool_code) as pool_code,
        published_lines.published_line_sum,
        recomputed.recomputed
    from published_lines
    full outer join recomputed
        on published_lines.document_id = recomputed.document_id
        and published_lines.pool_code = recomputed.pool_code
"""

POOL_TOTALS = """
    with published as (select * from ({published}) where total_scope in ('pool_year', 'pool')),
    allocations as (select * from marts.fct_allocations),
    recomputed as (
        select document_id, 'pool_year' as total_scope, pool_code, fiscal_year, sum(amount_tdkk) as recomputed
        from allocations group by all
        union all
        select document_id, 'pool', pool_code, null, recomputed
        from recomputed_pool_sums
    ),
    pool_year_mart as (
        select document_id, 'pool_year' as total_scope, pool_code, fiscal_year, amount_tdkk as mart_amount
        from marts.fct_pool_year_totals
    )
    select
        coalesce(published.document_id, recomputed.document_id) as document_id,
        coalesce(published.total_scope, recomputed.total_scope) as total_scope,
        coalesce(published.pool_code, recomputed.pool_code) as pool_code,
        coalesce(published.fiscal_year, recomputed.fiscal_year) as fiscal_year,
        published.published,
        recomputed.recomputed,
        coalesce(pool_year_mart.mart_amount, recomputed.recomputed) as mart_amount
    from published
    full outer join recomputed
        on published.document_id = recomputed.document_id
        and published.total_scope = recomputed.total_scope
        and published.pool_code = recomputed.pool_code
        and published.fiscal_year is not distinct from recomputed.fiscal_year
    left join pool_year_mart
        on pool_year_mart.document_id = coalesce(published.document_id, recomputed.document_id)
        and pool_year_mart.pool_code = coalesce(published.pool_code, recomputed.pool_code)
        and pool_year_mart.fiscal_year = coalesce(published.fiscal_year, recomputed.fiscal_year)
        and coalesce(published.total_scope, recomputed.total_scope) = 'pool_year'
"""

YEARS = """
    with published_years as (
        select document_id, fiscal_year, sum(published) as published
        from ({published}) where total_scope = 'pool_year' group by all
    )
    select
        coalesce(published_years.document_id, mart.document_id) as document_id,
        coalesce(published_years.fiscal_year, mart.fiscal_year) as fiscal_year,
        published_years.published,
        mart.amount_tdkk
    from published_years
    full outer join marts.fct_year_totals as mart
        on published_years.document_id = mart.document_id and published_years.fiscal_year = mart.fiscal_year
"""


def expected_sets(connection: duckdb.DuckDBPyConnection) -> tuple[list[str], list[int]]:
    """The pools and fiscal years the inputs publish."""
    pools = [
        code for (code,) in connection.execute("select distinct trim(pool_code) from input_pools order by 1").fetchall()
    ]
    years = [
        year
        for (year,) in connection.execute(
            f"select distinct fiscal_year from ({PUBLISHED}) where fiscal_year is not null order by 1"
        ).fetchall()
    ]
    return pools, years


def aggregate_frames(connection: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    def frame(sql: str) -> pd.DataFrame:
        return connection.execute(sql.format(published=PUBLISHED)).df()

    # each pool's sum, which two of the frames compare: one scan of the allocations, not two
    connection.execute(RECOMPUTED_POOL_SUMS)

    return {
        "allocation_profile": frame(PROFILE),
        "line_totals_by_pool": frame(LINE_TOTALS_BY_POOL),
        "fiscal_years": frame("select distinct fiscal_year from marts.fct_allocations"),
        "pool_codes": frame("select distinct pool_code from marts.fct_allocations"),
        "pool_totals_against_published": frame(POOL_TOTALS),
        "year_totals_against_published": frame(YEARS),
    }


def build_suites(pools: list[str], years: list[int]):
    """The expectations, per frame; every expected value comes from the inputs."""
    import great_expectations as gx

    expect = gx.expectations
    return {
        "allocation_profile": [
            expect.ExpectColumnPairValuesToBeEqual(column_A="row_count", column_B="input_row_count"),
            expect.ExpectColumnValuesToBeBetween(column="null_amounts", min_value=0, max_value=0),
            expect.ExpectColumnValuesToBeBetween(column="min_amount_tdkk", min_value=0),
            expect.ExpectColumnValuesToBeInSet(column="amount_type", value_set=WHOLE_NUMBER_TYPES),
        ],
        "line_totals_by_pool": [
            expect.ExpectColumnValuesToNotBeNull(column="published_line_sum"),
            expect.ExpectColumnValuesToNotBeNull(column="recomputed"),
            expect.ExpectColumnPairValuesToBeEqual(column_A="recomputed", column_B="published_line_sum"),
        ],
        "fiscal_years": [expect.ExpectColumnDistinctValuesToEqualSet(column="fiscal_year", value_set=years)],
        "pool_codes": [expect.ExpectColumnValuesToBeInSet(column="pool_code", value_set=pools)],
        "pool_totals_against_published": [
            expect.ExpectColumnValuesToNotBeNull(column="published"),
            expect.ExpectColumnValuesToNotBeNull(column="recomputed"),
            expect.ExpectColumnPairValuesToBeEqual(column_A="recomputed", column_B="published"),
            expect.ExpectColumnPairValuesToBeEqual(column_A="mart_amount", column_B="published"),
        ],
        "year_totals_against_published": [
            expect.ExpectColumnValuesToNotBeNull(column="published"),
            expect.ExpectColumnValuesToNotBeNull(column="amount_tdkk"),
            expect.ExpectColumnPairValuesToBeEqual(column_A="amount_tdkk", column_B="published"),
        ],
    }


def describe_failure(frame_name: str, result) -> str:
    config = result.expectation_config
    kwargs = {key: value for key, value in config.kwargs.items() if key != "batch_id"}
    observed = result.result.get("partial_unexpected_list") or result.result.get("observed_value")
    return f"{frame_name}: {config.type} {kwargs} failed; observed {observed}"


def validate_marts(warehouse_path: Path, inputs: Inputs, result_path: Path) -> ValidationOutcome:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    with duckdb.connect(str(warehouse_path), read_only=True, config=duckdb_limits()) as connection:
        inputs.attach(connection)
        pools, years = expected_sets(connection)
        frames = aggregate_frames(connection)

    # GX pins this module's logger to INFO and announces a temporary docs folder on every context
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    data_source = context.data_sources.add_pandas("warehouse")
    report, failures, evaluated, successful = {}, [], 0, 0
    for frame_name, expectations in build_suites(pools, years).items():
        batch = (
            data_source.add_dataframe_asset(name=frame_name)
            .add_batch_definition_whole_dataframe(frame_name)
            .get_batch(batch_parameters={"dataframe": frames[frame_name]})
        )
        result = batch.validate(
            gx.ExpectationSuite(name=f"{frame_name}_suite", expectations=expectations), result_format="SUMMARY"
        )
        report[frame_name] = result.to_json_dict()
        for expectation_result in result.results:
            evaluated += 1
            if expectation_result.success:
                successful += 1
            else:
                failures.append(describe_failure(frame_name, expectation_result))

    result_path.parent.mkdir(parents=True, exist_ok=True)
    result_path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return ValidationOutcome(not failures, evaluated, successful, failures, result_path)


class ValidatorProcess:
    """The suite in a child process, started early so that GX's import overlaps other work.

    `start` launches the child, which imports GX and waits; `validate` sends it its one
    request and returns its outcome. `close` (or leaving a `with` block) stops the child at
    once, whether it has answered or, as when a run is rejected before the validation, was
    never asked. The child's peak memory counts toward the pipeline's (see `--timings-json` in
    `scripts/pipeline.py`).
    """

    def __init__(self) -> None:
        self._child: subprocess.Popen | None = None

    def start(self) -> None:
        # a session of its own: Ctrl-C in the terminal interrupts the run, which stops this
        # child itself (`close`), instead of the child printing its own traceback
        self._child = subprocess.Popen(
            [sys.executable, "-m", "scripts.gx_validate", "--serve"],
            cwd=PROJECT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def validate(self, warehouse_path: Path, inputs: Inputs, result_path: Path) -> ValidationOutcome:
        if self._child is None:
            self.start()
        request = {
            "warehouse": str(warehouse_path),
            "inputs": {"directory": str(inputs.directory), "file_format": inputs.file_format},
            "result": str(result_path),
        }
        try:
            self._child.stdin.write(json.dumps(request) + "\n")
            self._child.stdin.flush()
        except OSError:  # the child has died already (BrokenPipeError): say so below
            pass
        else:
            # the answer is one line; reading it, not waiting for the child to end, spares
            # the interpreter's slow exit with GX loaded
            for line in self._child.stdout:
                if line.startswith(OUTCOME_PREFIX):
                    return ValidationOutcome.from_json(line.removeprefix(OUTCOME_PREFIX))
                sys.stderr.write(line)  # anything else the child printed
        raise RuntimeError(
            f"the Great Expectations process stopped with exit code {self._child.wait()}"
            " before it answered; its error is printed above"
        )

    def close(self) -> None:
        """Stop the child: it has answered, or will not be asked."""
        if self._child is not None:
            self._child.kill()
            self._child.wait()
            for pipe in (self._child.stdin, self._child.stdout):
                with contextlib.suppress(OSError):  # a request it never read
                    pipe.close()

    def __enter__(self) -> ValidatorProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def serve() -> int:
    """The child's side: import GX, then answer one request read from stdin on stdout."""
    import great_expectations  # noqa: F401  the import this process exists to do early

    line = sys.stdin.readline()
    if not line:
        return 0
    request = json.loads(line)
    inputs = Inputs(Path(request["inputs"]["directory"]), request["inputs"]["file_format"])
    outcome = validate_marts(Path(request["warehouse"]), inputs, Path(request["result"]))
    print(OUTCOME_PREFIX + outcome.to_json(), flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["--serve"]:
        sys.exit("usage: python -m scripts.gx_validate --serve  (the pipeline starts it; see ValidatorProcess)")
    sys.exit(serve())
