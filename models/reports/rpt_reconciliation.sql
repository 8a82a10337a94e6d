{#
    The proof: every subtotal beside its published total (int_subtotals), with the names a
    reader needs to find it in the document: the pool's name, the line's label and the source
    file.

    A line's label comes with its subtotal (it is grouped with the line, whose key fixes it),
    so only a published line total with nothing computed looks its label up in the budget
    lines: the lookup then touches the few lines that lack one, not every line.
#}

with subtotals as (

    select * from {{ ref('int_subtotals') }}

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

unlabelled_lines as (

    select distinct
        document_id,
        line_code
    from subtotals
    where
        total_scope = 'line'
        and line_label is null

),

looked_up_labels as (

    select
        budget_lines.document_id,
        budget_lines.line_code,
        budget_lines.line_label

    from unlabelled_lines
    inner join budget_lines
        on unlabelled_lines.document_id = budget_lines.document_id
        and unlabelled_lines.line_code = budget_lines.line_code

),

final as (

    select
        {{ natural_key([
            'subtotals.document_id', 'subtotals.total_scope', 'subtotals.pool_code',
            'subtotals.line_code', 'subtotals.fiscal_year'
        ]) }} as reconciliation_id,
        subtotals.document_id,
        subtotals.total_scope,
        subtotals.pool_code,
        pools.pool_name,
        subtotals.line_code,
        coalesce(subtotals.line_label, looked_up_labels.line_label) as line_label,
        subtotals.fiscal_year,
        subtotals.label_as_published,
        subtotals.published_amount_tdkk,
        subtotals.computed_amount_tdkk,
        subtotals.difference_tdkk,
        subtotals.amount_row_count,
        subtotals.reconciliation_status,
        documents.source_file,
        subtotals.source_line

    from subtotals
    left join pools
        on subtotals.document_id = pools.document_id
        and subtotals.pool_code = pools.pool_code
    left join looked_up_labels
        on subtotals.document_id = looked_up_labels.document_id
        and subtotals.line_code = looked_up_labels.line_code
    left join documents
        on subtotals.document_id = documents.document_id

)

select * from final
