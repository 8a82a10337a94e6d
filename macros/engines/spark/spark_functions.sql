{#
    Spark's forms of the cross-database helpers whose default (or dbt-spark's own) form does not
    work there. Each is picked by adapter.dispatch; the default forms live beside their callers.
#}

{#
    dbt-spark's listagg ignores `order by` (it warns, and collect_list gathers in whatever order
    Spark's tasks finish), so release_info's list of documents would change order from run to
    run. Here the collected values are sorted (array_sort, ascending, nulls skipped): that is
    the order by the listed value itself, which both lists of release_info ask for (their
    values are document ids or nothing, ordered by document_id). Another order cannot be
    expressed this way, and is refused rather than ignored.
#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set order = (order_by_clause or '') | lower | replace('order by', '') | trim -%}
    {%- if order and order not in (measure | lower) -%}
        {{ exceptions.raise_compiler_error("spark__listagg orders by the listed values only, not: " ~ order_by_clause) }}
    {%- endif -%}
    {%- set collected = 'collect_list(' ~ measure ~ ')' -%}
    {%- if order -%}
        {%- set collected = 'array_sort(' ~ collected ~ ')' -%}
    {%- endif -%}
    {%- if limit_num -%}
        {%- set collected = 'slice(' ~ collected ~ ', 1, ' ~ limit_num ~ ')' -%}
    {%- endif -%}
    array_join({{ collected }}, {{ delimiter_text }})
{%- endmacro %}

{# Spark has no `similar to`; rlike is its regular-expression match (anchored here). #}
{% macro spark__matches_whole_number(expression) -%}
    trim({{ expression }}) rlike '^-?[0-9]+$'
{%- endmacro %}

{# A column typed as an integer holds whole numbers by its type: no row needs reading as text. #}
{% macro spark__is_stored_as_integer(expression) -%}
    typeof({{ expression }}) in ('tinyint', 'smallint', 'int', 'bigint')
{%- endmacro %}

{#
    Spark plans `is not distinct from` (its `<=>`) as a key of a hash join, as DuckDB does, so
    the null-safe match needs none of the default's coalesce and null-flag pair.
#}
{% macro spark__null_safe_equals(left, right, placeholder) -%}
    {{ left }} is not distinct from {{ right }}
{%- endmacro %}
