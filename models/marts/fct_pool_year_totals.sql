{#
    The pool mart: one row per document, pool and fiscal year, with the computed amount, its
    share of the document's year, the number of budget lines, and the published "i alt"
    beside it.
#}

with reconciled as (

    select * from {{ ref('int_totals_reconciled') }}

),

pools as (

    select * from {{ ref('stg_appendix__pools') }}

),

documents as (

    select * from {{ ref('stg_appendix__documents') }}

),

pool_years as (

    select * from reconciled
    where total_scope = 'pool_year'

),

with_year_total as (

    select
        *,
        cast(sum(computed_amount_tdkk) over (partition by document_id, fiscal_year) as {{ dbt.type_bigint() }}) as year_amount_tdkk

    from pool_years

),

final as (

    select
        {{ natural_key(['with_year_total.document_id', 'with_year_total.pool_code', 'with_year_total.fiscal_year']) }}
            as pool_year_id,
        with_year_total.document_id,
        with_year_total.pool_code,
        pools.pool_name,
        with_year_total.fiscal_year,
        with_year_total.computed_amount_tdkk as amount_tdkk,
        with_year_total.computed_amount_tdkk * documents.unit_factor as amount_dkk,
        cast(
            {{ dbt.cast('with_year_total.computed_amount_tdkk', 'decimal(38, 12)') }}
            / nullif(with_year_total.year_amount_tdkk, 0)
            as decimal(9, 6)
        ) as share_of_year,
        coalesce(with_year_total.line_count, 0) as line_count,
        with_year_total.published_amount_tdkk,
        with_year_total.difference_tdkk,
        with_year_total.reconciliation_status

    from with_year_total
    left join pools
        on with_year_total.document_id = pools.document_id
        and with_year_total.pool_code = pools.pool_code
    left join documents
        on with_year_total.document_id = documents.document_id

)

select * from final
