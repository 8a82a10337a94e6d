with pools as (

    select * from {{ ref('stg_appendix__pools') }}

),

projects as (

    select * from {{ ref('int_projects_enriched') }}

),

line_counts as (

    -- from the projects, which have already counted their lines: a pool funds the projects
    -- that have budget lines, and its lines are theirs
    select
        document_id,
        pool_code,
        {{ dbt.cast('sum(case when line_count > 0 then 1 else 0 end)', dbt.type_bigint()) }} as project_count,
        {{ dbt.cast('sum(line_count)', dbt.type_bigint()) }} as line_count

    from projects
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
