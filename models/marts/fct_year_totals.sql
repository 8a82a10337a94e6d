{#
    The year mart: one row per document and fiscal year, across all pools. The appendix
    publishes no total across pools, so this figure is summed from the allocations, whose
    pool-year sums are reconciled against the published totals in the same build.
#}

with allocations as (

    select * from {{ ref('int_allocations_enriched') }}

),

year_totals as (

    select
        document_id,
        fiscal_year,
        cast(sum(amount_tdkk) as {{ dbt.type_bigint() }}) as amount_tdkk,
        cast(sum(amount_dkk) as {{ dbt.type_bigint() }}) as amount_dkk,
        count(distinct pool_code) as pool_count,
        count(distinct line_code) as line_count

    from allocations
    group by document_id, fiscal_year

),

final as (

    select
        {{ natural_key(['document_id', 'fiscal_year']) }} as year_id,
        *

    from year_totals

)

select * from final
