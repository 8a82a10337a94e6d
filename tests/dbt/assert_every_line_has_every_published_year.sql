{#
    Every budget line has an amount row for every fiscal year its document publishes totals
    for. The sums cannot catch a dropped row whose amount was 0 (several lines of the first
    appendix have 0 in one year); this test can. Years come from the published pool-year
    totals, never from this file.

    It counts per document first and looks at lines only in a document that comes up short.
    The count is of amount rows under a published pool-year total, taken from the
    reconciliation, which already holds it. Every such row stands under a published year, has
    a budget line, and repeats no line and year: the amounts' relationship and key tests, which
    this test never runs without, since a failure there skips the reconciliation. So these rows
    are a subset of lines × years, and a document with as many of them as lines × years is
    complete. An amount under a year the document does not publish is left out of the count,
    so its document comes up short and is looked at line by line.
#}

with budget_lines as (

    select * from {{ ref('stg_appendix__budget_lines') }}

),

amounts as (

    select * from {{ ref('stg_appendix__amounts') }}

),

published as (

    select * from {{ ref('stg_appendix__published_totals') }}

),

reconciliation as (

    select * from {{ ref('rpt_reconciliation') }}

),

document_years as (

    select distinct
        document_id,
        fiscal_year
    from published
    where total_scope = 'pool_year'

),

year_counts as (

    select
        document_id,
        count(*) as year_count
    from document_years
    group by document_id

),

line_counts as (

    select
        document_id,
        count(*) as line_count
    from budget_lines
    group by document_id

),

amount_row_counts as (

    select
        document_id,
        sum(amount_row_count) as amount_row_count
    from reconciliation
    where
        total_scope = 'pool_year'
        and published_amount_tdkk is not null
    group by document_id

),

short_documents as (

    select line_counts.document_id
    from line_counts
    inner join year_counts
        on line_counts.document_id = year_counts.document_id
    left join amount_row_counts
        on line_counts.document_id = amount_row_counts.document_id
    where
        coalesce(amount_row_counts.amount_row_count, 0)
        < line_counts.line_count * year_counts.year_count

),

expected as (

    select
        budget_lines.document_id,
        budget_lines.line_code,
        budget_lines.line_label,
        document_years.fiscal_year

    from short_documents
    inner join budget_lines
        on short_documents.document_id = budget_lines.document_id
    inner join document_years
        on short_documents.document_id = document_years.document_id

),

amounts_of_short_documents as (

    select
        amounts.document_id,
        amounts.line_code,
        amounts.fiscal_year
    from short_documents
    inner join amounts
        on short_documents.document_id = amounts.document_id

),

missing as (

    select expected.*
    from expected
    where not exists (
        select 1
        from amounts_of_short_documents as amounts
        where
            amounts.document_id = expected.document_id
            and amounts.line_code = expected.line_code
            and amounts.fiscal_year = expected.fiscal_year
    )

)

select * from missing
