-- The version of what the public pages show: services, their counts of
-- published resources, content pages. Each instance keeps that content in
-- memory (backend::content::cache) and reads this number at most once a
-- second; these triggers bump it on every change, from any instance.
create table content_version (
    id      bigint primary key check (id = 1),
    version bigint not null
);
insert into content_version (id, version) values (1, 1);

create function bump_content_version() returns trigger language plpgsql as $$
begin
    update content_version set version = version + 1;
    return null;
end
$$;

create trigger services_changed after insert or update or delete on services
    for each statement execute function bump_content_version();
create trigger pages_changed after insert or update or delete on pages
    for each statement execute function bump_content_version();
create trigger resources_counted after insert or delete or update of status, service_id, kind on resources
    for each statement execute function bump_content_version();
