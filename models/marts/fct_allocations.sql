with allocations as (

    select * from {{ ref('int_allocations_enriched') }}

),

final as (

    select
        {{ natural_key(['document_id', 'line_code', 'fiscal_year']) }} as allocation_id,
        document_id,
        line_code,
        fiscal_year,
        line_label,
        line_order,
        project_code,
        pool_code,
        spending_purpose,
        amount_tdkk,
        amount_dkk,
        currency_code,
        budget_phase,
        source_file,
        source_line

    from allocations

)

select * from final
