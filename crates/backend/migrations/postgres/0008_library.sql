-- The member library: resources, members' bookmarks, and full-text search.
-- Dates (review_date) are Unix seconds at 00:00 UTC, like every other time.

create table resources (
    id                bigint generated always as identity primary key,
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
    -- Weighted search vector, maintained by the database. File text is cut
    -- at a million characters to stay well inside tsvector's size limit.
    search_vector     tsvector generated always as (
        setweight(to_tsvector('english'::regconfig, title), 'A')
        || setweight(to_tsvector('english'::regconfig, summary || ' ' || tags), 'B')
        || setweight(to_tsvector('english'::regconfig, body_md), 'C')
        || setweight(to_tsvector('english'::regconfig, left(coalesce(file_text, ''), 1000000)), 'D')
    ) stored,
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
create index resources_search on resources using gin (search_vector);

-- Resources a member has saved.
create table bookmarks (
    user_id     bigint not null references users (id) on delete cascade,
    resource_id bigint not null references resources (id) on delete cascade,
    created_at  bigint not null,
    updated_at  bigint not null,
    primary key (user_id, resource_id)
);
create index bookmarks_resource on bookmarks (resource_id);
