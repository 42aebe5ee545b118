-- Counting a list filtered by service and kind reads only the entries it
-- counts: the filters come before the visibility flag.
drop index resources_visible;
create index resources_visible on resources (status, service_id, kind, for_all_customers);
