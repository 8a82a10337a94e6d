-- The benchmark's baseline: the warehouse's marts, column for column, hand-written as one
-- DuckDB script over the same input files. No dbt, no tests beyond the reconciliation itself,
-- no GX: the least work that yields the same tables. `make bench` checks that they hold the
-- same rows as the pipeline's. `{input}` is replaced by the input folder.
--
-- It takes the same shortcuts as the models where they are the fastest way (one grouping-sets
-- pass for the three scopes of totals), and skips what clean input does not need (trimming).
-- The document dimension comes first: it is tiny, and the fact table takes each document's
-- unit, currency, phase and whether a revision has replaced it from there.

create schema marts;

create table marts.dim_documents as
select
    documents.document_id, documents.issuer, documents.title as document_title,
    documents.title_en as document_title_en, documents.budget_phase, documents.currency as currency_code,
    documents.unit_factor::integer as unit_factor, documents.supersedes_document_id,
    revisions.superseded_by_document_id, revisions.superseded_by_document_id is null as is_current,
    documents.source_file
from read_parquet('{input}/documents.parquet') as documents
left join (
    select supersedes_document_id as document_id, min(document_id) as superseded_by_document_id
    from read_parquet('{input}/documents.parquet')
    where supersedes_document_id is not null
    group by all
) as revisions using (document_id);

create table marts.fct_allocations as
select
    amounts.document_id || '|' || amounts.line_code || '|' || amounts.fiscal_year as allocation_id,
    amounts.document_id || '|' || projects.pool_code as pool_key,
    amounts.document_id || '|' || lines.project_code as project_key,
    amounts.document_id, amounts.line_code, amounts.fiscal_year::integer as fiscal_year,
    make_date(amounts.fiscal_year, 1, 1) as fiscal_year_start_date,
    lines.line_label, lines.line_order::integer as line_order, lines.project_code, projects.pool_code,
    projects.spending_purpose, amounts.amount_tdkk::bigint as amount_tdkk,
    (amounts.amount_tdkk * documents.unit_factor)::bigint as amount_dkk,
    documents.currency_code, documents.budget_phase, documents.is_current as is_current_document,
    documents.source_file, amounts.source_line::integer as source_line
from read_parquet('{input}/amounts.parquet') as amounts
join read_parquet('{input}/budget_lines.parquet') as lines using (document_id, line_code)
join read_parquet('{input}/projects.parquet') as projects
    on projects.document_id = lines.document_id and projects.project_code = lines.project_code
join marts.dim_documents as documents on documents.document_id = amounts.document_id;

create table marts.dim_projects as
select
    projects.document_id || '|' || projects.project_code as project_key,
    projects.document_id || '|' || projects.pool_code as pool_key,
    projects.document_id, projects.project_code, projects.project_name,
    projects.description_en as project_description_en, projects.spending_purpose, projects.pool_code,
    pools.pool_name, coalesce(counts.line_count, 0) as line_count, counts.source_line
from read_parquet('{input}/projects.parquet') as projects
left join read_parquet('{input}/pools.parquet') as pools using (document_id, pool_code)
left join (
    select document_id, project_code, count(*) as line_count, min(source_line)::integer as source_line
    from read_parquet('{input}/budget_lines.parquet') group by all
) as counts using (document_id, project_code);

create table marts.dim_pools as
select
    pools.document_id || '|' || pools.pool_code as pool_key,
    pools.document_id, pools.pool_code, pools.pool_name, pools.pool_name_en, pools.collaboration,
    coalesce(counts.project_count, 0) as project_count, coalesce(counts.line_count, 0) as line_count,
    pools.source_line::integer as source_line
from read_parquet('{input}/pools.parquet') as pools
left join (
    select document_id, pool_code, count(*) filter (where line_count > 0) as project_count,
           sum(line_count)::bigint as line_count
    from marts.dim_projects group by all
) as counts using (document_id, pool_code);

