{#
    The year mart: one row per document and fiscal year, across all pools. The appendix
    publishes no total across pools, so this figure adds up the pool-year totals, each of
    which is reconciled against its published "i alt" in the same build. A budget line
    belongs to one pool, so the pools' line counts add up to the year's.
#}

with pool_years as (

    select * from {{ ref('fct_pool_year_totals') }}

),

year_totals as (

    select
        document_id,
        fiscal_year,
        fiscal_year_start_date,
        is_current_document,
        cast(sum(amount_tdkk) as {{ dbt.type_bigint() }}) as amount_tdkk,
        cast(sum(amount_dkk) as {{ dbt.type_bigint() }}) as amount_dkk,
        cast(sum(case when line_count > 0 then 1 else 0 end) as {{ dbt.type_bigint() }}) as pool_count,
        cast(sum(line_count) as {{ dbt.type_bigint() }}) as line_count

    from pool_years
    group by document_id, fiscal_year, fiscal_year_start_date, is_current_document

),

final as (

    select
        {{ natural_key(['document_id', 'fiscal_year']) }} as year_id,
        *

    from year_totals

)

select * from final
