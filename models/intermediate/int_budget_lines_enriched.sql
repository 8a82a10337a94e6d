{#
    One row per budget line, with the project and pool it belongs to. Left joins on purpose:
    a line whose project or pool code is unknown keeps its row with empty names, and the
    not_null and relationships tests then name it, instead of the line silently vanishing
    from every total.
#}

with budget_lines as (

    select * from {{ ref('stg_appendix__budget_lines') }}

),

projects as (

    select * from {{ ref('stg_appendix__projects') }}

),

pools as (

    select * from {{ ref('stg_appendix__pools') }}

),

joined as (

    select
        budget_lines.document_id,
        budget_lines.line_code,
        budget_lines.line_label,
        budget_lines.line_order,
        budget_lines.source_line,
        budget_lines.project_code,
        projects.project_name,
        projects.spending_purpose,
        projects.pool_code,
        pools.pool_name

    from budget_lines
    left join projects
        on budget_lines.document_id = projects.document_id
        and budget_lines.project_code = projects.project_code
    left join pools
        on projects.document_id = pools.document_id
        and projects.pool_code = pools.pool_code

)

select * from joined
