{#
    How a computed subtotal stands against its published total: reconciled, mismatch,
    not_computed (published, with no amounts behind it) or not_published (amounts that add up
    to a total the document never printed). The reconciliation report and the pool mart both
    classify with it, so the two can never disagree on a status.
#}
{% macro reconciliation_status(computed_column, published_column) -%}
    case
        when {{ published_column }} is null then 'not_published'
        when {{ computed_column }} is null then 'not_computed'
        when {{ computed_column }} = {{ published_column }} then 'reconciled'
        else 'mismatch'
    end
{%- endmacro %}
