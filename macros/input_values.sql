{#
    A text column of a large appendix table (projects, budget lines, amounts, published
    totals) as staging keeps it. Text typed by hand (the seeds, a CSV file) is trimmed, and
    with `case` set to 'lower' or 'upper' brought to that case. A Parquet file stores typed
    values written by a program: they are taken as written, which saves a trim of every value
    in every test and model that reads them, a cost that grows with the input. In these tables a stray space or
    capital in a key or a coded value is not repaired but fails a key, relationship or
    accepted-values test, which names the row; in a name or label it stays as written. The
    small tables (documents, pools) are trimmed and cased in every mode.
#}
{% macro input_text(column, case=none) -%}
    {%- if var('input_mode', 'seeds') == 'files' and var('input_format', 'parquet') == 'parquet' -%}
        {{ column }}
    {%- elif case == 'lower' -%}
        lower(trim({{ column }}))
    {%- elif case == 'upper' -%}
        upper(trim({{ column }}))
    {%- else -%}
        trim({{ column }})
    {%- endif -%}
{%- endmacro %}

