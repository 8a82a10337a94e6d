with projects as (

    select * from {{ ref('int_projects_enriched') }}

),

final as (

    select
        {{ natural_key(['document_id', 'project_code']) }} as project_key,
        {{ natural_key(['document_id', 'pool_code']) }} as pool_key,
        document_id,
        project_code,
        project_name,
        project_description_en,
        spending_purpose,
        pool_code,
        pool_name,
        line_count,
        source_line

    from projects

)

select * from final
