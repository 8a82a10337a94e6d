with source as (

    select * from {{ appendix_input('budget_lines') }}

),

renamed as (

    select
        {{ input_text('document_id') }} as document_id,
        {{ input_text('line_code') }} as line_code,
        {{ input_text('project_code') }} as project_code,
        {{ input_text('line_label') }} as line_label,
        cast(line_order as {{ dbt.type_int() }}) as line_order,
        cast(source_line as {{ dbt.type_int() }}) as source_line

    from source

)

select * from renamed
