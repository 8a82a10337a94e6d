{#
    Asserts that `column_name`, summed over `group_by`, equals the published total of each
    group, exactly. `published_totals` holds one row per published figure; `scope` selects
    which of them this test checks.

    A failing row is a group whose sum differs from its published total, a group with no
    published total (an amount under a wrong year or pool), or a published total with
    nothing behind it (a dropped line). Each row carries `failure_message`, which names the
    group's columns (document, pool, line, year), the label as published and both figures.
#}
{% test sums_to_published_total(
    model,
    column_name,
    published_totals,
    scope,
    group_by,
    published_amount_column='published_amount_tdkk',
    label_column='label_as_published',
    scope_column='total_scope'
) %}

with computed as (

    select
        {{ group_by | join(', ') }},
        sum({{ column_name }}) as computed_amount

    from {{ model }}
    group by {{ group_by | join(', ') }}

),

published as (

    select
        {{ group_by | join(', ') }},
        {{ label_column }} as published_label,
        {{ published_amount_column }} as published_amount

    from {{ published_totals }}
    where {{ scope_column }} = '{{ scope }}'

),

compared as (

    select
        {% for column in group_by -%}
        coalesce(published.{{ column }}, computed.{{ column }}) as {{ column }},
        {% endfor -%}
        published.published_label,
        computed.computed_amount,
        published.published_amount,
        computed.computed_amount - published.published_amount as difference

    from published
    full outer join computed
        on {% for column in group_by -%}
            published.{{ column }} = computed.{{ column }}
            {%- if not loop.last %} and {% endif %}
        {%- endfor %}

),

failures as (

    select
        *,
        {%- set parts = ["'" ~ scope ~ " total: '"] %}
        {%- for column in group_by %}
            {%- do parts.append("'" ~ column ~ "='") %}
            {%- do parts.append("coalesce(" ~ dbt.cast(column, dbt.type_string()) ~ ", '(none)')") %}
            {%- do parts.append("', '") %}
        {%- endfor %}
        {%- do parts.extend([
            "'published as \"'",
            "coalesce(published_label, '(no published total)')",
            "'\": computed '",
            "coalesce(" ~ dbt.cast('computed_amount', dbt.type_string()) ~ ", '(nothing)')",
            "', published '",
            "coalesce(" ~ dbt.cast('published_amount', dbt.type_string()) ~ ", '(nothing)')"
        ]) %}
        {{ dbt.concat(parts) }} as failure_message

    from compared
    where computed_amount is null
        or published_amount is null
        or computed_amount <> published_amount

)

select * from failures

{% endtest %}
