{#
    One row per day of each fiscal year the amounts cover: the time spine of the semantic layer
    (models/semantic/). MetricFlow needs a spine of days, though the document budgets by
    fiscal year, so each day carries its fiscal year, the grain the metrics are reported at.
    Small by construction: 365 or 366 rows a year, whatever the number of lines.

    The days are the year's first day plus 0 to 365 days (three digits, 0-999, cut at 366),
    kept while they fall in the same year. Portable: dbt's cross-database dateadd.
#}

with amounts as (

    select * from {{ ref('stg_appendix__amounts') }}

),

fiscal_years as (

    select distinct fiscal_year
    from amounts

),

digits as (

    {% for digit in range(10) -%}
        select {{ digit }} as digit
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

day_offsets as (

    select hundreds.digit * 100 + tens.digit * 10 + ones.digit as day_offset
    from digits as hundreds
    cross join digits as tens
    cross join digits as ones

),

days as (

    select
        fiscal_years.fiscal_year,
        {{ fiscal_year_start('fiscal_years.fiscal_year') }} as fiscal_year_start_date,
        cast({{ dbt.dateadd('day', 'day_offsets.day_offset', fiscal_year_start('fiscal_years.fiscal_year')) }} as date)
            as date_day

    from fiscal_years
    cross join day_offsets
    where day_offsets.day_offset < 366

),

final as (

    select
        date_day,
        fiscal_year,
        fiscal_year_start_date

    from days
    where date_day < {{ fiscal_year_start('fiscal_year + 1') }}

)

select * from final
