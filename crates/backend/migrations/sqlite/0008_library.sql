-- The member library: resources, members' bookmarks, and full-text search.
-- Dates (review_date) are Unix seconds at 00:00 UTC, like every other time.

create table resources (
    id                integer primary key,
    service_id        bigint  not null references services (id),
    kind              text    not null check (kind in ('policy', 'procedure', 'information', 'toolkit', 'guidance', 'template')),
    title             text    not null,
    summary           text    not null,
    body_md           text    not null,
    -- lower-case tags joined by ', '
    tags              text    not null default '',
    -- an administrator (checked when written)
    owner_id          bigint  not null references users (id),
    status            text    not null default 'draft' check (status in ('draft', 'published', 'archived')),
    review_date       bigint,
    published_at      bigint,
    for_all_customers bigint  not null default 0 check (for_all_customers in (0, 1)),
    -- text extracted from the resource's latest file, when there is one
    file_text         text,
    created_at        bigint  not null,
    updated_at        bigint  not null
);
-- Covers the visibility rule and the filters, so counting what a member
-- may see reads the index alone.
create index resources_visible on resources (status, service_id, for_all_customers, kind);
create index resources_updated on resources (updated_at);
create index resources_title on resources (lower(title), id);
create index resources_review on resources (review_date) where review_date is not null;
create index resources_owner on resources (owner_id);

-- Resources a member has saved.
create table bookmarks (
    user_id     bigint not null references users (id) on delete cascade,
    resource_id bigint not null references resources (id) on delete cascade,
    created_at  bigint not null,
    updated_at  bigint not null,
    primary key (user_id, resource_id)
);
create index bookmarks_resource on bookmarks (resource_id);

-- Full-text index over the searchable columns, kept in step by triggers.
-- External content: the text lives once, in `resources`.
create virtual table resources_fts using fts5 (
    title, summary, body_md, tags, file_text,
    content = 'resources',
    content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

create trigger resources_fts_insert after insert on resources begin
    insert into resources_fts (rowid, title, summary, body_md, tags, file_text)
    values (new.id, new.title, new.summary, new.body_md, new.tags, new.file_text);
end;

create trigger resources_fts_delete after delete on resources begin
    insert into resources_fts (resources_fts, rowid, title, summary, body_md, tags, file_text)
    values ('delete', old.id, old.title, old.summary, old.body_md, old.tags, old.file_text);
end;

create trigger resources_fts_update after update of title, summary, body_md, tags, file_text on resources begin
    insert into resources_fts (resources_fts, rowid, title, summary, body_md, tags, file_text)
    values ('delete', old.id, old.title, old.summary, old.body_md, old.tags, old.file_text);
    insert into resources_fts (rowid, title, summary, body_md, tags, file_text)
    values (new.id, new.title, new.summary, new.body_md, new.tags, new.file_text);
end;
