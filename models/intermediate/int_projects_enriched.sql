{#
    One row per project, with its pool and how many budget lines it has. The project and the
    pool dimensions both read it, so the budget lines are counted once, and neither mart
    reads the other.
#}

with projects as (

    select * from {{ ref('stg_appendix__projects') }}

),

pools as (

    select * from {{ ref('stg_appendix__pools') }}

),

budget_lines as (

    select * from {{ ref('stg_appendix__budget_lines') }}

),

line_counts as (

    select
        document_id,
        project_code,
        count(*) as line_count,
        min(source_line) as source_line

    from budget_lines
    group by document_id, project_code

),

final as (

    select
        projects.document_id,
        projects.project_code,
        projects.project_name,
        projects.project_description_en,
        projects.spending_purpose,
        projects.pool_code,
        pools.pool_name,
        coalesce(line_counts.line_count, 0) as line_count,
        line_counts.source_line

    from projects
    left join pools
        on projects.document_id = pools.document_id
        and projects.pool_code = pools.pool_code
    left join line_counts
        on projects.document_id = line_counts.document_id
        and projects.project_code = line_counts.project_code

)

select * from final