create table marts.rpt_reconciliation as
with computed as (
    select
        case when line_code is not null then 'line' when fiscal_year is not null then 'pool_year' else 'pool' end
            as total_scope,
        document_id, pool_code, line_code, line_label, fiscal_year,
        sum(amount_tdkk)::bigint as computed, count(*) as amount_row_count
    from marts.fct_allocations
    group by grouping sets (
        (document_id, pool_code, line_code, line_label), (document_id, pool_code, fiscal_year), (document_id, pool_code)
    )
),
matched as (
    select
        coalesce(p.document_id, c.document_id) as document_id,
        coalesce(p.total_scope, c.total_scope) as total_scope,
        coalesce(p.pool_code, c.pool_code) as pool_code,
        coalesce(p.line_code, c.line_code) as line_code,
        coalesce(p.fiscal_year::integer, c.fiscal_year) as fiscal_year,
        c.line_label, p.label_as_published, p.amount_tdkk::bigint as published, c.computed,
        coalesce(c.amount_row_count, 0) as amount_row_count, p.source_line::integer as source_line
    from read_parquet('{input}/published_totals.parquet') as p
    full outer join computed as c
        on p.document_id = c.document_id and p.total_scope = c.total_scope and p.pool_code = c.pool_code
        and p.line_code is not distinct from c.line_code and p.fiscal_year is not distinct from c.fiscal_year
),
labels as (
    -- only a published line total with nothing computed lacks its label
    select lines.document_id, lines.line_code, lines.line_label
    from read_parquet('{input}/budget_lines.parquet') as lines
    semi join matched
        on matched.document_id = lines.document_id and matched.line_code = lines.line_code
        and matched.total_scope = 'line' and matched.line_label is null
)
select
    m.document_id || '|' || m.total_scope || '|' || m.pool_code || '|' || coalesce(m.line_code, '') || '|'
        || coalesce(m.fiscal_year::varchar, '') as reconciliation_id,
    m.document_id, m.total_scope, m.pool_code, pools.pool_name, m.line_code,
    coalesce(m.line_label, labels.line_label) as line_label, m.fiscal_year, m.label_as_published,
    m.published as published_amount_tdkk, m.computed as computed_amount_tdkk,
    m.computed - m.published as difference_tdkk, m.amount_row_count,
    case when m.published is null then 'not_published' when m.computed is null then 'not_computed'
         when m.computed = m.published then 'reconciled' else 'mismatch' end as reconciliation_status,
    documents.source_file, m.source_line
from matched as m
left join read_parquet('{input}/pools.parquet') as pools using (document_id, pool_code)
left join marts.dim_documents as documents using (document_id)
left join labels using (document_id, line_code);

create table marts.fct_pool_year_totals as
select
    r.document_id || '|' || r.pool_code || '|' || r.fiscal_year as pool_year_id,
    r.document_id || '|' || r.pool_code as pool_key,
    r.document_id, r.pool_code, r.pool_name, r.fiscal_year, make_date(r.fiscal_year, 1, 1) as fiscal_year_start_date,
    r.computed_amount_tdkk as amount_tdkk, (r.computed_amount_tdkk * documents.unit_factor)::bigint as amount_dkk,
    (r.computed_amount_tdkk::decimal(38, 12)
        / nullif(sum(r.computed_amount_tdkk) over (partition by r.document_id, r.fiscal_year), 0))::decimal(9, 6)
        as share_of_year,
    r.amount_row_count as line_count, r.published_amount_tdkk, r.difference_tdkk, r.reconciliation_status,
    documents.is_current as is_current_document,
    sum(r.computed_amount_tdkk) over (partition by r.document_id, r.fiscal_year)::bigint as year_amount_tdkk
from marts.rpt_reconciliation as r
left join marts.dim_documents as documents using (document_id)
where r.total_scope = 'pool_year';

