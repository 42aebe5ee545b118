-- A search ranks its matches by where the words occur in the title (A)
-- and the summary and tags (B), from this short vector kept in the row.
-- Ranking on search_vector meant detoasting every match's whole vector,
-- body and file text included: most of a search's time. A match found
-- only in the body or file text ranks after those, newest first.
alter table resources add column rank_vector tsvector generated always as (
    setweight(to_tsvector('english'::regconfig, title), 'A')
    || setweight(to_tsvector('english'::regconfig, summary || ' ' || tags), 'B')
) stored;

-- Counting a list filtered by service and kind reads only the entries it
-- counts: the filters come before the visibility flag.
drop index resources_visible;
create index resources_visible on resources (status, service_id, kind, for_all_customers);
