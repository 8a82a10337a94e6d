-- The benchmark's baseline: the warehouse's marts and reconciliation, hand-written as one DuckDB
-- script over the same input files. No dbt, no tests beyond the reconciliation, no GX: the
-- least work that yields the same marts. `{input}` is replaced by the input folder.

create schema marts;

create table marts.fct_allocations as
select
    amounts.document_id || '|' || amounts.line_code || '|' || amounts.fiscal_year as allocation_id,
    amounts.document_id, amounts.line_code, amounts.fiscal_year,
    lines.line_label, lines.line_order, lines.project_code, projects.pool_code, projects.spending_purpose,
    amounts.amount_tdkk, amounts.amount_tdkk * documents.unit_factor as amount_dkk,
    documents.currency as currency_code, documents.budget_phase, documents.source_file, amounts.source_line
from read_parquet('{input}/amounts.parquet') as amounts
join read_parquet('{input}/budget_lines.parquet') as lines using (document_id, line_code)
join read_parquet('{input}/projects.parquet') as projects
    on projects.document_id = lines.document_id and projects.project_code = lines.project_code
join read_parquet('{input}/documents.parquet') as documents on documents.document_id = amounts.document_id;

create table marts.dim_pools as
select
    pools.document_id || '|' || pools.pool_code as pool_key, pools.*,
    (select count(distinct project_code) from marts.fct_allocations as a
        where a.document_id = pools.document_id and a.pool_code = pools.pool_code) as project_count
from read_parquet('{input}/pools.parquet') as pools;

create table marts.dim_projects as
select projects.document_id || '|' || projects.project_code as project_key, projects.*, counts.line_count
from read_parquet('{input}/projects.parquet') as projects
left join (
    select document_id, project_code, count(*) as line_count
    from read_parquet('{input}/budget_lines.parquet') group by all
) as counts using (document_id, project_code);

create table computed as
select document_id, 'line' as total_scope, pool_code, line_code, null::integer as fiscal_year,
       sum(amount_tdkk)::bigint as computed
from marts.fct_allocations group by document_id, pool_code, line_code
union all
select document_id, 'pool_year', pool_code, null, fiscal_year, sum(amount_tdkk)::bigint
from marts.fct_allocations group by document_id, pool_code, fiscal_year
union all
select document_id, 'pool', pool_code, null, null, sum(amount_tdkk)::bigint
from marts.fct_allocations group by document_id, pool_code;

create table marts.rpt_reconciliation as
select
    coalesce(p.document_id, c.document_id) as document_id,
    coalesce(p.total_scope, c.total_scope) as total_scope,
    coalesce(p.pool_code, c.pool_code) as pool_code,
    coalesce(p.line_code, c.line_code) as line_code,
    coalesce(p.fiscal_year, c.fiscal_year) as fiscal_year,
    p.label_as_published, p.amount_tdkk as published_amount_tdkk, c.computed as computed_amount_tdkk,
    c.computed - p.amount_tdkk as difference_tdkk,
    case when p.amount_tdkk is null then 'not_published' when c.computed is null then 'not_computed'
         when c.computed = p.amount_tdkk then 'reconciled' else 'mismatch' end as reconciliation_status
from read_parquet('{input}/published_totals.parquet') as p
full outer join computed as c
    on p.document_id = c.document_id and p.total_scope = c.total_scope and p.pool_code = c.pool_code
    and p.line_code is not distinct from c.line_code and p.fiscal_year is not distinct from c.fiscal_year;

create table marts.fct_pool_year_totals as
select
    document_id, pool_code, fiscal_year, computed_amount_tdkk as amount_tdkk,
    computed_amount_tdkk * 1000 as amount_dkk,
    (computed_amount_tdkk / sum(computed_amount_tdkk) over (partition by document_id, fiscal_year))::decimal(9, 6)
        as share_of_year,
    published_amount_tdkk, difference_tdkk, reconciliation_status
from marts.rpt_reconciliation where total_scope = 'pool_year';

create table marts.fct_year_totals as
select document_id, fiscal_year, sum(amount_tdkk)::bigint as amount_tdkk, sum(amount_dkk)::bigint as amount_dkk,
       count(distinct pool_code) as pool_count, count(distinct line_code) as line_count
from marts.fct_allocations group by all;

-- the reconciliation's verdict: how many published totals do not match
select count(*) filter (where reconciliation_status <> 'reconciled') as wrong_totals from marts.rpt_reconciliation;
