//! The real router on 127.0.0.1:0, driven over HTTP like a browser or an
//! attacker would, against SQLite and PostgreSQL.

use backend::testing::TestDb;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE,
    ORIGIN, REFERER,
};
use server::config::Cli;
use std::net::SocketAddr;

/// The server secret every test server uses.
const SECRET: &str = "a-test-secret-that-is-long-enough-000";

/// A running server and a cookie-keeping client pointed at it.
struct TestServer {
    base: String,
    /// The same database the server uses, for checking what it stored.
    db: backend::Db,
    /// Its URL, to start another server on the same database.
    test_db_url: String,
    client: reqwest::Client,
    _data: tempfile::TempDir,
    /// The site root: the built site's files.
    site: tempfile::TempDir,
}

async fn launch(db: &TestDb) -> TestServer {
    launch_with(&db.url, "").await
}

/// A server on the database at `url`; `public_url` overrides the URL the
/// site says it is served from (empty: its own address).
async fn launch_with(url: &str, public_url: &str) -> TestServer {
    use clap::Parser;
    let data = tempfile::tempdir().expect("data dir");
    let data_dir = data.path().display().to_string();
    let site = tempfile::tempdir().expect("site root");
    let site_root = site.path().display().to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    let public_url = if public_url.is_empty() {
        base.clone()
    } else {
        public_url.to_owned()
    };
    let cli = Cli::try_parse_from([
        "primarypoint",
        "--data-dir",
        &data_dir,
        "--database-url",
        url,
        "--listen-addr",
        &addr.to_string(),
        "--public-url",
        &public_url,
        "--site-root",
        &site_root,
        "--secret-key",
        SECRET,
    ])
    .expect("settings");
    let (state, settings) = server::commands::prepare(&cli.config)
        .await
        .expect("prepare");
    let app = server::router::build(state, settings);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let db = backend::Db::connect(url, &backend::db::PoolSettings::default())
        .await
        .expect("database");
    TestServer {
        base,
        db,
        test_db_url: url.to_owned(),
        client,
        _data: data,
        site,
    }
}

impl TestServer {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends only the head of a form POST whose body would be `length`
    /// bytes, and returns the raw response.
    async fn declare_oversized_post(&self, path: &str, length: usize) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let authority = self.base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(authority)
            .await
            .expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {length}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.expect("write");
        let mut response = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            stream.read_to_end(&mut response),
        )
        .await;
        String::from_utf8_lossy(&response).into_owned()
    }

    /// The form on `page` posted by the browser itself (no JavaScript) to
    /// its server function `S`.
    fn post_form<S: ServerFn>(&self, page: &str) -> reqwest::RequestBuilder {
        self.post_form_from::<S>(&self.client, page)
    }

    /// The same, from another browser: `client` keeps its own cookies, so
    /// signing in there ends no session of this test's shared client.
    fn post_form_from<S: ServerFn>(
        &self,
        client: &reqwest::Client,
        page: &str,
    ) -> reqwest::RequestBuilder {
        client
            .post(self.url(S::PATH))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
            .header(REFERER, self.url(page))
            .header("sec-fetch-site", "same-origin")
    }

    /// The server function at `path`, called as the hydrated page calls it.
    fn call(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .header("sec-fetch-site", "same-origin")
    }
}

/// Every test account's password.
const PASSWORD: &str = "correct horse battery staple";

/// A client that keeps no cookies and follows no redirects: each request
/// carries exactly the session it is given, and the test sees each answer.
/// A client that says it is Firefox, as a person's browser would say what
/// it is.
fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Where a response sends the browser ("" when nowhere).
fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Someone's view of the site: their session cookie, no shared cookie jar,
/// redirects left for the test to see.
struct Browser<'a> {
    server: &'a TestServer,
    client: reqwest::Client,
    cookie: String,
}

impl<'a> Browser<'a> {
    fn new(server: &'a TestServer, cookie: String) -> Self {
        Self {
            server,
            client: plain_client(),
            cookie,
        }
    }

