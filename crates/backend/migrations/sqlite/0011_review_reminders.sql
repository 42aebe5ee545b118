-- Review reminders sent to a resource's owner: one row per resource, review
-- date and stage ('month': 30 days before; 'day': on the day), so each is
-- sent once however many instances run the job.
create table review_reminders (
    resource_id bigint not null references resources (id) on delete cascade,
    review_date bigint not null,
    stage       text   not null check (stage in ('month', 'day')),
    created_at  bigint not null,
    updated_at  bigint not null,
    primary key (resource_id, review_date, stage)
);
