"""The warehouse on Apache Spark: a local session, the build, write-audit-publish by views.

dbt-spark's `session` method runs Spark inside this Python process (profiles.yml, output
`spark`), so the pipeline, the validation and the tests all read Spark through the same
in-process session that dbt built with. See docs/engines.md.
"""
