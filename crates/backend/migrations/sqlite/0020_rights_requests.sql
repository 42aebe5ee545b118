-- Data-rights requests (access, rectification, erasure, restriction,
-- objection). One a member makes, or one about a member, is linked to
-- their account; someone who wrote in without one is named here instead.
-- Each is due one calendar month after the day it was received, extended
-- by at most two months with a reason. When a person's account is erased
-- the request stays, as a record of what was asked and done, without
-- their name, address or words (erased_at says so).
create table rights_requests (
    id               integer primary key,
    user_id          bigint references users (id) on delete set null,
    requester_name   text,
    requester_email  text,
    kind             text   not null check (kind in ('access', 'rectification', 'erasure', 'restriction', 'objection')),
    details          text   not null,
    received_on      bigint not null,
    due_on           bigint not null,
    extended_months  bigint not null default 0 check (extended_months between 0 and 2),
    extension_reason text,
    state            text   not null check (state in ('open', 'completed', 'refused')),
    outcome_note     text,
    closed_at        bigint,
    logged_by        bigint references users (id) on delete set null,
    erased_at        bigint,
    created_at       bigint not null,
    updated_at       bigint not null
);

create index rights_requests_due on rights_requests (state, due_on);
create index rights_requests_user on rights_requests (user_id);
