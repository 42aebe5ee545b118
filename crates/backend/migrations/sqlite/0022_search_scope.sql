-- A search looks up each word match to decide whether the viewer may see
-- it and where it sorts. Read from the resource's row, that costs a walk
-- through text that can spill over several pages; read from this index,
-- keyed by id, it is one small entry. (The search names it: SQLite would
-- otherwise look a row up by its id.)
create index resources_search_scope on resources (id, status, service_id, kind, for_all_customers, updated_at);

-- Counting a list filtered by service and kind reads only the entries it
-- counts: the filters come before the visibility flag.
drop index resources_visible;
create index resources_visible on resources (status, service_id, kind, for_all_customers);
