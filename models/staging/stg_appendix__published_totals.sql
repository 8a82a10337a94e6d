with source as (

    select * from {{ appendix_input('published_totals') }}

),

renamed as (

    select
        trim(document_id) as document_id,
        lower(trim(total_scope)) as total_scope,
        trim(pool_code) as pool_code,
        nullif(trim({{ dbt.cast('line_code', dbt.type_string()) }}), '') as line_code,
        cast(nullif(trim({{ dbt.cast('fiscal_year', dbt.type_string()) }}), '') as {{ dbt.type_int() }}) as fiscal_year,
        trim(label_as_published) as label_as_published,
        cast(amount_tdkk as {{ dbt.type_bigint() }}) as published_amount_tdkk,
        cast(source_line as {{ dbt.type_int() }}) as source_line

    from source

)

select * from renamed
