-- Member accounts belong to an organisation; sessions, single-use email
-- tokens, second factors and the mail queue.

alter table users add column organisation_id bigint  references organisations (id);
alter table users add column totp_secret text;
alter table users add column totp_enabled_at bigint;
alter table users add column totp_last_step bigint;
create index users_organisation on users (organisation_id);
create index users_unverified on users (created_at) where email_verified_at is null;

-- Server-side sessions. The cookie carries a random token; only its
-- SHA-256 is stored, so a database dump signs nobody in.
create table sessions (
    token_hash   text    primary key,
    user_id      bigint  not null references users (id) on delete cascade,
    stage        text    not null check (stage in ('second_factor', 'signed_in')),
    created_at   bigint  not null,
    last_seen_at bigint  not null,
    updated_at   bigint  not null
);
create index sessions_user on sessions (user_id);

-- Links sent by email: verify an address, reset a password, confirm a new
-- address. Stored hashed, single use, with an expiry.
create table email_tokens (
    token_hash text    primary key,
    user_id    bigint  not null references users (id) on delete cascade,
    purpose    text    not null check (purpose in ('verify', 'reset', 'change_email')),
    new_email  text,
    expires_at bigint  not null,
    used_at    bigint,
    created_at bigint  not null,
    updated_at bigint  not null
);
create index email_tokens_user on email_tokens (user_id);

-- Ten single-use recovery codes per account with a second factor, hashed.
create table recovery_codes (
    id         bigint generated always as identity primary key,
    user_id    bigint  not null references users (id) on delete cascade,
    code_hash  text    not null,
    used_at    bigint,
    created_at bigint  not null,
    updated_at bigint  not null
);
create index recovery_codes_user on recovery_codes (user_id);

-- Outgoing mail, sent by a background worker and retried with backoff.
-- The body is cleared once delivered.
create table outbox (
    id              bigint generated always as identity primary key,
    recipient       text    not null,
    subject         text    not null,
    body            text    not null,
    attempts        bigint  not null default 0,
    next_attempt_at bigint  not null,
    sent_at         bigint,
    last_error      text,
    created_at      bigint  not null,
    updated_at      bigint  not null
);
create index outbox_due on outbox (next_attempt_at) where sent_at is null;

-- Failed sign-ins, per account and client and per client, for throttling
-- that holds across instances. Swept after the window has passed.
create table sign_in_failures (
    id         bigint generated always as identity primary key,
    scope      text   not null,
    failed_at  bigint not null,
    created_at bigint not null,
    updated_at bigint not null
);
create index sign_in_failures_scope on sign_in_failures (scope, failed_at);
