{#
    The pool mart: one row per document, pool and fiscal year, with the computed amount, its
    share of the document's year, the number of budget lines, and the published "i alt"
    beside it.
#}

with reconciled as (

    select * from {{ ref('rpt_reconciliation') }}

),

documents as (

    select * from {{ ref('int_documents_enriched') }}

),

pool_years as (

    select * from reconciled
    where total_scope = 'pool_year'

),

with_year_total as (

    select
        *,
        cast(
            sum(computed_amount_tdkk) over (partition by document_id, fiscal_year) as {{ dbt.type_bigint() }}
        ) as year_amount_tdkk

    from pool_years

),

final as (

    select
        {{ natural_key(['with_year_total.document_id', 'with_year_total.pool_code', 'with_year_total.fiscal_year']) }}
            as pool_year_id,
        {{ natural_key(['with_year_total.document_id', 'with_year_total.pool_code']) }} as pool_key,
        with_year_total.document_id,
        with_year_total.pool_code,
        with_year_total.pool_name,
        with_year_total.fiscal_year,
        {{ fiscal_year_start('with_year_total.fiscal_year') }} as fiscal_year_start_date,
        with_year_total.computed_amount_tdkk as amount_tdkk,
        with_year_total.computed_amount_tdkk * documents.unit_factor as amount_dkk,
        cast(
            {{ dbt.cast('with_year_total.computed_amount_tdkk', 'decimal(38, 12)') }}
            / nullif(with_year_total.year_amount_tdkk, 0)
            as decimal(9, 6)
        ) as share_of_year,
        -- one amount row per line and year (a tested key), so a pool-year's rows are its lines
        with_year_total.amount_row_count as line_count,
        with_year_total.published_amount_tdkk,
        with_year_total.difference_tdkk,
        with_year_total.reconciliation_status,
        documents.is_current as is_current_document

    from with_year_total
    left join documents
        on with_year_total.document_id = documents.document_id

)

select * from final
