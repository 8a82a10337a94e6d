{#
    Every subtotal the amounts give, at the three scopes the document publishes (a line over
    all years: `line`; a pool in one year: `pool_year`; a pool over all years: `pool`), set
    beside the published total of the same scope. The reconciliation report and the total
    marts all read their figures here, so each subtotal is computed once.

    One pass over the allocations computes all three scopes (grouping sets). A full outer
    join then keeps both a published total with nothing behind it (`not_computed`, a dropped
    line) and a subtotal the document never published (`not_published`, for example an amount
    typed under a wrong year or pool) as rows, instead of letting either disappear.

    A table, not a view like the other intermediate models: three models read it, and it is
    as small as the published tables.
#}

{{ config(materialized='table') }}

with allocations as (

    select * from {{ ref('int_allocations_enriched') }}

),

published as (

    select * from {{ ref('stg_appendix__published_totals') }}

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

    -- line_code and fiscal_year are never null in the amounts (tested in staging), so which
    -- of them a grouping set left empty tells its scope
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

final as (

    select
        *,
        computed_amount_tdkk - published_amount_tdkk as difference_tdkk,
        case
            when published_amount_tdkk is null then 'not_published'
            when computed_amount_tdkk is null then 'not_computed'
            when computed_amount_tdkk = published_amount_tdkk then 'reconciled'
            else 'mismatch'
        end as reconciliation_status

    from matched

)

select * from final
