{#
    The fiscal years a relation holds, sorted, read from the database when the model that asks
    is compiled for a run: a report whose columns are the years (one column a year) takes them
    from the data, never from a list typed into its SQL. While dbt only parses the project, or
    when the relation is not built yet (a linter's compile), the list is empty.
#}
{% macro fiscal_years_in(relation, column='fiscal_year') -%}
    {%- set years = [] -%}
    {%- if execute and load_relation(relation) is not none -%}
        {%- set query -%}
            select distinct {{ column }} from {{ relation }} where {{ column }} is not null order by {{ column }}
        {%- endset -%}
        {%- for year in run_query(query).columns[0].values() -%}
            {%- do years.append(year | int) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(years) }}
{%- endmacro %}

{#
    The name of a fiscal year's column in a report with one column a year.
#}
{% macro fiscal_year_column(year) -%}
    amount_{{ year }}_tdkk
{%- endmacro %}

{#
    A description, written into the database, for each year column of a report with one column
    a year (a post-hook): the columns are not in the model's YAML, since the data decides them.
    The years are read from the built report's own columns, named by fiscal_year_column, so the
    hook describes exactly the columns there are, without reading the data a second time.
#}
{% macro describe_fiscal_year_columns(relation) -%}
    {%- set year_column = modules.re.compile(fiscal_year_column('([0-9]+)')) -%}
    {%- set columns = {} -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- set match = year_column.fullmatch(column.name) -%}
        {%- if match -%}
            {%- do columns.update({column.name: {
                'description': 'The amount for fiscal year ' ~ match.group(1) ~ ', in thousands of DKK as published.'
                    ~ ' Additive down a table\'s lines; the pool_total row holds their sum.',
                'quote': false,
            }}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if columns -%}
        {{ alter_column_comment(relation, columns) }}
    {%- endif -%}
{%- endmacro %}