create table marts.fct_year_totals as
select
    document_id || '|' || fiscal_year as year_id, document_id, fiscal_year, fiscal_year_start_date,
    is_current_document, sum(amount_tdkk)::bigint as amount_tdkk, sum(amount_dkk)::bigint as amount_dkk,
    count(*) filter (where line_count > 0) as pool_count, sum(line_count)::bigint as line_count
from marts.fct_pool_year_totals group by document_id, fiscal_year, fiscal_year_start_date, is_current_document;

-- The appendix's tables: a row per line and per pool total, a column per fiscal year (DuckDB's
-- PIVOT takes the columns from the data, as the model's macro does).
create table marts.rpt_appendix_tables as
with cells as (
    select document_id, pool_code, line_code, 'amount_' || fiscal_year || '_tdkk' as cell, amount_tdkk
    from marts.fct_allocations
    union all
    select document_id, pool_code, line_code, coalesce('amount_' || fiscal_year || '_tdkk', 'total_tdkk'),
        computed_amount_tdkk
    from marts.rpt_reconciliation where computed_amount_tdkk is not null
),
pivoted as (
    pivot cells on cell using first(amount_tdkk) group by document_id, pool_code, line_code
),
pool_totals as (
    select document_id, pool_code, label_as_published, source_line::integer as source_line
    from read_parquet('{input}/published_totals.parquet') where total_scope = 'pool'
),
pools as (
    select document_id, pool_code, pool_name,
        row_number() over (partition by document_id order by source_line, pool_code) as table_number
    from read_parquet('{input}/pools.parquet')
)
select
    t.document_id || '|' || t.pool_code || '|' || coalesce(t.line_code, '') as appendix_row_id,
    t.document_id, pools.table_number, t.pool_code, pools.pool_name,
    row_number() over (
        partition by t.document_id, t.pool_code order by t.line_code is null, lines.line_order::integer, t.line_code
    ) as row_number_in_table,
    case when t.line_code is null then 'pool_total' else 'line' end as row_kind, t.line_code,
    coalesce(lines.line_label, pool_totals.label_as_published, pools.pool_name) as row_label,
    columns('^amount_[0-9]+_tdkk$'), t.total_tdkk,
    coalesce(lines.source_line::integer, pool_totals.source_line) as source_line
from pivoted as t
left join read_parquet('{input}/budget_lines.parquet') as lines
    on lines.document_id = t.document_id and lines.line_code = t.line_code
left join pool_totals on pool_totals.document_id = t.document_id and pool_totals.pool_code = t.pool_code
    and t.line_code is null
left join pools on pools.document_id = t.document_id and pools.pool_code = t.pool_code;

-- The semantic layer's time spine: every day of every fiscal year of the amounts.
create table marts.dim_dates as
select unnest(range(make_date(fiscal_year, 1, 1), make_date(fiscal_year + 1, 1, 1), interval 1 day))::date
        as date_day,
    fiscal_year, make_date(fiscal_year, 1, 1) as fiscal_year_start_date
from (select distinct fiscal_year::integer as fiscal_year from read_parquet('{input}/amounts.parquet'));

-- The release's one row. Its document lists are derived from the data, like any mart's rows.
-- The rest describes one run (its id and times, the commit, the dbt and engine versions, the
-- inputs' checksums), for which the baseline has no counterpart: it stamps its own id, time and
-- engine version and leaves the rest empty. The bench compares this mart's columns (names,
-- order and types) and its document lists only (PER_RUN_MARTS in baseline.py).
create table marts.release_info as
select
    'baseline' as release_id, (now() at time zone 'UTC')::timestamp as built_at_utc,
    null::timestamp as published_at_utc, null::varchar as git_commit, null::varchar as dbt_version,
    version() as engine_version,
    string_agg(document_id, ', ' order by document_id) as document_ids,
    string_agg(case when is_current then document_id end, ', ' order by document_id) as current_document_ids,
    null::varchar as input_checksums
from marts.dim_documents;

-- the reconciliation's verdict: how many published totals do not match
select count(*) filter (where reconciliation_status <> 'reconciled') as wrong_totals from marts.rpt_reconciliation;
