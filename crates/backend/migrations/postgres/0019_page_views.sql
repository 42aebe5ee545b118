-- Usage statistics without cookies (P10): views of each page on each day
-- (Unix seconds at 00:00 UTC), by the host of the site the visitor came
-- from ('' for none or this site). Nothing here says who viewed a page.
create table page_views (
    day        bigint not null,
    path       text   not null,
    referrer   text   not null,
    views      bigint not null,
    created_at bigint not null,
    updated_at bigint not null,
    primary key (day, path, referrer)
);
