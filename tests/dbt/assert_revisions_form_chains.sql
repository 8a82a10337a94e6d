{#
    Revisions form chains that end in one current document. Each document is revised at
    most once (a `unique` test on supersedes_document_id), so following revisions from any
    document either ends at a document no one supersedes, the current one, or comes back to
    where it started: a document that supersedes itself, directly or through other
    revisions. In such a loop no document is current, and its figures would silently drop
    out of every "current" total. The walk stops after as many steps as there are documents.
#}

with recursive documents as (

    select
        document_id,
        supersedes_document_id
    from {{ ref('stg_appendix__documents') }}

),

walk (start_document_id, document_id, steps) as (

    select
        document_id as start_document_id,
        document_id,
        0 as steps
    from documents

    union all

    select
        walk.start_document_id,
        revisions.document_id,
        walk.steps + 1
    from walk
    inner join documents as revisions
        on walk.document_id = revisions.supersedes_document_id
    where
        walk.steps < (select count(*) from documents)
        and (walk.steps = 0 or walk.document_id <> walk.start_document_id)

),

loops as (

    select
        start_document_id,
        min(steps) as loop_length
    from walk
    where
        steps > 0
        and document_id = start_document_id
    group by start_document_id

),

final as (

    select
        start_document_id as document_id,
        loop_length,
        {{ dbt.concat([
            "'document '", "start_document_id",
            "' supersedes itself through '", dbt.cast('loop_length', dbt.type_string()), "' revision(s); no document of the loop is current'",
        ]) }} as failure_message

    from loops

)

select * from final
