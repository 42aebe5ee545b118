-- Clients (pseudonymous keys) that have signed in to an account before. The
-- account-wide limit on failed sign-ins does not apply to them, so guessing
-- from elsewhere can slow an account's owner down but never lock them out.
create table sign_in_known_clients (
    account    text   not null,
    client     text   not null,
    created_at bigint not null,
    updated_at bigint not null,
    primary key (account, client)
);
