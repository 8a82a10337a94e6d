{#
    The year mart: one row per document and fiscal year, across all pools. The appendix
    publishes no total across pools, so this figure adds up the pool-year subtotals, each of
    which is reconciled against its published "i alt" in the same build. A budget line
    belongs to one pool, so the pools' line counts add up to the year's.
#}

with subtotals as (

    select * from {{ ref('int_subtotals') }}

),

documents as (

    select * from {{ ref('int_documents_enriched') }}

),

year_totals as (

    select
        document_id,
        fiscal_year,
        cast(sum(computed_amount_tdkk) as {{ dbt.type_bigint() }}) as amount_tdkk,
        cast(sum(case when amount_row_count > 0 then 1 else 0 end) as {{ dbt.type_bigint() }}) as pool_count,
        cast(sum(amount_row_count) as {{ dbt.type_bigint() }}) as line_count

    from subtotals
    where total_scope = 'pool_year'
    group by document_id, fiscal_year

),

final as (

    select
        {{ natural_key(['year_totals.document_id', 'year_totals.fiscal_year']) }} as year_id,
        year_totals.document_id,
        year_totals.fiscal_year,
        {{ fiscal_year_start('year_totals.fiscal_year') }} as fiscal_year_start_date,
        documents.is_current as is_current_document,
        year_totals.amount_tdkk,
        year_totals.amount_tdkk * documents.unit_factor as amount_dkk,
        year_totals.pool_count,
        year_totals.line_count

    from year_totals
    left join documents
        on year_totals.document_id = documents.document_id

)

select * from final
