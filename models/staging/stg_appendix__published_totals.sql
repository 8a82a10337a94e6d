with source as (

    select * from {{ appendix_input('published_totals') }}

),

renamed as (

    select
        {{ input_text('document_id') }} as document_id,
        {{ input_text('total_scope', case='lower') }} as total_scope,
        {{ input_text('pool_code') }} as pool_code,
        nullif({{ input_text(dbt.cast('line_code', dbt.type_string())) }}, '') as line_code,
        cast(
            nullif({{ input_text(dbt.cast('fiscal_year', dbt.type_string())) }}, '') as {{ dbt.type_int() }}
        ) as fiscal_year,
        {{ input_text('label_as_published') }} as label_as_published,
        cast(amount_tdkk as {{ dbt.type_bigint() }}) as published_amount_tdkk,
        cast(source_line as {{ dbt.type_int() }}) as source_line

    from source

)

select * from renamed
