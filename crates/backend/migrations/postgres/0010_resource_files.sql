-- Versioned files of library resources. The bytes live in the object store
-- under `storage_key` (never a name anyone typed); this is what is known
-- about them. Version 1 is the first upload; the highest is the latest.
create table resource_files (
    id                 bigint generated always as identity primary key,
    resource_id        bigint  not null references resources (id) on delete cascade,
    version            bigint  not null check (version >= 1),
    -- cleaned on upload: safe to send back in Content-Disposition
    file_name          text    not null,
    -- the type it was recognised as (by content and extension), as served
    content_type       text    not null,
    size_bytes         bigint  not null check (size_bytes >= 0),
    -- hex SHA-256 of the bytes
    sha256             text    not null,
    storage_key        text    not null unique,
    text_status        text    not null default 'pending' check (text_status in ('pending', 'extracted', 'unavailable')),
    -- extraction: a job holds a file until this time; tries so far
    text_claimed_until bigint,
    text_attempts      bigint  not null default 0,
    uploaded_by        bigint  references users (id) on delete set null,
    created_at         bigint  not null,
    updated_at         bigint  not null,
    unique (resource_id, version)
);
create index resource_files_pending on resource_files (text_status, id) where text_status = 'pending';
