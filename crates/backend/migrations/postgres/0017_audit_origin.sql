-- Where each event came from: the caller's pseudonymous client key (a
-- keyed, truncated hash of their network address, never the address) and
-- their browser's family ("Firefox", "Command line"). Empty for events
-- written outside a request (background jobs, commands on the server),
-- and for events written before this migration.
alter table audit_events add column client text;
alter table audit_events add column agent text;
