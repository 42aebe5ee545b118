-- One row per throttled scope of failed attempts (an account, a client, an
-- account on one client, an account's second factor). Every attempt locks
-- its scopes' rows before it is counted, so concurrent attempts are counted
-- one after another and cannot all slip under a limit. `warned_at` is when
-- the account's owner was last emailed about failures in this scope.
create table sign_in_scopes (
    scope      text   primary key,
    warned_at  bigint,
    created_at bigint not null,
    updated_at bigint not null
);
