with source as (

    select * from {{ appendix_input('pools') }}

),

renamed as (

    select
        {{ input_text('document_id') }} as document_id,
        {{ input_text('pool_code') }} as pool_code,
        {{ input_text('pool_name') }} as pool_name,
        {{ input_text('pool_name_en') }} as pool_name_en,
        {{ input_text('collaboration') }} as collaboration,
        cast(source_line as {{ dbt.type_int() }}) as source_line

    from source

)

select * from renamed
