with source as (

    select * from {{ appendix_input('projects') }}

),

renamed as (

    select
        {{ input_text('document_id') }} as document_id,
        {{ input_text('project_code') }} as project_code,
        {{ input_text('pool_code') }} as pool_code,
        {{ input_text('project_name') }} as project_name,
        {{ input_text('description_en') }} as project_description_en,
        {{ input_text('spending_purpose', case='lower') }} as spending_purpose

    from source

)

select * from renamed
