-- One inbox for the service team: members' messages from the portal and
-- public enquiries from the contact form. A member's message belongs to
-- their account (and goes when it is erased); an enquiry carries the
-- sender's details itself. Only administrators read the inbox (P4).
create table messages (
    id                  integer primary key,
    user_id             bigint references users (id) on delete cascade,
    organisation_id     bigint references organisations (id) on delete set null,
    sender_name         text,
    sender_email        text,
    sender_organisation text,
    sender_telephone    text,
    service_id          bigint references services (id) on delete set null,
    subject             text   not null,
    body                text   not null,
    state               text   not null check (state in ('new', 'in_progress', 'closed')),
    assignee_id         bigint references users (id) on delete set null,
    created_at          bigint not null,
    updated_at          bigint not null,
    check (user_id is not null or (sender_name is not null and sender_email is not null))
);

create index messages_inbox on messages (state, updated_at);
create index messages_sender on messages (user_id, updated_at);

-- Replies (emailed to the sender; a member also sees them in the portal)
-- and internal notes (administrators only), oldest first.
create table message_entries (
    id          integer primary key,
    message_id  bigint not null references messages (id) on delete cascade,
    kind        text   not null check (kind in ('reply', 'note')),
    author_id   bigint references users (id) on delete set null,
    author_name text   not null,
    body        text   not null,
    created_at  bigint not null,
    updated_at  bigint not null
);

create index message_entries_message on message_entries (message_id, id);

-- Earlier public enquiries join the inbox, as new or (if handled) closed.
insert into messages (sender_name, sender_email, sender_organisation, sender_telephone, subject, body,
                      state, created_at, updated_at)
select name, email, organisation, telephone, 'Enquiry from ' || organisation, message,
       case when handled_at is null then 'new' else 'closed' end, created_at, updated_at
from enquiries
order by id;

drop table enquiries;
