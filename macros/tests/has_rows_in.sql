{#
    Every row of the model has at least one row in `to` with the same `columns`: a document
    that no amount belongs to, for example, would publish nothing and yet, as a revision,
    hide the document it supersedes. The same anti-join as has_parent, read the other way.
#}
{% test has_rows_in(model, to, columns) %}

{{ test_has_parent(model=model, to=to, columns=columns) }}

{% endtest %}
