-- Old audit events can be pruned without losing the chain. Before events
-- up to place `seq` are deleted, a checkpoint keeps that place and its
-- hash, signed with a key derived from SECRET_KEY: the chain check starts
-- from the newest checkpoint, and nobody without the key can make one to
-- pass off a chain with events cut from it.
create table audit_checkpoints (
    seq        bigint primary key,
    hash       text   not null,
    pruned     bigint not null,
    signature  text   not null,
    created_at bigint not null,
    updated_at bigint not null
);