    /// A request to `path` carrying this browser's session (if any).
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, self.server.url(path));
        if self.cookie.is_empty() {
            request
        } else {
            request.header(COOKIE, format!("pp_session={}", self.cookie))
        }
    }

    /// `page` as the browser loads it: the status and the HTML.
    async fn get(&self, page: &str) -> (StatusCode, String) {
        let response = self
            .request(reqwest::Method::GET, page)
            .header(ACCEPT, "text/html")
            .send()
            .await
            .expect("page");
        let status = response.status();
        (status, response.text().await.expect("html"))
    }

    /// A plain form post from `page` to server function `S`, body to add.
    fn form<S: ServerFn>(&self, page: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, S::PATH)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "text/html")
            .header(REFERER, self.server.url(page))
            .header("sec-fetch-site", "same-origin")
    }

    /// The form on `page` posted without JavaScript to server function `S`;
    /// the status and where it leads.
    async fn post<S: ServerFn>(
        &self,
        page: &str,
        form: &impl serde::Serialize,
    ) -> (StatusCode, String) {
        let response = self
            .form::<S>(page)
            .body(serde_urlencoded::to_string(form).expect("form"))
            .send()
            .await
            .expect("post");
        (response.status(), location(&response))
    }
}

macro_rules! http_stories {
    ($($story:ident),+ $(,)?) => {
        $(
            mod $story {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let db = backend::testing::sqlite().await;
                    super::$story(super::launch(&db).await).await;
                    db.finish().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(db) = backend::testing::postgres().await else { return };
                    super::$story(super::launch(&db).await).await;
                    db.finish().await;
                }
            }
        )+
    };
}

/// Accounts: registration, sign-in, sessions.
#[path = "http/accounts.rs"]
mod accounts;

/// The administrators' area: who gets in.
#[path = "http/admin.rs"]
mod admin;

/// The member library: who finds, reads and saves what.
#[path = "http/library.rs"]
mod library;

/// Resource files: uploads, downloads and hostile files.
#[path = "http/files.rs"]
mod files;

/// Messages to the team, and services with their public pages.
#[path = "http/messages.rs"]
mod messages;

/// The privacy statement and the cookies page are true of the code.
#[path = "http/privacy.rs"]
mod privacy;

http_stories!(
    health_and_readiness_answer_with_small_json,
    the_home_page_is_server_rendered_under_a_strict_nonce_csp,
    every_response_carries_the_security_headers,
    unknown_pages_and_slugs_get_a_404_page,
    responses_are_compressed,
    static_files_are_sent_as_compressed_at_build_time_without_the_session,
    oversized_bodies_are_refused,
    cross_origin_posts_are_refused,
    server_function_errors_say_nothing_about_internals,
    the_enquiry_form_works_without_javascript,
);

async fn health_and_readiness_answer_with_small_json(server: TestServer) {
    let live = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(live.status(), StatusCode::OK);
    assert_eq!(
        live.json::<serde_json::Value>().await.expect("json"),
        serde_json::json!({"status": "ok"})
    );

    let ready = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), StatusCode::OK);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert!(["sqlite", "postgres"].contains(&body["database"].as_str().unwrap_or_default()));
}

