{#
    Every budget line has an amount row for every fiscal year its document publishes totals
    for. The sums cannot catch a dropped row whose amount was 0 (several lines of the first
    appendix have 0 in one year); this test can. Years come from the published pool-year
    totals, never from this file.
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

document_years as (

    select distinct document_id, fiscal_year
    from published
    where total_scope = 'pool_year'

),

expected as (

    select
        budget_lines.document_id,
        budget_lines.line_code,
        budget_lines.line_label,
        document_years.fiscal_year

    from budget_lines
    inner join document_years
        on budget_lines.document_id = document_years.document_id

),

missing as (

    select expected.*
    from expected
    left join amounts
        on expected.document_id = amounts.document_id
        and expected.line_code = amounts.line_code
        and expected.fiscal_year = amounts.fiscal_year
    where amounts.line_code is null

)

select * from missing
