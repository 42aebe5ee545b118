//! Everything held about a person (P6), on SQLite and PostgreSQL: the
//! declaration of what is held covers every column of every table that
//! refers to people, as the database's own schema lists them, so a new
//! column or table fails here until it is shown or its withholding
//! explained; and a member's download holds their data and nothing of
//! anyone else's, and no secret.

use backend::auth::{self, SignIn};
use backend::mydata::{self, NOT_ABOUT_PEOPLE, SOURCES};
use backend::testing::fixtures::{self, organisation, service, user};
use backend::{Backend, Db, Error, audit, contact, library, messages, rights, sessions, stories};
use domain::Email;
use domain::account::Role;
use domain::messages::{EntryKind, NewMessage};
use domain::organisation::OrgStatus;
use domain::rights::{Extension, LoggedRequest, NewRequest, RequestKind};
use domain::site::SiteInfo;
use std::collections::BTreeSet;

stories!(
    what_is_held_is_declared_for_every_column_of_every_table_about_people,
    a_download_holds_the_members_data_and_nothing_of_anyone_elses,
    an_erased_account_leaves_its_name_and_address_nowhere_and_the_trail_whole,
);

/// Tables with a foreign key to `users`.
async fn tables_referring_to_people(db: &Db) -> BTreeSet<String> {
    let rows: Vec<(String,)> = match db.backend() {
        Backend::Sqlite => {
            sqlx::query_as(
                "select m.name from sqlite_master m, pragma_foreign_key_list(m.name) f \
                 where m.type = 'table' and f.\"table\" = 'users'",
            )
            .fetch_all(db.pool())
            .await
        }
        Backend::Postgres => {
            sqlx::query_as(
                "select conrelid::regclass::text from pg_constraint \
                 where contype = 'f' and confrelid = 'users'::regclass",
            )
            .fetch_all(db.pool())
            .await
        }
    }
    .expect("foreign keys");
    rows.into_iter().map(|(t,)| t).collect()
}

async fn columns(db: &Db, table: &str) -> BTreeSet<String> {
    let rows: Vec<(String,)> = match db.backend() {
        Backend::Sqlite => {
            sqlx::query_as("select name from pragma_table_info($1)")
                .bind(table)
                .fetch_all(db.pool())
                .await
        }
        Backend::Postgres => {
            sqlx::query_as(
                "select column_name::text from information_schema.columns \
                 where table_schema = current_schema() and table_name = $1",
            )
            .bind(table)
            .fetch_all(db.pool())
            .await
        }
    }
    .expect("columns");
    rows.into_iter().map(|(c,)| c).collect()
}

async fn what_is_held_is_declared_for_every_column_of_every_table_about_people(db: Db) {
    let mut about_people = tables_referring_to_people(&db).await;
    about_people.insert("users".to_owned());
    assert!(about_people.len() >= 8, "{about_people:?}");
    let declared: BTreeSet<&str> = SOURCES.iter().map(|s| s.table).collect();
    for table in &about_people {
        assert!(
            declared.contains(table.as_str()) || NOT_ABOUT_PEOPLE.iter().any(|(t, _)| t == table),
            "{table} refers to people: declare its columns in backend::mydata::SOURCES \
             (shown, or withheld and why), or say in NOT_ABOUT_PEOPLE why it holds nothing about them"
        );
    }
    for source in SOURCES {
        let names: Vec<&str> = source.columns.iter().map(|c| c.name()).collect();
        let unique: BTreeSet<String> = names.iter().map(|n| (*n).to_owned()).collect();
        assert_eq!(
            unique.len(),
            names.len(),
            "{}: a column declared twice",
            source.table
        );
        assert_eq!(
            unique,
            columns(&db, source.table).await,
            "{}: every column, and only its columns, must be declared shown or withheld",
            source.table
        );
    }
}