async fn the_home_page_is_server_rendered_under_a_strict_nonce_csp(server: TestServer) {
    let response = server
        .client
        .get(server.url("/"))
        .send()
        .await
        .expect("home");
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp")
        .to_owned();
    let html = response.text().await.expect("html");

    assert!(html.contains("<h1>Support services for GP practices and primary care networks</h1>"));
    assert!(html.contains("<title>PrimaryPoint</title>"), "title");
    assert!(
        html.contains("Medicines management"),
        "catalogue rendered on the server"
    );

    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .expect("script-src directive");
    assert!(!script_src.contains("unsafe-inline"), "{script_src}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonce = script_src
        .split_whitespace()
        .find_map(|token| token.strip_prefix("'nonce-")?.strip_suffix('\''))
        .expect("a nonce in script-src");
    assert!(nonce.len() >= 16, "nonce is long enough to be unguessable");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the script that starts the app carries the nonce"
    );
    let inline_scripts = html.matches("<script").count();
    let nonced_scripts = html.matches(&format!("nonce=\"{nonce}\"")).count();
    assert!(
        nonced_scripts >= 1
            && nonced_scripts >= inline_scripts - html.matches("<script src=").count()
    );

    let again = server
        .client
        .get(server.url("/"))
        .send()
        .await
        .expect("home");
    let csp_again = again.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp")
        .to_owned();
    assert_ne!(csp, csp_again, "a fresh nonce for every response");
    // The second visitor may get the page the first one's render made, but
    // never its nonce: the page names the nonce its own policy names.
    let nonce_again = csp_again
        .split_whitespace()
        .find_map(|token| token.strip_prefix("'nonce-")?.strip_suffix('\''))
        .expect("a nonce in script-src");
    let html_again = again.text().await.expect("html");
    assert!(
        !html_again.contains(nonce),
        "the first page's nonce is gone"
    );
    assert_eq!(
        html_again.replace(nonce_again, nonce),
        html,
        "the same page but for its nonce"
    );

    // Someone signed in never gets the page kept for first-time visitors.
    let member = Browser::new(&server, admin::member(&server).await);
    let (status, signed_in) = member.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(signed_in.contains("Sign out"), "{signed_in}");
    assert!(!html.contains("Sign out"));
}

async fn every_response_carries_the_security_headers(server: TestServer) {
    for path in [
        "/",
        "/healthz",
        "/favicon.ico",
        "/no-such-page",
        "/page/privacy-policy",
    ] {
        let response = server
            .client
            .get(server.url(path))
            .send()
            .await
            .expect(path);
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        let csp = headers[CONTENT_SECURITY_POLICY].to_str().expect("csp");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    }
}

async fn unknown_pages_and_slugs_get_a_404_page(server: TestServer) {
    for path in [
        "/no-such-page",
        "/services/no-such-service",
        "/page/no-such-page",
        "/page/..%2F..%2Fetc%2Fpasswd",
    ] {
        let response = server
            .client
            .get(server.url(path))
            .send()
            .await
            .expect(path);
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let html = response.text().await.expect("html");
        assert!(html.contains("<h1>Page not found</h1>"), "{path}");
    }
    let page = server
        .client
        .get(server.url("/page/cookies"))
        .send()
        .await
        .expect("cookies");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("__Host-pp_session")
    );
}

async fn responses_are_compressed(server: TestServer) {
    let response = server
        .client
        .get(server.url("/page/privacy-policy"))
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("page");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
}

