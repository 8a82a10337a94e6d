{#
    The appendix's tables as printed: one table per document and pool, its budget lines in the
    document's order, then the pool's "i alt" row; a column for each fiscal year and the
    total over the years. The figures are the computed ones (int_subtotals and the amounts),
    which the build has reconciled with every published total before this report is published.

    The year columns come from the data: the fiscal years of the amounts, read when the model
    is compiled (macro fiscal_years_in), each as `amount_<year>_tdkk`. A document with three
    years gives three year columns; a year a document does not cover is empty in its rows.
#}

{#- No enforced contract: a contract declares every column and its type, and the year columns
    are the data's. Their descriptions are written by the post-hook. -#}
{{ config(
    contract={'enforced': false},
    post_hook="{{ describe_fiscal_year_columns(this) }}",
) }}

{%- set years = fiscal_years_in(ref('stg_appendix__amounts')) %}

with allocations as (

    select * from {{ ref('int_allocations_enriched') }}

),

subtotals as (

    select * from {{ ref('int_subtotals') }}

),

budget_lines as (

    select * from {{ ref('int_budget_lines_enriched') }}

),

pools as (

    select * from {{ ref('stg_appendix__pools') }}

),

published as (

    select * from {{ ref('stg_appendix__published_totals') }}

),

-- every figure of the tables, long: a line's year (the amount), a line's total, a pool's
-- year and a pool's total (line_code empty for a pool, fiscal_year empty for a total)
cells as (

    select
        document_id,
        pool_code,
        line_code,
        fiscal_year,
        amount_tdkk
    from allocations

    union all

    select
        document_id,
        pool_code,
        line_code,
        fiscal_year,
        computed_amount_tdkk as amount_tdkk
    from subtotals

),

table_rows as (

    select
        document_id,
        pool_code,
        line_code,
        {%- for year in years %}
            cast(
                sum(case when fiscal_year = {{ year }} then amount_tdkk end) as {{ dbt.type_bigint() }}
            ) as {{ fiscal_year_column(year) }},
        {%- endfor %}
        cast(sum(case when fiscal_year is null then amount_tdkk end) as {{ dbt.type_bigint() }}) as total_tdkk

    from cells
    group by document_id, pool_code, line_code

),

pool_totals_as_published as (

    select
        document_id,
        pool_code,
        label_as_published,
        source_line
    from published
    where total_scope = 'pool'

),

pool_positions as (

    select
        document_id,
        pool_code,
        pool_name,
        row_number() over (partition by document_id order by source_line, pool_code) as table_number
    from pools

),

final as (

    select
        {{ natural_key(['table_rows.document_id', 'table_rows.pool_code', 'table_rows.line_code']) }}
            as appendix_row_id,
        table_rows.document_id,
        pool_positions.table_number,
        table_rows.pool_code,
        pool_positions.pool_name,
        row_number() over (
            partition by table_rows.document_id, table_rows.pool_code
            order by
                case when table_rows.line_code is null then 1 else 0 end,
                budget_lines.line_order,
                table_rows.line_code
        ) as row_number_in_table,
        case when table_rows.line_code is null then 'pool_total' else 'line' end as row_kind,
        table_rows.line_code,
        coalesce(budget_lines.line_label, pool_totals_as_published.label_as_published, pool_positions.pool_name)
            as row_label,
        {%- for year in years %}
            table_rows.{{ fiscal_year_column(year) }},
        {%- endfor %}
        table_rows.total_tdkk,
        coalesce(budget_lines.source_line, pool_totals_as_published.source_line) as source_line

    from table_rows
    left join budget_lines
        on table_rows.document_id = budget_lines.document_id
        and table_rows.line_code = budget_lines.line_code
    left join pool_totals_as_published
        on table_rows.document_id = pool_totals_as_published.document_id
        and table_rows.pool_code = pool_totals_as_published.pool_code
        and table_rows.line_code is null
    left join pool_positions
        on table_rows.document_id = pool_positions.document_id
        and table_rows.pool_code = pool_positions.pool_code

)

select * from final
