with source as (

    select * from {{ appendix_input('budget_lines') }}

),

renamed as (

    select
        trim(document_id) as document_id,
        trim(line_code) as line_code,
        trim(project_code) as project_code,
        trim(line_label) as line_label,
        cast(line_order as {{ dbt.type_int() }}) as line_order,
        cast(source_line as {{ dbt.type_int() }}) as source_line

    from source

)

select * from renamed
