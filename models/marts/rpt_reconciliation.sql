{#
    One row per published total, set against the subtotal computed from the amounts, plus a
    row for any subtotal the document never published. A BI user can open it to see the
    proof that every figure adds up, and where it came from.
#}

with reconciled as (

    select * from {{ ref('int_totals_reconciled') }}

),

pools as (

    select * from {{ ref('stg_appendix__pools') }}

),

budget_lines as (

    select * from {{ ref('stg_appendix__budget_lines') }}

),

documents as (

    select * from {{ ref('stg_appendix__documents') }}

),

final as (

    select
        reconciled.reconciliation_id,
        reconciled.document_id,
        reconciled.total_scope,
        reconciled.pool_code,
        pools.pool_name,
        reconciled.line_code,
        budget_lines.line_label,
        reconciled.fiscal_year,
        reconciled.label_as_published,
        reconciled.published_amount_tdkk,
        reconciled.computed_amount_tdkk,
        reconciled.difference_tdkk,
        reconciled.reconciliation_status,
        documents.source_file,
        reconciled.source_line

    from reconciled
    left join pools
        on reconciled.document_id = pools.document_id
        and reconciled.pool_code = pools.pool_code
    left join budget_lines
        on reconciled.document_id = budget_lines.document_id
        and reconciled.line_code = budget_lines.line_code
    left join documents
        on reconciled.document_id = documents.document_id

)

select * from final
