{#
    Every subtotal the amounts give, at the three scopes the document publishes: a line over
    all years (`line`), a pool in one year (`pool_year`) and a pool over all years (`pool`).
    The reconciliation report and the pool and year marts all take their computed figures
    from here, so each subtotal is computed once, in one pass over the allocations (grouping
    sets).

    A table, not a view like the other intermediate models: three models read it. It holds the
    computed figures only; the report and the pool mart set them beside the published totals.
#}

{{ config(materialized='table') }}

with allocations as (

    select * from {{ ref('int_allocations_enriched') }}

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

final as (

    -- line_code and fiscal_year are never null in the amounts (tested in staging), so which
    -- of them a grouping set left empty tells its scope
    select
        case
            when line_code is not null then 'line'
            when fiscal_year is not null then 'pool_year'
            else 'pool'
        end as total_scope,
        document_id,
        pool_code,
        line_code,
        line_label,
        fiscal_year,
        computed_amount_tdkk,
        amount_row_count

    from subtotals

)

select * from final
