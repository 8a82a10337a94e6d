{#
    Asserts that every total of one `scope` in a reconciliation model agrees, exactly, with
    the figure the document published. The model holds one row per published or computed
    total (rpt_reconciliation); this test reads the two figures side by side instead of
    summing the allocations again, so the build adds up tens of millions of rows once.

    A failing row is a total whose figures differ, a computed total that was never published
    (an amount under a wrong year or pool), or a published total with nothing behind it (a
    dropped line). Each carries `failure_message`, naming the total's columns (`group_by`:
    document, pool, line, year), the label as published and both figures.
#}
{% test matches_published_total(
    model,
    scope,
    group_by,
    computed_amount_column='computed_amount_tdkk',
    published_amount_column='published_amount_tdkk',
    label_column='label_as_published',
    scope_column='total_scope'
) %}

with totals as (

    select
        {{ group_by | join(', ') }},
        {{ label_column }} as published_label,
        {{ computed_amount_column }} as computed_amount,
        {{ published_amount_column }} as published_amount,
        {{ computed_amount_column }} - {{ published_amount_column }} as difference

    from {{ model }}
    where {{ scope_column }} = '{{ scope }}'

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

    from totals
    where computed_amount is null
        or published_amount is null
        or computed_amount <> published_amount

)

select * from failures

{% endtest %}
