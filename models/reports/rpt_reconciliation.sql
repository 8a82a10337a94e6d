{#
    The proof: every computed subtotal (int_subtotals) set against the published total of the
    same scope, with the names a reader needs to find it in the document: the pool's name, the
    line's label and the source file.

    A full outer join keeps both a published total with nothing behind it (`not_computed`, a
    dropped line) and a subtotal the document never published (`not_published`, for example an
    amount typed under a wrong year or pool) as rows, instead of letting either disappear.

    A line's label comes with its subtotal (it is grouped with the line, whose key fixes it),
    so only a published line total with nothing computed looks its label up in the budget
    lines: the lookup then touches the few lines that lack one, not every line.
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

budget_lines as (

    select * from {{ ref('stg_appendix__budget_lines') }}

),

documents as (

    select * from {{ ref('stg_appendix__documents') }}

),

matched as (

    select
        coalesce(published.document_id, subtotals.document_id) as document_id,
        coalesce(published.total_scope, subtotals.total_scope) as total_scope,
        coalesce(published.pool_code, subtotals.pool_code) as pool_code,
        coalesce(published.line_code, subtotals.line_code) as line_code,
        coalesce(published.fiscal_year, subtotals.fiscal_year) as fiscal_year,
        subtotals.line_label,
        published.label_as_published,
        published.source_line,
        published.published_amount_tdkk,
        subtotals.computed_amount_tdkk,
        coalesce(subtotals.amount_row_count, 0) as amount_row_count

    from published
    full outer join subtotals
        on published.document_id = subtotals.document_id
        and published.total_scope = subtotals.total_scope
        and published.pool_code = subtotals.pool_code
        and {{ null_safe_equals('published.line_code', 'subtotals.line_code', "''") }}
        and {{ null_safe_equals('published.fiscal_year', 'subtotals.fiscal_year', '0') }}

),

unlabelled_lines as (

    select distinct
        document_id,
        line_code
    from matched
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
            'matched.document_id', 'matched.total_scope', 'matched.pool_code',
            'matched.line_code', 'matched.fiscal_year'
        ]) }} as reconciliation_id,
        matched.document_id,
        matched.total_scope,
        matched.pool_code,
        pools.pool_name,
        matched.line_code,
        coalesce(matched.line_label, looked_up_labels.line_label) as line_label,
        matched.fiscal_year,
        matched.label_as_published,
        matched.published_amount_tdkk,
        matched.computed_amount_tdkk,
        matched.computed_amount_tdkk - matched.published_amount_tdkk as difference_tdkk,
        matched.amount_row_count,
        {{ reconciliation_status('matched.computed_amount_tdkk', 'matched.published_amount_tdkk') }}
            as reconciliation_status,
        documents.source_file,
        matched.source_line

    from matched
    left join pools
        on matched.document_id = pools.document_id
        and matched.pool_code = pools.pool_code
    left join looked_up_labels
        on matched.document_id = looked_up_labels.document_id
        and matched.line_code = looked_up_labels.line_code
    left join documents
        on matched.document_id = documents.document_id

)

select * from final
