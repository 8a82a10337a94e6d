{#
    One row per document, budget line and fiscal year: the amount with its line, project,
    pool and document, its value in whole currency units, and whether its document is
    current (not superseded by a revision).
#}

with amounts as (

    select * from {{ ref('stg_appendix__amounts') }}

),

budget_lines as (

    select * from {{ ref('int_budget_lines_enriched') }}

),

documents as (

    select * from {{ ref('int_documents_enriched') }}

),

joined as (

    select
        amounts.document_id,
        amounts.line_code,
        amounts.fiscal_year,
        {{ fiscal_year_start('amounts.fiscal_year') }} as fiscal_year_start_date,
        budget_lines.line_label,
        budget_lines.line_order,
        budget_lines.project_code,
        budget_lines.project_name,
        budget_lines.spending_purpose,
        budget_lines.pool_code,
        budget_lines.pool_name,
        amounts.amount_tdkk,
        amounts.amount_tdkk * documents.unit_factor as amount_dkk,
        documents.currency_code,
        documents.budget_phase,
        documents.is_current as is_current_document,
        documents.source_file,
        amounts.source_line

    from amounts
    left join budget_lines
        on amounts.document_id = budget_lines.document_id
        and amounts.line_code = budget_lines.line_code
    left join documents
        on amounts.document_id = documents.document_id

)

select * from joined
