{#
    The relation a staging model reads its appendix table from: the dbt seed of that name, or,
    with `input_mode: files`, the same table read in place from a Parquet or CSV file (the
    source `appendix_files`). Staging models are the same SQL in both modes.
#}
{% macro appendix_input(table_name) -%}
    {%- if var('input_mode', 'seeds') == 'files' -%}
        {{ source('appendix_files', table_name) }}
    {%- else -%}
        {{ ref(table_name) }}
    {%- endif -%}
{%- endmacro %}
