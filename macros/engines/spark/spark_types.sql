{#
    Spark's names for the column types that the YAML declares (seeds' column_types, the
    contracts' data_type). The YAML uses the SQL names that DuckDB and PostgreSQL both accept;
    Spark accepts all of them but one: `varchar` without a length, which its parser refuses
    (DATATYPE_MISSING_SIZE). Its text type is `string`. Every other name passes unchanged.
#}
{% macro spark__type_name(data_type) -%}
    {%- set name = data_type | string | trim -%}
    {{- 'string' if name | lower in ['varchar', 'text', 'character varying'] else name -}}
{%- endmacro %}

{#
    dbt's cast, on Spark with the type's Spark name. Contracts are checked through it: dbt
    builds an empty row of `cast(null as <data_type>)` for every column of the YAML and
    compares its schema with the model's.
#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ funding_warehouse.spark__type_name(type) }})
{%- endmacro %}

{#
    Seeds: dbt-spark creates the seed's table, and casts every loaded value, with the types of
    `column_types` as written. These two steps get the Spark names first (the same dictionary
    is read by both), then do what dbt-spark does.
#}
{% macro spark__seed_column_types(model) -%}
    {%- set column_types = model['config'].get('column_types', {}) -%}
    {%- for column, data_type in column_types.items() -%}
        {%- do column_types.update({column: funding_warehouse.spark__type_name(data_type)}) -%}
    {%- endfor -%}
{%- endmacro %}

{% macro spark__create_csv_table(model, agate_table) -%}
    {%- do funding_warehouse.spark__seed_column_types(model) -%}
    {{ return(dbt.spark__create_csv_table(model, agate_table)) }}
{%- endmacro %}

{#
    Seed rows on Spark, written as literals. dbt-spark's own loader passes every cell as a
    binding, which its session method pastes into the statement unescaped: a value with an
    apostrophe ("The region's systems") breaks the statement, an empty cell becomes the text
    'None' instead of null, and a number goes through a float. Here an empty cell is null and
    every other value is a string literal, escaped as Spark reads it (a backslash before a
    backslash or a quote), cast to its column's type: text stays as typed, and a number is cast
    from its digits, exactly.
#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- do funding_warehouse.spark__seed_column_types(model) -%}
    {%- set column_types = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for column_name in agate_table.column_names -%}
        {%- do types.append(column_types.get(column_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- if value is none -%}
                        cast(null as {{ types[loop.index0] }})
                    {%- else -%}
                        cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ types[loop.index0] }})
                    {%- endif -%}
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{%- endmacro %}
