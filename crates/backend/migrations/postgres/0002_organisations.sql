-- Customer organisations (commercial information only, P1), their key
-- contacts and email domains, and their authorisation codes (P2).

create table organisations (
    id                bigint generated always as identity primary key,
    name              text   not null,
    ods_code          text   unique,
    address_line1     text   not null,
    address_line2     text,
    town              text   not null,
    postcode          text   not null,
    telephone         text   not null,
    email             text   not null,
    website           text,
    status            text   not null default 'active' check (status in ('active', 'suspended', 'ended')),
    status_changed_at bigint not null,
    status_reason     text   not null default '',
    created_at        bigint not null,
    updated_at        bigint not null
);

create table organisation_contacts (
    id              bigint generated always as identity primary key,
    organisation_id bigint not null references organisations (id) on delete cascade,
    position        bigint not null,
    name            text   not null,
    role            text   not null,
    email           text   not null,
    telephone       text,
    created_at      bigint not null,
    updated_at      bigint not null
);
create index organisation_contacts_org on organisation_contacts (organisation_id);

-- Every change of status, with its reason, for the record.
create table organisation_status_changes (
    id              bigint generated always as identity primary key,
    organisation_id bigint not null references organisations (id) on delete cascade,
    status          text   not null,
    reason          text   not null,
    actor           text   not null,
    created_at      bigint not null,
    updated_at      bigint not null
);

-- Domains an administrator marks as used by many organisations (nhs.net).
create table shared_domains (
    domain     text   primary key,
    created_at bigint not null,
    updated_at bigint not null
);

-- An organisation's allowed registration domains. A domain that is not
-- shared belongs to one organisation only: the partial unique index makes
-- the database itself refuse a second claim.
create table organisation_domains (
    organisation_id bigint not null references organisations (id) on delete cascade,
    domain          text   not null,
    exclusive       bigint not null,
    created_at      bigint not null,
    updated_at      bigint not null,
    primary key (organisation_id, domain)
);
create unique index organisation_domains_exclusive on organisation_domains (domain) where exclusive = 1;

-- Codes are stored only as HMAC-SHA256(secret, code): a dump of this table
-- admits nobody. At most one live (unrevoked) code per organisation.
create table authorisation_codes (
    id              bigint generated always as identity primary key,
    organisation_id bigint not null references organisations (id) on delete cascade,
    code_hash       text   not null unique,
    expires_at      bigint,
    max_uses        bigint,
    uses            bigint not null default 0,
    revoked_at      bigint,
    created_at      bigint not null,
    updated_at      bigint not null
);
create unique index authorisation_codes_live on authorisation_codes (organisation_id) where revoked_at is null;
