{#
    The first day of a fiscal year, as a date, so that BI tools see time where the document
    speaks of a year. Danish regions keep their accounts by calendar year, so a fiscal year
    starts on 1 January. Portable: dbt's cross-database `concat` and `cast`.
#}
{% macro fiscal_year_start(year_column) -%}
    {{ dbt.cast(dbt.concat([dbt.cast(year_column, dbt.type_string()), "'-01-01'"]), 'date') }}
{%- endmacro %}
