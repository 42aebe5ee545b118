-- Tamper evidence for the audit trail: each event carries its place in the
-- chain (seq), the previous event's hash and its own hash over its content
-- and that previous hash. `audit_head` holds the chain's end; every writer
-- updates it first, so writers on any number of instances take their
-- places one after another (a row lock on PostgreSQL, the write lock on
-- SQLite). Events written before this migration are sealed into the chain
-- at the next start, in id order.
alter table audit_events add column seq bigint;
alter table audit_events add column prev_hash text;
alter table audit_events add column hash text;
create unique index audit_events_seq on audit_events (seq);

create table audit_head (
    id         integer primary key check (id = 1),
    seq        bigint  not null,
    hash       text    not null,
    updated_at bigint  not null
);

insert into audit_head (id, seq, hash, updated_at)
values (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);
