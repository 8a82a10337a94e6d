{#
    Use a folder's custom schema as it is (`marts`, not `main_marts`), so that BI tools
    query `marts.<model>` whatever the target's default schema is.

    Dispatched, because engines keep a build apart from what readers read in different ways.
    DuckDB builds into files of the build's own (profiles.yml), so the schemas keep their plain
    names. An engine with one database for every build (PostgreSQL) has only schema names to
    keep builds apart: there every schema is prefixed with the target's schema, the build's
    name (`dev_marts` for a plain `dbt build`, `build_<release id>_marts` in `make run`), and
    publishing renames the build's marts schema to `marts` (scripts/postgres.py).
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ return(adapter.dispatch('build_schema_name', 'funding_warehouse')(custom_schema_name, node)) }}
{%- endmacro %}

{% macro default__build_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__build_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
