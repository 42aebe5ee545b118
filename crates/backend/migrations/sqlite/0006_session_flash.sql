-- Something to show once on the next page (a new authorisation code,
-- recovery codes): kept with the session that caused it, deleted when shown
-- and with the session.
create table session_flashes (
    token_hash text   primary key references sessions (token_hash) on delete cascade,
    body       text   not null,
    created_at bigint not null,
    updated_at bigint not null
);
