{{ config(materialized='table') }}

{#
    Every subtotal the warehouse can compute from the amounts, in the same shape and at the
    same three scopes as the published totals: a line over all years (`line`), a pool in one
    year (`pool_year`) and a pool over all years (`pool`). `total_id` is built exactly as
    `published_total_id` is, so that the two meet on one key.
#}

with allocations as (

    select * from {{ ref('int_allocations_enriched') }}

),

line_totals as (

    select
        document_id,
        'line' as total_scope,
        pool_code,
        line_code,
        cast(null as {{ dbt.type_int() }}) as fiscal_year,
        cast(sum(amount_tdkk) as {{ dbt.type_bigint() }}) as computed_amount_tdkk,
        -- each group is one line (count(*) would count its years)
        cast(1 as {{ dbt.type_bigint() }}) as line_count

    from allocations
    group by document_id, pool_code, line_code

),

pool_year_totals as (

    select
        document_id,
        'pool_year' as total_scope,
        pool_code,
        cast(null as {{ dbt.type_string() }}) as line_code,
        fiscal_year,
        cast(sum(amount_tdkk) as {{ dbt.type_bigint() }}) as computed_amount_tdkk,
        -- one amount row per line and year (a tested key), so rows are lines; a plain count
        -- is much cheaper than a distinct one over tens of millions of rows
        count(*) as line_count

    from allocations
    group by document_id, pool_code, fiscal_year

),

pool_totals as (

    select
        document_id,
        'pool' as total_scope,
        pool_code,
        cast(null as {{ dbt.type_string() }}) as line_code,
        cast(null as {{ dbt.type_int() }}) as fiscal_year,
        cast(sum(amount_tdkk) as {{ dbt.type_bigint() }}) as computed_amount_tdkk,
        count(distinct line_code) as line_count

    from allocations
    group by document_id, pool_code

),

unioned as (

    select * from line_totals
    union all
    select * from pool_year_totals
    union all
    select * from pool_totals

),

keyed as (

    select
        {{ natural_key(['document_id', 'total_scope', 'pool_code', 'line_code', 'fiscal_year']) }}
            as total_id,
        unioned.*

    from unioned

)

select * from keyed
