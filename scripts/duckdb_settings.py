"""Settings for the DuckDB connections the pipeline opens itself, beside dbt's own."""

from __future__ import annotations

import os


def duckdb_limits() -> dict[str, str]:
    """The same memory limit as dbt's connection (profiles.yml): DUCKDB_MEMORY_LIMIT, default 3GB."""
    return {"memory_limit": os.environ.get("DUCKDB_MEMORY_LIMIT", "3GB")}
