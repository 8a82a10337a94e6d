{#
    dbt's built-in `unique` test on DuckDB, through the same hash-first query as the other key
    tests (macros/tests/repeated_keys.sql). Same result columns as dbt's own: `unique_field`
    and `n_records`.
#}
{% macro duckdb__test_unique(model, column_name) %}

with repeated as (

    {{ funding_warehouse.repeated_keys(model, [column_name], where=column_name ~ ' is not null') }}

)

select
    {{ column_name }} as unique_field,
    row_count as n_records

from repeated

{% endmacro %}
