with source as (

    select * from {{ appendix_input('pools') }}

),

renamed as (

    select
        trim(document_id) as document_id,
        trim(pool_code) as pool_code,
        trim(pool_name) as pool_name,
        trim(pool_name_en) as pool_name_en,
        trim(collaboration) as collaboration,
        cast(source_line as {{ dbt.type_int() }}) as source_line

    from source

)

select * from renamed
