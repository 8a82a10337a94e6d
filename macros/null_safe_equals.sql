{#
    A join condition true when two values are equal or both null (`is not distinct from`).

    Dispatched, because engines plan it differently. DuckDB (and Spark, as `<=>`) hash-join on
    it. PostgreSQL cannot: in a join it becomes a filter applied to every pair of rows that the
    other conditions match. In rpt_reconciliation's full outer join, that is every line of a
    pool against every other line of that pool, which grows with the square of the input. So
    the default writes the same condition as two plain equalities that any engine can hash:
    the values with nulls replaced by `placeholder`, and whether each is null. The second makes
    it exact: a real value equal to the placeholder never matches a null.
#}
{% macro null_safe_equals(left, right, placeholder) -%}
    {{ return(adapter.dispatch('null_safe_equals', 'funding_warehouse')(left, right, placeholder)) }}
{%- endmacro %}

{% macro default__null_safe_equals(left, right, placeholder) -%}
    coalesce({{ left }}, {{ placeholder }}) = coalesce({{ right }}, {{ placeholder }})
    and ({{ left }} is null) = ({{ right }} is null)
{%- endmacro %}

{% macro duckdb__null_safe_equals(left, right, placeholder) -%}
    {{ left }} is not distinct from {{ right }}
{%- endmacro %}
