{#
    Run at the start of every dbt invocation (on-run-start in dbt_project.yml): it stops a run
    on an engine whose settings would give wrong figures without an error.

    Only Spark needs it. Spark computes exactly only in ANSI mode: without it an overflowing
    decimal sum becomes NULL, an overflowing bigint sum wraps around, and text that is not a
    number casts to NULL. profiles.yml turns ANSI mode on, but dbt-spark 1.11 turns it off
    again unless dbt runs through the project's runner (scripts/spark/ansi.py); this check
    makes sure it is on, in the session that runs the models. Other engines check nothing.
#}
{% macro assert_engine_settings() -%}
    {{ return(adapter.dispatch('assert_engine_settings', 'funding_warehouse')()) }}
{%- endmacro %}

{% macro default__assert_engine_settings() -%}
{%- endmacro %}

{% macro spark__assert_engine_settings() -%}
    {%- if execute -%}
        {%- set setting = run_query('set spark.sql.ansi.enabled') -%}
        {%- set value = setting.columns[1].values()[0] | string | lower -%}
        {%- if value != 'true' -%}
            {{ exceptions.raise_compiler_error(
                "Spark runs with spark.sql.ansi.enabled=" ~ value ~ ": sums that overflow would become NULL"
                ~ " instead of failing. Run dbt on Spark through the project (make run ENGINE=spark,"
                ~ " python -m scripts spark-dbt ...), which keeps profiles.yml's ANSI mode in force"
                ~ " (scripts/spark/ansi.py)."
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
