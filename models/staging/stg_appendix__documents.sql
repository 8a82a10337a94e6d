with source as (

    select * from {{ appendix_input('documents') }}

),

renamed as (

    select
        trim(document_id) as document_id,
        trim(issuer) as issuer,
        trim(title) as document_title,
        trim(title_en) as document_title_en,
        upper(trim(currency)) as currency_code,
        cast(unit_factor as {{ dbt.type_int() }}) as unit_factor,
        lower(trim(budget_phase)) as budget_phase,
        trim(source_file) as source_file,
        nullif(trim({{ dbt.cast('supersedes_document_id', dbt.type_string()) }}), '') as supersedes_document_id

    from source

)

select * from renamed
