-- Public content, enquiries, accounts, throttling and the audit trail.
-- Times are Unix seconds (bigint) so both engines compare them the same way.

create table services (
    id            integer primary key,
    slug          text    not null unique,
    name          text    not null,
    summary       text    not null,
    body_md       text    not null,
    -- one offer per line: what a subscribing organisation gets in the portal
    portal_offers text    not null default '',
    position      bigint  not null default 0,
    created_at    bigint  not null,
    updated_at    bigint  not null
);

create table pages (
    id         integer primary key,
    slug       text   not null unique,
    title      text   not null,
    summary    text   not null,
    body_md    text   not null,
    created_at bigint not null,
    updated_at bigint not null
);

create table enquiries (
    id           integer primary key,
    name         text   not null,
    organisation text   not null,
    email        text   not null,
    telephone    text,
    message      text   not null,
    handled_at   bigint,
    created_at   bigint not null,
    updated_at   bigint not null
);

create table users (
    id                integer primary key,
    email             text   not null unique,
    full_name         text   not null,
    password_hash     text   not null,
    role              text   not null check (role in ('member', 'admin')),
    email_verified_at bigint,
    created_at        bigint not null,
    updated_at        bigint not null
);

-- Fixed-window counters shared by every instance (rate limits that matter
-- for security must not live in one process's memory).
create table throttles (
    key          text   primary key,
    window_start bigint not null,
    hits         bigint not null,
    created_at   bigint not null,
    updated_at   bigint not null
);

create table audit_events (
    id         integer primary key,
    actor      text   not null,
    action     text   not null,
    subject    text,
    detail     text   not null default '{}',
    created_at bigint not null,
    updated_at bigint not null
);
create index audit_events_created_at on audit_events (created_at);