async fn static_files_are_sent_as_compressed_at_build_time_without_the_session(server: TestServer) {
    let site = server.site.path();
    std::fs::create_dir_all(site.join("pkg")).expect("pkg");
    let css = "body { margin: 0 } ".repeat(2_000);
    std::fs::write(site.join("pkg/primarypoint.css"), &css).expect("css");
    server::assets::precompress(site).expect("precompress");
    let get = |encodings: &'static str| {
        plain_client()
            .get(server.url("/pkg/primarypoint.css"))
            .header(ACCEPT_ENCODING, encodings)
            // A session cookie that names no session: the page layers
            // would clear it, the static folders never look.
            .header(COOKIE, "pp_session=no-such-session")
            .send()
    };
    for (accepts, sent, file) in [
        (
            "gzip, deflate, br, zstd",
            Some("br"),
            "pkg/primarypoint.css.br",
        ),
        ("gzip", Some("gzip"), "pkg/primarypoint.css.gz"),
        ("zstd", None, "pkg/primarypoint.css"),
    ] {
        let response = get(accepts).await.expect("css");
        assert_eq!(response.status(), StatusCode::OK, "{accepts}");
        assert_eq!(
            response
                .headers()
                .get(CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok()),
            sent,
            "{accepts}"
        );
        assert!(
            response
                .headers()
                .get(reqwest::header::SET_COOKIE)
                .is_none(),
            "{accepts}: the session layer never ran"
        );
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let body = response.bytes().await.expect("body");
        assert_eq!(
            body.as_ref(),
            std::fs::read(site.join(file)).expect("file"),
            "{accepts}"
        );
    }
    // A page, for contrast, goes through the session layer.
    let page = plain_client()
        .get(server.url("/"))
        .header(COOKIE, "pp_session=no-such-session")
        .send()
        .await
        .expect("page");
    assert!(page.headers().get(reqwest::header::SET_COOKIE).is_some());
    // So does a file of the site root itself, answered by the pages'
    // fallback: its bytes, and the page layers have run.
    let icon = b"\0\0\x01\0 an icon".to_vec();
    std::fs::write(site.join("favicon.ico"), &icon).expect("icon");
    let response = plain_client()
        .get(server.url("/favicon.ico"))
        .header(COOKIE, "pp_session=no-such-session")
        .send()
        .await
        .expect("icon");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .get(reqwest::header::SET_COOKIE)
            .is_some()
    );
    // From the server's own file store, which names the content.
    assert!(response.headers().contains_key(reqwest::header::ETAG));
    assert_eq!(response.bytes().await.expect("body").as_ref(), icon);
    // Nothing else in the site root is sent: a hidden file, even spelt
    // another way, gets the 404 page.
    std::fs::write(site.join(".env"), "SECRET_KEY=do-not-send").expect("hidden");
    for path in ["/.env", "/%2eenv", "/favicon.ico/../.env"] {
        let response = plain_client()
            .get(server.url(path))
            .send()
            .await
            .expect(path);
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let html = response.text().await.expect("html");
        assert!(html.contains("<h1>Page not found</h1>"), "{path}");
        assert!(!html.contains("do-not-send"), "{path}");
    }
}

async fn oversized_bodies_are_refused(server: TestServer) {
    // Declared too large: refused before a byte of the body is read. (Sent
    // by hand so the client never races the server's early answer.)
    for path in ["/api/content/page", "/api/contact/enquiry"] {
        let response = server.declare_oversized_post(path, 70 * 1024).await;
        assert!(
            response.starts_with("HTTP/1.1 413"),
            "{path}: {}",
            response.lines().next().unwrap_or_default()
        );
        assert!(response.contains("too large to send"), "{path}");
    }
}

