-- The member library's two orders, for published resources: a page of the
-- list reads its twenty rows from these in order and stops, instead of
-- sorting every visible resource.
create index resources_published_updated on resources (status, updated_at, id);
create index resources_published_title on resources (status, lower(title), id);
-- Filtered by service and kind, as the library's filters ask.
create index resources_published_service_kind_title on resources (status, service_id, kind, lower(title), id);
create index resources_published_service_kind_updated on resources (status, service_id, kind, updated_at, id);
