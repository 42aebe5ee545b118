-- The version of what the public pages show: services, their counts of
-- published resources, content pages. Each instance keeps that content in
-- memory (backend::content::cache) and reads this number at most once a
-- second; these triggers bump it on every change, from any instance.
create table content_version (
    id      integer primary key check (id = 1),
    version bigint  not null
);
insert into content_version (id, version) values (1, 1);

create trigger services_inserted after insert on services begin
    update content_version set version = version + 1;
end;
create trigger services_updated after update on services begin
    update content_version set version = version + 1;
end;
create trigger services_deleted after delete on services begin
    update content_version set version = version + 1;
end;
create trigger pages_inserted after insert on pages begin
    update content_version set version = version + 1;
end;
create trigger pages_updated after update on pages begin
    update content_version set version = version + 1;
end;
create trigger pages_deleted after delete on pages begin
    update content_version set version = version + 1;
end;
create trigger resources_counted_inserted after insert on resources begin
    update content_version set version = version + 1;
end;
create trigger resources_counted_updated after update of status, service_id, kind on resources begin
    update content_version set version = version + 1;
end;
create trigger resources_counted_deleted after delete on resources begin
    update content_version set version = version + 1;
end;
