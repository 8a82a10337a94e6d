{#
    A readable key built from the columns that make up a grain, for example
    `rm-hit-bilag1|pool_year|NAT||2022`. Nulls become empty parts, so a key is never null.
    Rows that share every part share a key, so `unique` on the key also tests the grain. The
    converse does not hold (a null and '' give the same part, and a code may hold a `|`): two
    different rows could share a key, which would fail a good build, never pass a bad one.
    Portable: it uses dbt's cross-database `concat` and `cast`.
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
