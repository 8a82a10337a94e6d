{# Fails for every row, returned whole so that its key shows, where the column is zero or below. #}
{% test is_positive(model, column_name) %}

select *
from {{ model }}
where {{ column_name }} <= 0

{% endtest %}