async fn cross_origin_posts_are_refused(server: TestServer) {
    let post = |origin: &'static str| {
        server
            .call("/api/content/page")
            .header(ORIGIN, origin)
            .body("slug=about")
            .send()
    };
    assert_eq!(
        post("https://evil.example").await.expect("post").status(),
        StatusCode::FORBIDDEN
    );
    let same = server
        .call("/api/content/page")
        .header(ORIGIN, server.base.as_str())
        .header("sec-fetch-site", "same-origin")
        .body("slug=about")
        .send()
        .await
        .expect("post");
    assert_eq!(same.status(), StatusCode::OK);
    assert!(same.text().await.expect("body").contains("About us"));

    // The same host over plain HTTP is another origin.
    let http_origin = server.base.replace("http://", "https://");
    let other_scheme = server
        .call("/api/content/page")
        .header(ORIGIN, http_origin)
        .body("slug=about")
        .send()
        .await
        .expect("post");
    assert_eq!(other_scheme.status(), StatusCode::FORBIDDEN);

    // A session cookie with neither Origin nor Sec-Fetch-Site: a browser
    // that hid where the request came from, refused.
    let hidden = server
        .client
        .post(server.url("/api/content/page"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(reqwest::header::COOKIE, "pp_session=anything")
        .body("slug=about")
        .send()
        .await
        .expect("post");
    assert_eq!(hidden.status(), StatusCode::FORBIDDEN);
}

async fn server_function_errors_say_nothing_about_internals(server: TestServer) {
    // The database fails under the running server.
    for drop in [
        "drop table pages",
        "drop table message_entries",
        "drop table messages",
    ] {
        sqlx::query(drop)
            .execute(server.db.pool())
            .await
            .expect("drop");
    }
    let leaks = |body: &str| {
        let body = body.to_lowercase();
        [
            "sqlx",
            "sqlite",
            "postgres",
            "select",
            "insert",
            "no such table",
            "does not exist",
            "relation \"",
            "from pages",
            "into messages",
            "panicked",
            "/src/",
        ]
        .into_iter()
        .filter(|leak| body.contains(leak))
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };

    // Called as the page calls it: a 500 and a sentence, nothing else.
    let called = server
        .call("/api/content/page")
        .body("slug=about")
        .send()
        .await
        .expect("post");
    assert_eq!(called.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = called.text().await.expect("body");
    assert_eq!(
        serde_json::from_str::<app::error::AppError>(&body).expect("an AppError"),
        app::error::AppError::Internal
    );
    assert_eq!(leaks(&body), Vec::<String>::new(), "{body}");

    // Posted without JavaScript: the form's page again, saying sorry.
    let posted = server
        .post_form::<app::api::contact::SendEnquiry>("/contact")
        .body("name=Jo&organisation=Riverside&email=jo%40nhs.net&message=Hello")
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let page = posted.text().await.expect("page");
    assert!(page.contains("Something went wrong on our side"), "{page}");
    assert!(page.contains(r#"value="Riverside""#), "typed values kept");
    assert_eq!(leaks(&page), Vec::<String>::new());
}

async fn the_enquiry_form_works_without_javascript(server: TestServer) {
    let post = |body: &'static str| {
        server
            .post_form::<app::api::contact::SendEnquiry>("/contact")
            .header(ORIGIN, server.base.as_str())
            .body(body)
            .send()
    };
    let stored = || backend::contact::recent_enquiries(&server.db, 100);

    // Bad input: the page again, with the problems and what was typed.
    let invalid = post("name=&organisation=Riverside+Surgery&email=nope&telephone=&message=Hello")
        .await
        .expect("post");
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = invalid.text().await.expect("html");
    assert!(html.contains("There is a problem"));
    assert!(
        html.contains(r##"<a href="#name">Enter your full name</a>"##),
        "linked summary"
    );
    assert!(
        html.contains(r#"value="Riverside Surgery""#),
        "typed values kept"
    );
    assert!(html.contains(">Hello</textarea>"), "message kept");
    assert!(stored().await.expect("read").is_empty());

    // A bot that fills the honeypot is told it worked; nothing is stored.
    let bot = post(
        "name=Bot&organisation=Spam&email=bot@spam.example.com&message=Buy&website=http://spam",
    )
    .await
    .expect("post");
    assert_eq!(bot.status(), StatusCode::SEE_OTHER);
    assert!(stored().await.expect("read").is_empty());

    // A good enquiry is stored, then the browser is sent to the confirmation.
    let good = post(
        "name=Jo+Bloggs&organisation=Riverside&email=jo%40nhs.net&telephone=&message=Hello+there",
    )
    .await
    .expect("post");
    assert_eq!(good.status(), StatusCode::SEE_OTHER);
    assert_eq!(good.headers()["location"], "/contact/thanks");
    let enquiries = stored().await.expect("read");
    assert_eq!(enquiries.len(), 1);
    assert_eq!(enquiries[0].message, "Hello there");

    // Another site cannot post it.
    let forged = server
        .post_form::<app::api::contact::SendEnquiry>("/contact")
        .header(ORIGIN, "https://evil.example")
        .body("name=Jo&organisation=X&email=jo%40nhs.net&message=Hi")
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored().await.expect("read").len(), 1);

    // The refused form's address, loaded again, leads to the form's page,
    // and only ever to a page on this site.
    let again = server
        .client
        .get(server.url("/api/contact/enquiry?from=%2Fcontact"))
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(again.headers()["location"], "/contact");
    for from in [
        "%2F%2Fevil.example",
        "https%3A%2F%2Fevil.example",
        "%2Fapi%2Fcontact%2Fenquiry",
    ] {
        let elsewhere = server
            .client
            .get(server.url(&format!("/api/contact/enquiry?from={from}")))
            .send()
            .await
            .expect("get");
        assert_ne!(elsewhere.status(), StatusCode::SEE_OTHER, "{from}");
    }
}
