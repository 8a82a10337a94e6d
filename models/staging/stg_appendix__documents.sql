with source as (

    select * from {{ appendix_input('documents') }}

),

renamed as (

    select
        {{ input_text('document_id') }} as document_id,
        {{ input_text('issuer') }} as issuer,
        {{ input_text('title') }} as document_title,
        {{ input_text('title_en') }} as document_title_en,
        {{ input_text('currency', case='upper') }} as currency_code,
        cast(unit_factor as {{ dbt.type_int() }}) as unit_factor,
        {{ input_text('budget_phase', case='lower') }} as budget_phase,
        {{ input_text('source_file') }} as source_file,
        nullif({{ input_text(dbt.cast('supersedes_document_id', dbt.type_string())) }}, '') as supersedes_document_id

    from source

)

select * from renamed
