{#
    The proof. Every subtotal the warehouse can compute from the allocations, at the three
    scopes the document publishes (a line over all years: `line`; a pool in one year:
    `pool_year`; a pool over all years: `pool`), set against the published totals.

    One pass over the allocations computes all three scopes (grouping sets). A full outer
    join then keeps both a published total with nothing behind it (`not_computed`, a dropped
    line) and a subtotal the document never published (`not_published`, for example an amount
    typed under a wrong year or pool) as rows, instead of letting either disappear.

    A line's label comes with its subtotal (it is grouped with the line, whose key fixes it),
    so only a published line total with nothing computed looks its label up in the budget
    lines. At ten million lines that took the model from 28.7 s to 23.2 s.
#}

with allocations as (

    select * from {{ ref('fct_allocations') }}

),

published as (

    select * from {{ ref('stg_appendix__published_totals') }}

),

pools as (

    select * from {{ ref('stg_appendix__pools') }}

),

budget_lines as (

    select * from {{ ref('stg_appendix__budget_lines') }}

),

documents as (

    select * from {{ ref('stg_appendix__documents') }}

),

subtotals as (

    select
        document_id,
        pool_code,
        line_code,
        line_label,
        fiscal_year,
        cast(sum(amount_tdkk) as {{ dbt.type_bigint() }}) as computed_amount_tdkk,
        count(*) as amount_row_count

    from allocations
    group by grouping sets (
        (document_id, pool_code, line_code, line_label),
        (document_id, pool_code, fiscal_year),
        (document_id, pool_code)
    )

),

computed as (

    -- line_code and fiscal_year are never null in the allocations (contract), so which of
    -- them a grouping set left empty tells its scope
    select
        case
            when line_code is not null then 'line'
            when fiscal_year is not null then 'pool_year'
            else 'pool'
        end as total_scope,
        subtotals.*

    from subtotals

),

matched as (

    select
        coalesce(published.document_id, computed.document_id) as document_id,
        coalesce(published.total_scope, computed.total_scope) as total_scope,
        coalesce(published.pool_code, computed.pool_code) as pool_code,
        coalesce(published.line_code, computed.line_code) as line_code,
        coalesce(published.fiscal_year, computed.fiscal_year) as fiscal_year,
        computed.line_label,
        published.label_as_published,
        published.source_line,
        published.published_amount_tdkk,
        computed.computed_amount_tdkk,
        coalesce(computed.amount_row_count, 0) as amount_row_count

    from published
    full outer join computed
        on published.document_id = computed.document_id
        and published.total_scope = computed.total_scope
        and published.pool_code = computed.pool_code
        and published.line_code is not distinct from computed.line_code
        and published.fiscal_year is not distinct from computed.fiscal_year

),

classified as (

    select
        {{ natural_key(['document_id', 'total_scope', 'pool_code', 'line_code', 'fiscal_year']) }}
            as reconciliation_id,
        matched.*,
        computed_amount_tdkk - published_amount_tdkk as difference_tdkk,
        case
            when published_amount_tdkk is null then 'not_published'
            when computed_amount_tdkk is null then 'not_computed'
            when computed_amount_tdkk = published_amount_tdkk then 'reconciled'
            else 'mismatch'
        end as reconciliation_status

    from matched

),

unlabelled_lines as (

    select distinct
        document_id,
        line_code
    from classified
    where
        total_scope = 'line'
        and line_label is null

),

looked_up_labels as (

    select
        budget_lines.document_id,
        budget_lines.line_code,
        budget_lines.line_label

    from unlabelled_lines
    inner join budget_lines
        on unlabelled_lines.document_id = budget_lines.document_id
        and unlabelled_lines.line_code = budget_lines.line_code

),

final as (

    select
        classified.reconciliation_id,
        classified.document_id,
        classified.total_scope,
        classified.pool_code,
        pools.pool_name,
        classified.line_code,
        coalesce(classified.line_label, looked_up_labels.line_label) as line_label,
        classified.fiscal_year,
        classified.label_as_published,
        classified.published_amount_tdkk,
        classified.computed_amount_tdkk,
        classified.difference_tdkk,
        classified.amount_row_count,
        classified.reconciliation_status,
        documents.source_file,
        classified.source_line

    from classified
    left join pools
        on classified.document_id = pools.document_id
        and classified.pool_code = pools.pool_code
    left join looked_up_labels
        on classified.document_id = looked_up_labels.document_id
        and classified.line_code = looked_up_labels.line_code
    left join documents
        on classified.document_id = documents.document_id

)

select * from final
