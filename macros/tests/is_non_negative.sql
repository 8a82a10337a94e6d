{# Fails for every row, returned whole so that its key shows, where the column is below zero. #}
{% test is_non_negative(model, column_name) %}

select *
from {{ model }}
where {{ column_name }} < 0

{% endtest %}
