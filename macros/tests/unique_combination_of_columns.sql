{#
    Fails for every combination of the given columns that occurs on more than one row:
    the grain test of a model whose key spans several columns.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{{ funding_warehouse.repeated_keys(model, combination_of_columns) }}

{% endtest %}
