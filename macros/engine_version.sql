{#
    The version of the database engine that built the release, for marts.release_info.
    Dispatched because each engine names it its own way; DuckDB and PostgreSQL both answer
    `version()`.
#}
{% macro engine_version() -%}
    {{ return(adapter.dispatch('engine_version')()) }}
{%- endmacro %}

{% macro default__engine_version() -%}
    version()
{%- endmacro %}
