with source as (

    select * from {{ appendix_input('amounts') }}

),

renamed as (

    select
        {{ input_text('document_id') }} as document_id,
        {{ input_text('line_code') }} as line_code,
        cast(fiscal_year as {{ dbt.type_int() }}) as fiscal_year,
        cast(amount_tdkk as {{ dbt.type_bigint() }}) as amount_tdkk,
        cast(source_line as {{ dbt.type_int() }}) as source_line

    from source

)

select * from renamed
