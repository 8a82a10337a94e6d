"""The independent second check of the marts, in two parts.

dbt's tests reconcile the marts with SQL inside the build. This check reads the built file from
outside, through a read-only DuckDB connection, and compares it with figures read straight from
the input files (the seed CSVs, or the Parquet/CSV files of a large run): the published totals,
the pools and the fiscal years. It shares no code with the dbt models, so a mistake in one is
caught by the other.

- `checks.py`: the queries. Plain DuckDB SQL over the marts and the inputs, giving small
  tables (sums per pool and year, a profile of the amounts) and the pools and years the inputs
  define. No Great Expectations.
- `suite.py`: the Great Expectations suite that asserts on those tables, and writes GX's
  result.
- `process.py`: how the pipeline runs the suite, in a process of its own started before dbt.

`ValidationOutcome`, what a validation found, is defined here, where the pipeline can read it
without importing Great Expectations.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class ValidationOutcome:
    success: bool
    evaluated: int
    successful: int
    failures: list[str]  # one sentence per expectation not met
    result_path: Path  # GX's full result, as JSON

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "result_path": str(self.result_path)})

    @classmethod
    def from_json(cls, text: str) -> ValidationOutcome:
        fields = json.loads(text)
        return cls(**{**fields, "result_path": Path(fields["result_path"])})
