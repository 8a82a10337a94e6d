{#
    One row that says which release a reader is looking at: its id, when it was built and
    published, from which commit and inputs, with which dbt and engine.

    The build writes development values. `make run` stamps the release id, commit, input
    checksums and `published_at_utc` once every check has passed (scripts/pipeline.py), so a
    plain `dbt build` keeps the development values and an empty `published_at_utc`: such a
    build is not a release. Stamping after the build, rather than passing the values in
    through the environment, keeps the model the same from run to run, so dbt need not parse
    it again.
#}

with documents as (

    select * from {{ ref('int_documents_enriched') }}

),

document_list as (

    select
        {{ dbt.listagg('document_id', "', '", 'order by document_id') }} as document_ids,
        {{ dbt.listagg(
            "case when is_current then document_id end", "', '", 'order by document_id'
        ) }} as current_document_ids

    from documents

),

final as (

    select
        {{ dbt.cast(dbt.string_literal('development'), dbt.type_string()) }}
            as release_id,
        {{ dbt.cast(dbt.string_literal(run_started_at.strftime('%Y-%m-%d %H:%M:%S')), dbt.type_timestamp()) }}
            as built_at_utc,
        {{ dbt.cast('null', dbt.type_timestamp()) }} as published_at_utc,
        {{ dbt.cast(dbt.string_literal('unknown'), dbt.type_string()) }}
            as git_commit,
        {{ dbt.cast(dbt.string_literal(dbt_version), dbt.type_string()) }} as dbt_version,
        {{ dbt.cast(engine_version(), dbt.type_string()) }} as engine_version,
        document_list.document_ids,
        document_list.current_document_ids,
        {{ dbt.cast(dbt.string_literal('{}'), dbt.type_string()) }}
            as input_checksums

    from document_list

)

select * from final
