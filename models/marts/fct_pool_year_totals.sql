{#
    The pool mart: one row per document, pool and fiscal year, with the computed amount, its
    share of the document's year, the number of budget lines, and the published "i alt"
    beside it. A published pool-year total with no amounts behind it has no row here; the
    reconciliation report holds it, and its test stops the build.
#}

with subtotals as (

    select * from {{ ref('int_subtotals') }}

),

published as (

    select * from {{ ref('stg_appendix__published_totals') }}

),

pools as (

    select * from {{ ref('stg_appendix__pools') }}

),

documents as (

    select * from {{ ref('int_documents_enriched') }}

),

pool_years as (

    select
        *,
        cast(
            sum(computed_amount_tdkk) over (partition by document_id, fiscal_year) as {{ dbt.type_bigint() }}
        ) as year_amount_tdkk

    from subtotals
    where total_scope = 'pool_year'

),

final as (

    select
        {{ natural_key(['pool_years.document_id', 'pool_years.pool_code', 'pool_years.fiscal_year']) }}
            as pool_year_id,
        {{ natural_key(['pool_years.document_id', 'pool_years.pool_code']) }} as pool_key,
        pool_years.document_id,
        pool_years.pool_code,
        pools.pool_name,
        pool_years.fiscal_year,
        {{ fiscal_year_start('pool_years.fiscal_year') }} as fiscal_year_start_date,
        pool_years.computed_amount_tdkk as amount_tdkk,
        pool_years.computed_amount_tdkk * documents.unit_factor as amount_dkk,
        cast(
            {{ dbt.cast('pool_years.computed_amount_tdkk', 'decimal(38, 12)') }}
            / nullif(pool_years.year_amount_tdkk, 0)
            as decimal(9, 6)
        ) as share_of_year,
        -- one amount row per line and year (a tested key), so a pool-year's rows are its lines
        pool_years.amount_row_count as line_count,
        published.published_amount_tdkk,
        pool_years.computed_amount_tdkk - published.published_amount_tdkk as difference_tdkk,
        {{ reconciliation_status('pool_years.computed_amount_tdkk', 'published.published_amount_tdkk') }}
            as reconciliation_status,
        documents.is_current as is_current_document,
        pool_years.year_amount_tdkk

    from pool_years
    left join published
        on pool_years.document_id = published.document_id
        and published.total_scope = 'pool_year'
        and pool_years.pool_code = published.pool_code
        and pool_years.fiscal_year = published.fiscal_year
    left join pools
        on pool_years.document_id = pools.document_id
        and pool_years.pool_code = pools.pool_code
    left join documents
        on pool_years.document_id = documents.document_id

)

select * from final