async fn a_download_holds_the_members_data_and_nothing_of_anyone_elses(db: Db) {
    let site = SiteInfo::default();
    let medicines = service(&db, "medicines").await;
    let riverside = organisation(&db, "Riverside Surgery", OrgStatus::Active, &[medicines]).await;
    let admin = user(&db, "alex@csu.example", Role::Admin, None).await;
    fixtures::member(&db, riverside, "sam@riverside.example", "Sam Member").await;
    fixtures::member(&db, riverside, "kim@riverside.example", "Kim Other").await;
    let sam = fixtures::signed_in(&db, "sam@riverside.example").await;
    let kim = fixtures::signed_in(&db, "kim@riverside.example").await;
    let resource = fixtures::published(&db, &admin, medicines, "Cold chain").await;
    library::bookmark(&db, &sam.viewer, resource)
        .await
        .expect("saved");
    let team = Email::parse("team@csu.example").expect("email");
    let mut sent = Vec::new();
    for (who, subject) in [
        (&sam, "Fridge alarm at Riverside"),
        (&kim, "Kim's private question"),
    ] {
        let message = NewMessage {
            subject: subject.to_owned(),
            body: format!("{subject}: the details."),
            service_id: Some(medicines),
        };
        sent.push(
            messages::send(&db, &who.viewer, &message, &team, &site)
                .await
                .expect("sent"),
        );
    }
    messages::add_entry(
        &db,
        &admin,
        sent[0],
        EntryKind::Reply,
        "Reply: call the pharmacy.",
        &site,
    )
    .await
    .expect("replied");
    messages::add_entry(
        &db,
        &admin,
        sent[0],
        EntryKind::Note,
        "Note: the team only.",
        &site,
    )
    .await
    .expect("noted");

    let export = mydata::export(&db, &sam.viewer).await.expect("export");
    let text = export.to_string();
    for held in [
        "sam@riverside.example",
        "Sam Member",
        "Riverside Surgery",
        "Fridge alarm at Riverside",
        "Reply: call the pharmacy.",
        "account.signed_in",
    ] {
        assert!(text.contains(held), "the download holds {held:?}");
    }
    let sections = &export["sections"];
    assert_eq!(
        sections["saved_resources"]["rows"][0]["resource_id"],
        resource
    );
    assert_eq!(sections["account"]["rows"][0]["id"], sam.viewer.id);
    assert!(
        sections["account"]["withheld"]["password_hash"].is_string(),
        "what is withheld is named, with why"
    );
    let (hash, token): (String, String) = sqlx::query_as(
        "select u.password_hash, s.token_hash from users u join sessions s on s.user_id = u.id \
         where u.id = $1",
    )
    .bind(sam.viewer.id)
    .fetch_one(db.pool())
    .await
    .expect("secrets");
    for not_held in [
        "kim@riverside.example",
        "Kim Other",
        "Kim's private question",
        "Note: the team only.",
        hash.as_str(),
        token.as_str(),
    ] {
        assert!(
            !text.contains(not_held),
            "the download must not hold {not_held:?}"
        );
    }
    // The page shows the newest rows of each section and says how many
    // there are in all.
    let page = mydata::gather(&db, &sam.viewer, Some(1))
        .await
        .expect("page");
    let events = page
        .sections
        .iter()
        .find(|s| s.name == "audit_events")
        .expect("audit events");
    assert_eq!(events.rows.len(), 1);
    assert!(events.total > 1, "{}", events.total);
    let domain::mydata::Value::Number(newest) = events.rows[0][0] else {
        panic!("an event's id: {:?}", events.rows[0]);
    };
    let ids: Vec<i64> = sections["audit_events"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["id"].as_i64().expect("an id"))
        .collect();
    assert!(
        ids.iter().all(|&id| id <= newest),
        "the page's one row is the newest: {newest} against {ids:?}"
    );
    // Every section of the declaration is in the download, with each row
    // keyed by its shown fields.
    for source in SOURCES {
        let section = &sections[source.name];
        assert!(section.is_object(), "{} is in the download", source.name);
        for row in section["rows"].as_array().expect("rows") {
            let keys: Vec<&String> = row.as_object().expect("an object").keys().collect();
            let shown = source
                .columns
                .iter()
                .filter(|c| matches!(c, mydata::Column::Shown(..)))
                .count();
            assert_eq!(keys.len(), shown, "{}: {keys:?}", source.name);
        }
    }
}

/// Every text column of every table, as `(table, column)`.
async fn text_columns(db: &Db) -> Vec<(String, String)> {
    let rows: Vec<(String, String)> = match db.backend() {
        Backend::Sqlite => {
            sqlx::query_as(
                "select m.name, c.name from sqlite_master m, pragma_table_info(m.name) c \
                 where m.type = 'table' and m.name not like 'sqlite_%' \
                 and m.name not like 'resources_fts%' and upper(c.type) = 'TEXT'",
            )
            .fetch_all(db.pool())
            .await
        }
        Backend::Postgres => {
            sqlx::query_as(
                "select table_name::text, column_name::text from information_schema.columns \
                 where table_schema = current_schema() \
                 and data_type in ('text', 'character varying')",
            )
            .fetch_all(db.pool())
            .await
        }
    }
    .expect("columns");
    assert!(rows.len() > 40, "{rows:?}");
    rows
}

/// The `(table, column)`s holding `needle` anywhere, ignoring case.
async fn holding(db: &Db, needle: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (table, column) in text_columns(db).await {
        let sql = format!("select count(*) from {table} where lower({column}) like $1");
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(format!("%{}%", needle.to_lowercase()))
            .fetch_one(db.pool())
            .await
            .expect("count");
        if n > 0 {
            found.push((table, column));
        }
    }
    found
}

