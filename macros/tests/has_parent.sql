{#
    A relationships test over several columns: every row whose `columns` are all set must
    find a row in `to` with the same values, for example a project's (document_id, pool_code)
    in the pools of that same document. Rows with a null in `columns` are left to not_null.
#}
{% test has_parent(model, to, columns, parent_columns=none) %}

{%- set parent_columns = parent_columns or columns -%}

with children as (

    select {{ columns | join(', ') }}
    from {{ model }}
    where {% for column in columns %}{{ column }} is not null{% if not loop.last %} and {% endif %}{% endfor %}

),

parents as (

    select distinct {{ parent_columns | join(', ') }}
    from {{ to }}

),

orphans as (

    select children.*
    from children
    left join parents
        on {% for column in columns -%}
            children.{{ column }} = parents.{{ parent_columns[loop.index0] }}
            {%- if not loop.last %} and {% endif %}
        {%- endfor %}
    where parents.{{ parent_columns[0] }} is null

)

select * from orphans

{% endtest %}
