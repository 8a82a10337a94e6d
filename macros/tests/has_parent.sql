{#
    A relationships test over several columns: every row whose `columns` are all set must
    find a row in `to` with the same values, for example a project's (document_id, pool_code)
    in the pools of that same document. Rows with a null in `columns` are left to not_null.
    An anti-join (`not exists`), so the parent needs no `distinct` first: at ten million
    rows that halves the test's time. `show` names more columns for the failing rows, such as
    the source line that an orphan stands on.
#}
{% test has_parent(model, to, columns, parent_columns=none, show=[]) %}

{%- set parent_columns = parent_columns or columns -%}

with children as (

    select {{ (columns + show) | join(', ') }}
    from {{ model }}
    where {% for column in columns %}{{ column }} is not null{% if not loop.last %} and {% endif %}{% endfor %}

),

orphans as (

    select children.*
    from children
    where not exists (
        select 1
        from {{ to }} as parents
        where {% for column in columns -%}
            parents.{{ parent_columns[loop.index0] }} = children.{{ column }}
            {%- if not loop.last %} and {% endif %}
        {%- endfor %}
    )

)

select * from orphans

{% endtest %}
