{#
    A SQL string literal holding `text` as it is, quotes included: dbt's `string_literal`
    puts the text between quotes without doubling the quotes inside it, so an input path
    such as /data/region's appendix would end the literal early.
#}
{% macro text_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}
