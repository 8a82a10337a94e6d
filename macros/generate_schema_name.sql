{#
    Use a folder's custom schema as it is (`marts`, not `main_marts`), so that BI tools
    query `marts.<model>` whatever the target's default schema is.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
