{#
    A key test for tables of tens of millions of rows: like dbt's built-in `unique` (same
    result columns, `unique_field` and `n_records`), through the hash-first query of
    macros/tests/repeated_keys.sql. The marts as large as the input test their keys with it;
    every other model uses dbt's own `unique`.
#}
{% test unique_key(model, column_name) %}

with repeated as (

    {{ funding_warehouse.repeated_keys(model, [column_name], where=column_name ~ ' is not null') }}

)

select
    {{ column_name }} as unique_field,
    row_count as n_records

from repeated

{% endtest %}
