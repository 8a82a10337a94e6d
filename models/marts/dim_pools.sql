with pools as (

    select * from {{ ref('stg_appendix__pools') }}

),

budget_lines as (

    select * from {{ ref('int_budget_lines_enriched') }}

),

line_counts as (

    select
        document_id,
        pool_code,
        count(distinct project_code) as project_count,
        count(*) as line_count

    from budget_lines
    group by document_id, pool_code

),

final as (

    select
        {{ natural_key(['pools.document_id', 'pools.pool_code']) }} as pool_key,
        pools.document_id,
        pools.pool_code,
        pools.pool_name,
        pools.pool_name_en,
        pools.collaboration,
        coalesce(line_counts.project_count, 0) as project_count,
        coalesce(line_counts.line_count, 0) as line_count,
        pools.source_line

    from pools
    left join line_counts
        on pools.document_id = line_counts.document_id
        and pools.pool_code = line_counts.pool_code

)

select * from final
