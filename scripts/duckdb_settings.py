"""The DuckDB settings moved to scripts/settings.py; this name stays only until scripts/gx_validate.py,
being moved to scripts/validation/, no longer imports it."""

from scripts.settings import duckdb_limits

__all__ = ["duckdb_limits"]
