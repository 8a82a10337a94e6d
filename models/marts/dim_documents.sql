{#
    The document dimension: one row per published document, with what it is, whose it is, how
    its amounts are denominated, and whether a revision has replaced it.
#}

with documents as (

    select * from {{ ref('int_documents_enriched') }}

),

final as (

    select
        document_id,
        issuer,
        document_title,
        document_title_en,
        budget_phase,
        currency_code,
        unit_factor,
        supersedes_document_id,
        superseded_by_document_id,
        is_current,
        source_file

    from documents

)

select * from final
