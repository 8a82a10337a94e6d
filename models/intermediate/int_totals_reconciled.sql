{{ config(materialized='table') }}

{#
    Published totals set against computed subtotals, matched on their shared key. A full
    outer join, so that both a published total with no amounts behind it (`not_computed`)
    and a subtotal the document never published (`not_published`, for example an amount
    typed under a wrong year) surface as rows instead of disappearing.
#}

with published as (

    select * from {{ ref('stg_appendix__published_totals') }}

),

computed as (

    select * from {{ ref('int_totals_computed') }}

),

matched as (

    select
        coalesce(published.published_total_id, computed.total_id) as reconciliation_id,
        coalesce(published.document_id, computed.document_id) as document_id,
        coalesce(published.total_scope, computed.total_scope) as total_scope,
        coalesce(published.pool_code, computed.pool_code) as pool_code,
        coalesce(published.line_code, computed.line_code) as line_code,
        coalesce(published.fiscal_year, computed.fiscal_year) as fiscal_year,
        published.published_total_id,
        published.label_as_published,
        published.source_line,
        published.published_amount_tdkk,
        computed.computed_amount_tdkk,
        computed.line_count

    from published
    full outer join computed
        on published.published_total_id = computed.total_id

),

classified as (

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

select * from classified
