{#
    The fact table, one row per amount, as large as the input.
#}

with allocations as (

    select * from {{ ref('int_allocations_enriched') }}

),

final as (

    select
        {{ natural_key(['document_id', 'line_code', 'fiscal_year']) }} as allocation_id,
        -- single-column keys to the dimensions, one join column each for BI tools
        {{ natural_key(['document_id', 'pool_code']) }} as pool_key,
        {{ natural_key(['document_id', 'project_code']) }} as project_key,
        document_id,
        line_code,
        fiscal_year,
        fiscal_year_start_date,
        line_label,
        line_order,
        project_code,
        pool_code,
        spending_purpose,
        amount_tdkk,
        amount_dkk,
        currency_code,
        budget_phase,
        is_current_document,
        source_file,
        source_line

    from allocations

)

select * from final
