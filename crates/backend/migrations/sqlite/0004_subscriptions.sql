-- The services each organisation subscribes to.
create table organisation_services (
    organisation_id bigint not null references organisations (id) on delete cascade,
    service_id      bigint not null references services (id) on delete cascade,
    created_at      bigint not null,
    updated_at      bigint not null,
    primary key (organisation_id, service_id)
);
create index organisation_services_service on organisation_services (service_id);
