with source as (

    select * from {{ appendix_input('projects') }}

),

renamed as (

    select
        trim(document_id) as document_id,
        trim(project_code) as project_code,
        trim(pool_code) as pool_code,
        trim(project_name) as project_name,
        trim(description_en) as project_description_en,
        lower(trim(spending_purpose)) as spending_purpose

    from source

)

select * from renamed