async fn an_erased_account_leaves_its_name_and_address_nowhere_and_the_trail_whole(db: Db) {
    let keys = backend::keys::Keys::derive(b"test-secret-test-secret-test-secret!").expect("keys");
    let site = SiteInfo::default();
    let medicines = service(&db, "medicines").await;
    let riverside = organisation(&db, "Riverside Surgery", OrgStatus::Active, &[medicines]).await;
    let admin = user(&db, "alex@csu.example", Role::Admin, None).await;
    let (email, name) = ("quinn_q@riverside.example", "Quinn Zebedee");
    // An enquiry sent before registering, from the same address.
    contact::submit_enquiry(
        &db,
        "client-a",
        &domain::enquiry::EnquiryInput {
            name: name.to_owned(),
            email: email.to_owned(),
            organisation: "Riverside Surgery".to_owned(),
            telephone: String::new(),
            message: "How do we subscribe?".to_owned(),
        },
        &Email::parse("team@csu.example").expect("email"),
        &site,
    )
    .await
    .expect("enquiry");
    let id = fixtures::member(&db, riverside, email, name).await;
    // A wrong password first: counted, and the address is in the
    // throttle's records.
    assert_eq!(
        auth::sign_in(&db, "client-a", email, "not the password at all")
            .await
            .expect("refused"),
        SignIn::Refused
    );
    let session = fixtures::signed_in(&db, email).await;
    let token = session.token.clone();
    auth::request_email_change(
        &db,
        &site,
        &session,
        fixtures::PASSWORD,
        "quinn.new@riverside.example",
    )
    .await
    .expect("a mail with a link to them");
    let message = NewMessage {
        subject: format!("From {name}"),
        body: format!("Regards, {name}"),
        service_id: None,
    };
    let sent = messages::send(
        &db,
        &session.viewer,
        &message,
        &Email::parse("team@csu.example").expect("email"),
        &site,
    )
    .await
    .expect("sent");
    messages::add_entry(
        &db,
        &admin,
        sent,
        EntryKind::Reply,
        &format!("Dear {name}"),
        &site,
    )
    .await
    .expect("replied");
    // Data-rights requests: one they made, in their own words, extended
    // (the reason and the email to them name them), and one an
    // administrator logged from their address before they had an account.
    let own = rights::submit(
        &db,
        &session.viewer,
        &NewRequest {
            kind: RequestKind::Access,
            details: format!("{name} ({email}) asks for a copy"),
        },
        &Email::parse("team@csu.example").expect("email"),
        &site,
    )
    .await
    .expect("requested");
    rights::extend(
        &db,
        &admin,
        own,
        &Extension {
            months: 1,
            reason: format!("Searching the archive for {name}"),
        },
        &site,
    )
    .await
    .expect("extended");
    rights::log(
        &db,
        &admin,
        &LoggedRequest {
            kind: RequestKind::Objection,
            name: name.to_owned(),
            email: Email::parse(email).expect("email"),
            details: format!("Letter from {name}"),
            received: domain::rights::day_of(backend::clock::now()),
            link: false,
        },
    )
    .await
    .expect("logged");
    assert!(!holding(&db, email).await.is_empty(), "held before");

    // The wrong password erases nothing.
    let refused = mydata::erase_own(&db, &keys, "PrimaryPoint", &session, "wrong password", "")
        .await
        .expect_err("wrong password");
    assert!(matches!(refused, Error::Invalid(_)), "{refused:?}");

    mydata::erase_own(&db, &keys, "PrimaryPoint", &session, fixtures::PASSWORD, "")
        .await
        .expect("erased");
    assert_eq!(holding(&db, email).await, Vec::<(String, String)>::new());
    assert_eq!(holding(&db, name).await, Vec::<(String, String)>::new());
    assert_eq!(
        holding(&db, "quinn.new@riverside.example").await,
        Vec::<(String, String)>::new()
    );
    assert_eq!(sessions::resolve(&db, &token).await.expect("resolve"), None);
    // The trail keeps its events, by number, and still verifies.
    let (events,): (i64,) = sqlx::query_as("select count(*) from audit_events where subject = $1")
        .bind(format!("user:{id}"))
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert!(events >= 3, "{events}");
    // The requests stay, as a record of what was asked and done.
    let (requests,): (i64,) =
        sqlx::query_as("select count(*) from rights_requests where erased_at is not null")
            .fetch_one(db.pool())
            .await
            .expect("count");
    assert_eq!(requests, 2);
    // None is left open (and overdue) with nobody to answer.
    let (open,): (i64,) =
        sqlx::query_as("select count(*) from rights_requests where state = 'open'")
            .fetch_one(db.pool())
            .await
            .expect("count");
    assert_eq!(open, 0);
    assert_eq!(
        audit::verify(&db, &keys).await.expect("verify").first_break,
        None
    );
    // The address can register again.
    fixtures::member(&db, riverside, email, name).await;
}
