-- The audit viewer: each event names the acting person's organisation at
-- the time (kept as an id with no foreign key, so deleting an organisation
-- leaves its history readable), and the viewer's filters have indexes to
-- run on, newest first.
alter table audit_events add column organisation_id bigint;
create index audit_events_actor on audit_events (actor, id);
create index audit_events_action on audit_events (action, id);
create index audit_events_subject on audit_events (subject, id);
create index audit_events_organisation on audit_events (organisation_id, id);
