"""Keep profiles.yml's `spark.sql.ansi.enabled` in force under dbt-spark 1.11.

dbt-spark 1.11 sets `spark.sql.ansi.enabled` to "false" in every Spark profile, after reading
the profile's `server_side_parameters` (SparkCredentials.__post_init__, "to ensure compatibility
with Spark v3 and v4"), and the session method applies the parameters to the session before
every statement. Without ANSI mode Spark turns an overflowing decimal sum into NULL, wraps an
overflowing bigint sum around, and casts malformed text to NULL: a wrong total without a word.

`keep_profile_ansi_mode()` wraps that method so that the value the profile writes survives. It is
applied by every part of the project that runs dbt on Spark (scripts/spark/build.py); a build that
runs without it fails at its start (macros/engines/spark/assert_engine_settings.sql), so ANSI
mode is never silently off. Remove it when dbt-spark leaves the profile's value alone.
"""

from __future__ import annotations

import functools

ANSI = "spark.sql.ansi.enabled"


def keep_profile_ansi_mode() -> None:
    from dbt.adapters.spark.connections import SparkCredentials

    original = SparkCredentials.__post_init__
    if getattr(original, "keeps_profile_ansi_mode", False):
        return

    @functools.wraps(original)
    def post_init(self) -> None:
        requested = {str(key): str(value) for key, value in (self.server_side_parameters or {}).items()}.get(ANSI)
        original(self)
        if requested is not None:
            self.server_side_parameters[ANSI] = requested

    post_init.keeps_profile_ansi_mode = True
    SparkCredentials.__post_init__ = post_init
