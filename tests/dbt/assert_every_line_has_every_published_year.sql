{#
    Every budget line has an amount row for every fiscal year its document publishes totals
    for. The sums cannot catch a dropped row whose amount was 0 (several lines of the first
    appendix have 0 in one year); this test can. Years come from the published pool-year
    totals, never from this file.

    It counts first and looks up later: the reconciliation already knows how many amount rows
    each line's total adds up, so only a line with fewer rows than its document has years is
    expanded into the years it is missing. An amount under a year the document does not
    publish fails the pool-year reconciliation, and a repeated year fails the amounts' key
    test, so a count that matches is a complete line.
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

    select distinct document_id, fiscal_year
    from published
    where total_scope = 'pool_year'

),

year_counts as (

    select document_id, count(*) as year_count
    from document_years
    group by document_id

),

line_amount_rows as (

    -- one computed line total per line, since a line has one project and so one pool
    select document_id, line_code, amount_row_count
    from reconciliation
    where total_scope = 'line'
        and computed_amount_tdkk is not null

),

short_lines as (

    select
        budget_lines.document_id,
        budget_lines.line_code,
        budget_lines.line_label

    from budget_lines
    inner join year_counts
        on budget_lines.document_id = year_counts.document_id
    left join line_amount_rows
        on budget_lines.document_id = line_amount_rows.document_id
        and budget_lines.line_code = line_amount_rows.line_code
    where coalesce(line_amount_rows.amount_row_count, 0) < year_counts.year_count

),

expected as (

    select
        short_lines.document_id,
        short_lines.line_code,
        short_lines.line_label,
        document_years.fiscal_year

    from short_lines
    inner join document_years
        on short_lines.document_id = document_years.document_id

),

missing as (

    select expected.*
    from expected
    where not exists (
        select 1
        from amounts
        where amounts.document_id = expected.document_id
            and amounts.line_code = expected.line_code
            and amounts.fiscal_year = expected.fiscal_year
    )

)

select * from missing
