{#
    Fails for every row whose value, read as text, is not a whole number in plain digits (an
    optional minus, no thousands separator, no decimals). Needed where input is read as text:
    a cast would turn the Danish `1.500` into 2 without a word. A column stored as an integer
    (a typed Parquet file) holds whole numbers by its type: on DuckDB the type is known before
    any row is read, so the test then reads no row at all.
#}
{% test is_whole_number(model, column_name) %}

select *
from {{ model }}
where {{ column_name }} is not null
    and not {{ funding_warehouse.is_stored_as_integer(column_name) }}
    and not {{ funding_warehouse.matches_whole_number(dbt.cast(column_name, dbt.type_string())) }}

{% endtest %}


{% macro is_stored_as_integer(expression) -%}
    {{ return(adapter.dispatch('is_stored_as_integer', 'funding_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__is_stored_as_integer(expression) -%}
    false
{%- endmacro %}

{% macro duckdb__is_stored_as_integer(expression) -%}
    typeof({{ expression }}) in (
        'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT',
        'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT'
    )
{%- endmacro %}


{% macro matches_whole_number(expression) -%}
    {{ return(adapter.dispatch('matches_whole_number', 'funding_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__matches_whole_number(expression) -%}
    trim({{ expression }}) similar to '-?[0-9]+'
{%- endmacro %}

{% macro duckdb__matches_whole_number(expression) -%}
    regexp_full_match(trim({{ expression }}), '-?[0-9]+')
{%- endmacro %}
