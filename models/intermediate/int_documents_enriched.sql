{#
    One row per document, with the document that revises it, if any. A document is current
    until another document names it in `supersedes_document_id`: a revision replaces the
    figures of the document it supersedes, and the two must never be added together.
#}

with documents as (

    select * from {{ ref('stg_appendix__documents') }}

),

revisions as (

    select
        supersedes_document_id as document_id,
        min(document_id) as superseded_by_document_id

    from documents
    where supersedes_document_id is not null
    group by supersedes_document_id

),

final as (

    select
        documents.document_id,
        documents.issuer,
        documents.document_title,
        documents.document_title_en,
        documents.budget_phase,
        documents.currency_code,
        documents.unit_factor,
        documents.supersedes_document_id,
        revisions.superseded_by_document_id,
        revisions.superseded_by_document_id is null as is_current,
        documents.source_file

    from documents
    left join revisions
        on documents.document_id = revisions.document_id

)

select * from final
