//! Resource files over HTTP: an administrator uploads with a multipart
//! form (with and without JavaScript), members download what they may see
//! with the right headers, everyone else gets 404, and hostile files go
//! through the real limited `primarypoint extract` child without harming
//! the server.

use super::{Browser, TestServer, launch};
use app::api::files::UploadResourceFile;
use backend::files::{Extractor, Storage};
use backend::testing::documents;
use domain::account::{Role, Viewer};
use domain::files::TextStatus;
use domain::library::{ResourceKind, ResourceStatus, download_path, version_download_path};
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION, ORIGIN,
    X_CONTENT_TYPE_OPTIONS,
};

http_stories!(
    files_upload_over_http_and_download_only_to_those_who_may_see_them,
    hostile_files_are_stored_but_never_harm_the_server,
);

const BOUNDARY: &str = "----primarypoint-test-boundary";

/// A multipart body with `resource_id` and then `file`.
fn multipart(resource_id: i64, file_name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"resource_id\"\r\n\r\n{resource_id}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// The upload, as the page's script sends it (JSON back) or as the
/// browser posts the form itself (`page`: a redirect or a page back).
fn upload(
    server: &TestServer,
    cookie: &str,
    page: Option<&str>,
    resource_id: i64,
    file_name: &str,
    bytes: &[u8],
) -> reqwest::RequestBuilder {
    let url = match page {
        Some(page) => format!(
            "{}?{}",
            UploadResourceFile::PATH,
            serde_urlencoded::to_string([("from", page)]).expect("query")
        ),
        None => UploadResourceFile::PATH.to_owned(),
    };
    Browser::new(server, cookie.to_owned())
        .request(reqwest::Method::POST, &url)
        .header(ORIGIN, server.base.as_str())
        .header("sec-fetch-site", "same-origin")
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(
            ACCEPT,
            if page.is_some() {
                "text/html,application/xhtml+xml,*/*;q=0.8"
            } else {
                "application/json"
            },
        )
        .body(multipart(resource_id, file_name, bytes))
}

async fn get(server: &TestServer, cookie: Option<&str>, path: &str) -> reqwest::Response {
    Browser::new(server, cookie.unwrap_or_default().to_owned())
        .request(reqwest::Method::GET, path)
        .send()
        .await
        .expect("get")
}

async fn viewer(server: &TestServer, email: &str) -> Viewer {
    let (id, role): (i64, String) = sqlx::query_as("select id, role from users where email = $1")
        .bind(email)
        .fetch_one(server.db.pool())
        .await
        .expect("user");
    Viewer {
        id,
        full_name: String::new(),
        email: email.to_owned(),
        role: Role::parse(&role).expect("role"),
        organisation: None,
        second_factor: true,
    }
}

/// A published resource in a new service, and that service's id.
async fn published(server: &TestServer, admin: &Viewer, title: &str) -> (i64, i64) {
    let (service,): (i64,) = sqlx::query_as(
        "insert into services (slug, name, summary, body_md, created_at, updated_at) \
         values ($1, $1, 'A service.', 'About it.', 1, 1) returning id",
    )
    .bind(title.to_lowercase().replace(' ', "-"))
    .fetch_one(server.db.pool())
    .await
    .expect("service");
    let resource = domain::library::Resource {
        title: title.to_owned(),
        summary: "A summary.".to_owned(),
        body_md: String::new(),
        service_id: service,
        kind: ResourceKind::Guidance,
        tags: Vec::new(),
        owner_id: admin.id,
        review_date: None,
        for_all_customers: false,
    };
    let id = backend::library::create(&server.db, admin, &resource)
        .await
        .expect("create");
    backend::library::set_status(&server.db, admin, id, ResourceStatus::Published)
        .await
        .expect("publish");
    (id, service)
}

async fn files_upload_over_http_and_download_only_to_those_who_may_see_them(server: TestServer) {
    let admin_cookie = super::admin::admin(&server, "alex@csu.example", true).await;
    let member_cookie = super::admin::member(&server).await;
    let admin = viewer(&server, "alex@csu.example").await;
    let member = viewer(&server, "sam@riverside.example").await;
    let (id, service) = published(&server, &admin, "Cold chain").await;
    let first = documents::pdf("Cold chain first edition");
    let second = documents::docx("Cold chain second edition");

    // With JavaScript: the function answers with the page to go to.
    let sent = upload(&server, &admin_cookie, None, id, "Cold chain.pdf", &first)
        .send()
        .await
        .expect("upload");
    assert_eq!(sent.status(), StatusCode::OK);
    assert_eq!(
        sent.json::<String>().await.expect("path"),
        domain::library::admin_resource_path(id)
    );
    // Without: a 303 to that page.
    let posted = upload(
        &server,
        &admin_cookie,
        Some("/admin"),
        id,
        "cold-chain.docx",
        &second,
    )
    .send()
    .await
    .expect("upload");
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        posted.headers()[LOCATION],
        domain::library::admin_resource_path(id).as_str()
    );
    // A refused plain upload: the page again with the refusal's status.
    let refused = upload(
        &server,
        &admin_cookie,
        Some("/admin"),
        id,
        "fake.pdf",
        &second,
    )
    .send()
    .await
    .expect("upload");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = upload(&server, &admin_cookie, None, id, "fake.pdf", &second)
        .send()
        .await
        .expect("upload");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: app::error::AppError = refused.json().await.expect("error");
    assert!(
        error
            .field_errors()
            .and_then(|e| e.get("file"))
            .is_some_and(|m| m.contains("not a real PDF")),
        "{error:?}"
    );
    // Members cannot upload, and nobody can post something else there.
    let forbidden = upload(&server, &member_cookie, None, id, "mine.txt", b"hello")
        .send()
        .await
        .expect("upload");
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let not_multipart = Browser::new(&server, admin_cookie.clone())
        .request(reqwest::Method::POST, UploadResourceFile::PATH)
        .header(ORIGIN, server.base.as_str())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .body("resource_id=1")
        .send()
        .await
        .expect("post");
    assert_eq!(not_multipart.status(), StatusCode::BAD_REQUEST);
    let (stored,): (i64,) = sqlx::query_as("select count(*) from resource_files")
        .fetch_one(server.db.pool())
        .await
        .expect("count");
    assert_eq!(stored, 2);

    // The administrator downloads the latest and each version, with the
    // headers that keep the file out of shared caches and unsniffed.
    let latest = get(&server, Some(&admin_cookie), &download_path(id)).await;
    assert_eq!(latest.status(), StatusCode::OK);
    let headers = latest.headers().clone();
    assert_eq!(
        headers[CONTENT_DISPOSITION],
        "attachment; filename=\"cold-chain.docx\""
    );
    assert_eq!(
        headers[CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert_eq!(headers[X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[CACHE_CONTROL], "private, no-store");
    assert_eq!(latest.bytes().await.expect("bytes"), second);
    let old = get(&server, Some(&admin_cookie), &version_download_path(id, 1)).await;
    assert_eq!(old.status(), StatusCode::OK);
    assert_eq!(old.headers()[CONTENT_TYPE], "application/pdf");
    assert_eq!(
        old.headers()[CONTENT_DISPOSITION],
        "attachment; filename=\"Cold chain.pdf\""
    );
    assert_eq!(old.bytes().await.expect("bytes"), first);

    // A member of an organisation that does not subscribe gets exactly
    // what a missing file gets.
    let missing = get(&server, Some(&member_cookie), &download_path(id + 1_000)).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let missing = missing.text().await.expect("body");
    for path in [download_path(id), version_download_path(id, 1)] {
        let hidden = get(&server, Some(&member_cookie), &path).await;
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(hidden.text().await.expect("body"), missing, "{path}");
    }
    // Once it subscribes, the same addresses give the files.
    let (organisation,): (i64,) = sqlx::query_as("select organisation_id from users where id = $1")
        .bind(member.id)
        .fetch_one(server.db.pool())
        .await
        .expect("organisation");
    sqlx::query(
        "insert into organisation_services (organisation_id, service_id, created_at, updated_at) \
         values ($1, $2, 1, 1)",
    )
    .bind(organisation)
    .bind(service)
    .execute(server.db.pool())
    .await
    .expect("subscribe");
    let allowed = get(&server, Some(&member_cookie), &download_path(id)).await;
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(allowed.bytes().await.expect("bytes"), second);
    let version = get(&server, Some(&member_cookie), &version_download_path(id, 1)).await;
    assert_eq!(version.bytes().await.expect("bytes"), first);
    let (downloads,): (i64,) = sqlx::query_as(
        "select count(*) from audit_events where action = 'resource.downloaded' and actor = $1",
    )
    .bind(format!("user:{}", member.id))
    .fetch_one(server.db.pool())
    .await
    .expect("audit");
    assert_eq!(downloads, 2, "each download is audited; refusals are not");

    // Signed out: sent to sign in, as for any member page.
    let signed_out = get(&server, None, &download_path(id)).await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert!(
        signed_out.headers()[LOCATION]
            .to_str()
            .expect("location")
            .starts_with("/login?next=")
    );
    let nonsense = get(&server, Some(&admin_cookie), "/portal/library/abc/download").await;
    assert_eq!(nonsense.status(), StatusCode::NOT_FOUND);

    // Only the upload address takes a large body.
    let too_large = server
        .declare_oversized_post(UploadResourceFile::PATH, 60 * 1024 * 1024)
        .await;
    assert!(too_large.starts_with("HTTP/1.1 413"), "{too_large}");
    let elsewhere = server
        .declare_oversized_post("/api/contact/enquiry", 1024 * 1024)
        .await;
    assert!(elsewhere.starts_with("HTTP/1.1 413"), "{elsewhere}");
}

async fn hostile_files_are_stored_but_never_harm_the_server(server: TestServer) {
    let admin_cookie = super::admin::admin(&server, "alex@csu.example", true).await;
    let admin = viewer(&server, "alex@csu.example").await;
    let (id, _) = published(&server, &admin, "Hostile").await;
    let (good, _) = published(&server, &admin, "Good").await;
    // Deep nesting and a page tree that contains itself; a zip bomb that
    // inflates to 60 MB from well under a megabyte.
    let pdf = documents::hostile_pdf(50_000);
    let bomb = documents::zip_bomb_docx(60);
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    for (name, bytes) in [("nested.pdf", &pdf), ("bomb.docx", &bomb)] {
        let sent = upload(&server, &admin_cookie, None, id, name, bytes)
            .send()
            .await
            .expect("upload");
        assert_eq!(sent.status(), StatusCode::OK, "{name} is stored");
    }
    let real = documents::pdf("The thermostatic audit");
    let sent = upload(&server, &admin_cookie, None, good, "real.pdf", &real)
        .send()
        .await
        .expect("upload");
    assert_eq!(sent.status(), StatusCode::OK);

    // The server's own store, and its own binary as the extractor.
    let storage = Storage::open(None, server._data.path(), &[]).expect("storage");
    let mut extractor = Extractor::command(env!("CARGO_BIN_EXE_primarypoint"), &["extract"]);
    extractor.timeout = std::time::Duration::from_secs(15);
    let done = backend::library::files::extract_pending(&server.db, &storage, &extractor)
        .await
        .expect("extraction never fails the caller");
    assert_eq!(done, 3);

    let statuses: Vec<(String, String)> =
        sqlx::query_as("select file_name, text_status from resource_files order by id")
            .fetch_all(server.db.pool())
            .await
            .expect("files");
    assert_eq!(
        statuses,
        [
            (
                "nested.pdf".to_owned(),
                TextStatus::Unavailable.as_str().to_owned()
            ),
            (
                "bomb.docx".to_owned(),
                TextStatus::Unavailable.as_str().to_owned()
            ),
            (
                "real.pdf".to_owned(),
                TextStatus::Extracted.as_str().to_owned()
            ),
        ]
    );
    let (text,): (Option<String>,) =
        sqlx::query_as("select file_text from resources where id = $1")
            .bind(good)
            .fetch_one(server.db.pool())
            .await
            .expect("text");
    assert!(
        text.unwrap_or_default().contains("thermostatic"),
        "the same child extracts a real file"
    );

    // The server is fine, and the hostile files are listed and download
    // as they were uploaded.
    let health = get(&server, None, "/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    let latest = get(&server, Some(&admin_cookie), &download_path(id)).await;
    assert_eq!(latest.status(), StatusCode::OK);
    assert_eq!(latest.bytes().await.expect("bytes"), bomb);
    let detail = backend::library::detail(&server.db, &admin, id)
        .await
        .expect("detail");
    assert_eq!(detail.files.len(), 2);
    assert!(
        detail
            .files
            .iter()
            .all(|f| f.text_status == TextStatus::Unavailable)
    );
}
