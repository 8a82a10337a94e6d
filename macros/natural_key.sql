{#
    A readable key built from the columns that make up a grain, for example
    `rm-hit-bilag1|pool_year|NAT||2022`. Nulls become empty parts, so a key is never null
    and two rows share a key only when they share every part. Portable: it uses dbt's
    cross-database `concat` and `cast`.
#}
{% macro natural_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(" ~ dbt.cast(column, dbt.type_string()) ~ ", '')") -%}
        {%- if not loop.last -%}
            {%- do parts.append("'|'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
