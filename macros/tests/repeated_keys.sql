{#
    The rows of `relation` whose `columns` repeat, one per repeated key with its `row_count`:
    the query behind the key tests `unique_key` and `unique_combination_of_columns`.

    On DuckDB a first pass groups a 64-bit hash of the key instead of the key itself: grouping
    a fixed-width number is cheaper than grouping text of every length. Equal keys always have equal hashes, so no repeat is missed; only rows whose
    hash repeats are grouped again by their real key, so a hash collision cannot fail a test.
#}
{% macro repeated_keys(relation, columns, where=none) -%}
    {{ return(adapter.dispatch('repeated_keys', 'funding_warehouse')(relation, columns, where)) }}
{%- endmacro %}

{% macro default__repeated_keys(relation, columns, where) %}
    select
        {{ columns | join(', ') }},
        count(*) as row_count

    from {{ relation }}
    {% if where %}where {{ where }}{% endif %}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endmacro %}

{% macro duckdb__repeated_keys(relation, columns, where) %}
    {%- set key_hash = 'hash(' ~ columns | join(', ') ~ ')' %}
    select
        {{ columns | join(', ') }},
        count(*) as row_count

    from {{ relation }}
    where {{ key_hash }} in (
        select {{ key_hash }}
        from {{ relation }}
        {% if where %}where {{ where }}{% endif %}
        group by {{ key_hash }}
        having count(*) > 1
    )
    {% if where %}and {{ where }}{% endif %}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endmacro %}
