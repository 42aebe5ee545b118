//! Resources' files on SQLite and PostgreSQL: who may download which
//! version, versions that keep their addresses, uploads checked to be what
//! they say, and words inside PDFs and Word documents found by search.
//! Hostile files go through the real limited child process in the server's
//! tests; the S3 store is exercised against moto here.

use backend::files::{Extractor, Storage};
use backend::library::{self, files};
use backend::testing::documents;
use backend::testing::fixtures::{organisation, service, user};
use backend::{Db, Error, stories};
use bytes::Bytes;
use domain::account::{Role, Viewer};
use domain::files::{FileType, TextStatus};
use domain::library::{LibraryQuery, Resource, ResourceKind, ResourceStatus};
use domain::organisation::OrgStatus;
use futures::StreamExt;
use std::collections::BTreeSet;

stories!(
    the_download_matrix_holds_for_the_latest_and_every_version,
    a_new_version_keeps_the_address_and_the_old_bytes_stay_downloadable,
    search_finds_words_only_inside_a_pdf_and_a_docx,
    uploads_are_named_sniffed_and_limited,
    an_unreadable_file_is_listed_with_its_text_unavailable,
);

const LIMIT: u64 = 1024 * 1024;

// ---------------------------------------------------------------- fixtures

fn resource(title: &str, service_id: i64, owner: &Viewer, for_all_customers: bool) -> Resource {
    Resource {
        title: title.to_owned(),
        summary: format!("Summary of {title}."),
        body_md: "Everyone follows this.".to_owned(),
        service_id,
        kind: ResourceKind::Policy,
        tags: Vec::new(),
        owner_id: owner.id,
        review_date: None,
        for_all_customers,
    }
}

/// A body as the upload sees it: the bytes in small chunks.
fn body(bytes: &[u8]) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    let chunks: Vec<Result<Bytes, std::io::Error>> = bytes
        .chunks(7_001)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    futures::stream::iter(chunks)
}

async fn upload(
    db: &Db,
    storage: &Storage,
    viewer: &Viewer,
    resource_id: i64,
    name: &str,
    bytes: &[u8],
) -> backend::Result<i64> {
    files::upload(
        db,
        storage,
        viewer,
        files::Upload {
            resource_id,
            file_name: name,
            max_bytes: LIMIT,
        },
        body(bytes),
    )
    .await
}

async fn read(storage: &Storage, key: &str) -> Vec<u8> {
    let mut stream = storage.get(key).await.expect("stored");
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.expect("chunk"));
    }
    out
}

async fn downloads(db: &Db) -> usize {
    backend::audit::recent(db, 10_000)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "resource.downloaded")
        .count()
}

struct Library {
    admin: Viewer,
    member: Viewer,
    other: Viewer,
    suspended: Viewer,
    resources: Vec<(&'static str, i64)>,
}

async fn library(db: &Db) -> Library {
    let medicines = service(db, "medicines").await;
    let governance = service(db, "governance").await;
    let workforce = service(db, "workforce").await;
    let ours = organisation(db, "Riverside Surgery", OrgStatus::Active, &[medicines]).await;
    let theirs = organisation(db, "Hillside Practice", OrgStatus::Active, &[workforce]).await;
    let paused = organisation(db, "Paused Practice", OrgStatus::Suspended, &[medicines]).await;
    let admin = user(db, "admin@example.org", Role::Admin, None).await;
    let mut resources = Vec::new();
    for (name, service, all, status) in [
        ("subscribed", medicines, false, ResourceStatus::Published),
        (
            "not subscribed",
            governance,
            false,
            ResourceStatus::Published,
        ),
        ("all customers", governance, true, ResourceStatus::Published),
        ("draft", medicines, true, ResourceStatus::Draft),
        ("archived", medicines, true, ResourceStatus::Archived),
    ] {
        let id = library::create(db, &admin, &resource(name, service, &admin, all))
            .await
            .expect("create");
        if status != ResourceStatus::Draft {
            library::set_status(db, &admin, id, ResourceStatus::Published)
                .await
                .expect("publish");
        }
        if status == ResourceStatus::Archived {
            library::set_status(db, &admin, id, ResourceStatus::Archived)
                .await
                .expect("archive");
        }
        resources.push((name, id));
    }
    Library {
        member: user(db, "member@riverside.example", Role::Member, Some(ours)).await,
        other: user(db, "member@hillside.example", Role::Member, Some(theirs)).await,
        suspended: user(db, "member@paused.example", Role::Member, Some(paused)).await,
        admin,
        resources,
    }
}

// ------------------------------------------------------------------ stories

async fn the_download_matrix_holds_for_the_latest_and_every_version(db: Db) {
    let storage = Storage::memory();
    let lib = library(&db).await;
    for (name, id) in &lib.resources {
        for version in 1..=2 {
            let text = format!("{name} version {version}");
            upload(&db, &storage, &lib.admin, *id, "notes.txt", text.as_bytes())
                .await
                .expect("upload");
        }
    }
    let everything: Vec<&str> = lib.resources.iter().map(|(name, _)| *name).collect();
    let matrix: [(&str, &Viewer, Vec<&str>); 4] = [
        ("administrator", &lib.admin, everything.clone()),
        ("member", &lib.member, vec!["subscribed", "all customers"]),
        (
            "member of another organisation",
            &lib.other,
            vec!["all customers"],
        ),
        ("member of a suspended organisation", &lib.suspended, vec![]),
    ];
    let mut allowed = 0;
    for (who, viewer, may) in &matrix {
        for (name, id) in &lib.resources {
            for (version, expect) in [(None, 2), (Some(1), 1), (Some(2), 2)] {
                let got = files::download(&db, viewer, *id, version).await;
                if may.contains(name) {
                    let got =
                        got.unwrap_or_else(|e| panic!("{who} may get {name} {version:?}: {e}"));
                    assert_eq!(got.version, expect, "{who} {name} {version:?}");
                    assert_eq!(
                        read(&storage, &got.storage_key).await,
                        format!("{name} version {expect}").as_bytes()
                    );
                    assert_eq!(got.file_type, FileType::Txt);
                    allowed += 1;
                } else {
                    assert!(
                        matches!(got, Err(Error::NotFound)),
                        "{who} must not get {name} {version:?}: {got:?}"
                    );
                }
            }
            // A version that does not exist is missing for everyone.
            assert!(matches!(
                files::download(&db, viewer, *id, Some(3)).await,
                Err(Error::NotFound)
            ));
        }
        assert!(matches!(
            files::download(&db, viewer, 999_999, None).await,
            Err(Error::NotFound)
        ));
    }
    // Each download is an audit event; a refused one is not, so the trail
    // cannot tell a hidden resource from a missing one either.
    assert_eq!(downloads(&db).await, allowed);
}

async fn a_new_version_keeps_the_address_and_the_old_bytes_stay_downloadable(db: Db) {
    let dir = tempfile::tempdir().expect("dir");
    let storage = Storage::open(None, dir.path(), &[]).expect("local storage");
    let lib = library(&db).await;
    let id = lib.resources[0].1;
    let first = documents::pdf("First edition");
    let second = documents::docx("Second edition");
    assert_eq!(
        upload(
            &db,
            &storage,
            &lib.admin,
            id,
            "C:\\Policies\\Cold chain \"v1\".pdf",
            &first
        )
        .await
        .expect("first"),
        1
    );
    assert_eq!(
        upload(&db, &storage, &lib.admin, id, "cold-chain.docx", &second)
            .await
            .expect("second"),
        2
    );
    let detail = library::detail(&db, &lib.member, id).await.expect("detail");
    let listed: Vec<(i64, &str, FileType, &str)> = detail
        .files
        .iter()
        .map(|f| {
            (
                f.version,
                f.file_name.as_str(),
                f.file_type,
                f.download_path.as_str(),
            )
        })
        .collect();
    let v1 = format!("/portal/library/{id}/versions/1/download");
    let v2 = format!("/portal/library/{id}/versions/2/download");
    assert_eq!(
        listed,
        [
            (2, "cold-chain.docx", FileType::Docx, v2.as_str()),
            (1, "Cold chain v1.pdf", FileType::Pdf, v1.as_str()),
        ],
        "latest first, names cleaned"
    );
    assert_eq!(detail.latest_file().map(|f| f.version), Some(2));
    assert!(
        detail
            .files
            .iter()
            .all(|f| f.text_status == TextStatus::Pending)
    );
    assert_eq!(detail.files[1].size_bytes, first.len() as i64);

    // The latest address now gives the new bytes; the old stay as they were.
    let latest = files::download(&db, &lib.member, id, None)
        .await
        .expect("latest");
    assert_eq!(read(&storage, &latest.storage_key).await, second);
    let old = files::download(&db, &lib.member, id, Some(1))
        .await
        .expect("v1");
    assert_eq!(read(&storage, &old.storage_key).await, first);
    assert_eq!(old.file_name, "Cold chain v1.pdf");

    // SHA-256 is recorded, and the upload is audited with it.
    use sha2::Digest;
    let (sha,): (String,) =
        sqlx::query_as("select sha256 from resource_files where resource_id = $1 and version = 1")
            .bind(id)
            .fetch_one(db.pool())
            .await
            .expect("sha");
    assert_eq!(sha, hex::encode(sha2::Sha256::digest(&first)));
    let uploads: Vec<_> = backend::audit::recent(&db, 1_000)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "resource.file_uploaded")
        .collect();
    assert_eq!(uploads.len(), 2);
    assert!(uploads.iter().any(|e| e.detail.contains(&sha)));
    assert!(
        uploads
            .iter()
            .all(|e| e.actor == format!("user:{}", lib.admin.id))
    );
}

async fn search_finds_words_only_inside_a_pdf_and_a_docx(db: Db) {
    let storage = Storage::memory();
    let lib = library(&db).await;
    let subscribed = lib.resources[0].1;
    let everyone = lib.resources[2].1;
    let hidden = lib.resources[1].1;
    let search = |q: &str| LibraryQuery {
        q: q.to_owned(),
        ..LibraryQuery::default()
    };
    upload(
        &db,
        &storage,
        &lib.admin,
        subscribed,
        "cold.pdf",
        &documents::pdf("Check the xylophonic thermometer daily"),
    )
    .await
    .expect("pdf");
    upload(
        &db,
        &storage,
        &lib.admin,
        everyone,
        "hands.docx",
        &documents::docx("Wash with quokkaesque thoroughness"),
    )
    .await
    .expect("docx");
    upload(
        &db,
        &storage,
        &lib.admin,
        hidden,
        "secret.docx",
        &documents::docx("The xylophonic secret"),
    )
    .await
    .expect("docx");
    assert_eq!(
        library::count(&db, &lib.member, &search("xylophonic"))
            .await
            .expect("count"),
        0,
        "nothing is found before extraction"
    );
    let done = files::extract_pending(&db, &storage, &Extractor::in_process())
        .await
        .expect("extract");
    assert_eq!(done, 3);
    for (word, expected) in [("xylophonic", subscribed), ("quokkaesque", everyone)] {
        let found = library::search(&db, &lib.member, &search(word))
            .await
            .expect("search");
        let ids: BTreeSet<i64> = found.rows.iter().map(|r| r.id).collect();
        assert_eq!(
            ids,
            BTreeSet::from([expected]),
            "{word}: the hidden one stays hidden"
        );
        assert!(
            found.rows[0]
                .snippet
                .iter()
                .any(|p| p.matched && p.text.to_lowercase().contains(word)),
            "{word}: {:?}",
            found.rows[0].snippet
        );
    }
    let detail = library::detail(&db, &lib.member, subscribed)
        .await
        .expect("detail");
    assert_eq!(detail.files[0].text_status, TextStatus::Extracted);
    // Extraction is done once: nothing is waiting any more.
    assert_eq!(
        files::extract_pending(&db, &storage, &Extractor::in_process())
            .await
            .expect("again"),
        0
    );
    // A new version replaces the indexed text once its own is extracted.
    upload(
        &db,
        &storage,
        &lib.admin,
        subscribed,
        "cold.pdf",
        &documents::pdf("Fridge log only"),
    )
    .await
    .expect("v2");
    files::extract_pending(&db, &storage, &Extractor::in_process())
        .await
        .expect("extract");
    assert_eq!(
        library::count(&db, &lib.member, &search("xylophonic"))
            .await
            .expect("count"),
        0
    );
    assert_eq!(
        library::count(&db, &lib.member, &search("fridge"))
            .await
            .expect("count"),
        1
    );
}

async fn uploads_are_named_sniffed_and_limited(db: Db) {
    let dir = tempfile::tempdir().expect("dir");
    let storage = Storage::local(dir.path()).expect("storage");
    let lib = library(&db).await;
    let id = lib.resources[0].1;
    let odt = {
        // An OpenDocument text: its stored `mimetype` entry comes first.
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        use std::io::Write;
        w.start_file("mimetype", stored).expect("entry");
        w.write_all(b"application/vnd.oasis.opendocument.text")
            .expect("data");
        w.start_file("content.xml", stored).expect("entry");
        w.write_all(b"<office:document-content><text:p>Hi</text:p></office:document-content>")
            .expect("data");
        w.finish().expect("zip").into_inner()
    };
    let refused: [(&str, Vec<u8>, &str); 8] = [
        ("policy.pdf", documents::docx("x"), "not a real PDF"),
        ("policy.docx", documents::pdf("x"), "not a real DOCX"),
        ("sheet.xlsx", documents::docx("x"), "not a real XLSX"),
        ("letter.docx", odt.clone(), "not a real DOCX"),
        (
            "notes.txt",
            b"MZ\x90\x00\x03\x00\x00\x00binary\x00".to_vec(),
            "not a real TXT",
        ),
        (
            "virus.exe",
            b"MZ".to_vec(),
            "must be a PDF, DOCX, XLSX, PPTX, ODT, CSV or TXT",
        ),
        ("empty.csv", Vec::new(), "is empty"),
        (
            "big.txt",
            vec![b'a'; LIMIT as usize + 1],
            "must be smaller than 1.0 MB",
        ),
    ];
    for (name, bytes, message) in refused {
        let result = upload(&db, &storage, &lib.admin, id, name, &bytes).await;
        let Err(Error::Invalid(errors)) = result else {
            panic!("{name}: expected a field error, got {result:?}");
        };
        let on_file = errors.get("file").unwrap_or_default();
        assert!(on_file.contains(message), "{name}: {on_file}");
    }
    // Nothing refused is kept, in the database or in storage.
    let (rows,): (i64,) = sqlx::query_as("select count(*) from resource_files")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(rows, 0);
    let kept = walk(dir.path());
    assert!(kept.is_empty(), "{kept:?}");

    // A real ODT, CSV and the rest are accepted.
    upload(&db, &storage, &lib.admin, id, "letter.odt", &odt)
        .await
        .expect("odt");
    upload(
        &db,
        &storage,
        &lib.admin,
        id,
        "people.csv",
        "name,role\nSam,GP\n".as_bytes(),
    )
    .await
    .expect("csv");
    assert_eq!(walk(dir.path()).len(), 2);

    // Only administrators upload, and only to resources that exist.
    for viewer in [&lib.member, &lib.suspended] {
        assert!(matches!(
            upload(&db, &storage, viewer, id, "notes.txt", b"hello").await,
            Err(Error::NotFound)
        ));
    }
    assert!(matches!(
        upload(&db, &storage, &lib.admin, 999_999, "notes.txt", b"hello").await,
        Err(Error::NotFound)
    ));
    assert_eq!(walk(dir.path()).len(), 2);
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

async fn an_unreadable_file_is_listed_with_its_text_unavailable(db: Db) {
    let storage = Storage::memory();
    let lib = library(&db).await;
    let id = lib.resources[0].1;
    let broken = b"%PDF-1.4\nthis is not really a PDF at all\n".to_vec();
    upload(&db, &storage, &lib.admin, id, "broken.pdf", &broken)
        .await
        .expect("stored");
    files::extract_pending(&db, &storage, &Extractor::in_process())
        .await
        .expect("extract");
    let detail = library::detail(&db, &lib.member, id).await.expect("detail");
    assert_eq!(detail.files.len(), 1);
    assert_eq!(detail.files[0].text_status, TextStatus::Unavailable);
    assert_eq!(detail.files[0].text_status.label(), "Text unavailable");
    let file = files::download(&db, &lib.member, id, None)
        .await
        .expect("downloadable");
    assert_eq!(read(&storage, &file.storage_key).await, broken);
    let events = backend::audit::recent(&db, 1_000).await.expect("audit");
    assert!(
        events
            .iter()
            .any(|e| e.action == "resource.text_extracted" && e.detail.contains("unavailable"))
    );
}

// ------------------------------------------------------------------ S3 (moto)

/// A moto S3 server on a free port, stopped when dropped.
struct Moto {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Started from the Python in `PRIMARYPOINT_TEST_PYTHON` (the xtask's
    /// virtual environment, which has moto[server]); `None` without one.
    async fn start() -> Option<Self> {
        let python = std::env::var("PRIMARYPOINT_TEST_PYTHON").ok()?;
        let has_moto = std::process::Command::new(&python)
            .args(["-c", "import moto.server"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !has_moto {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let child = std::process::Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start moto");
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client.get(&moto.endpoint).send().await.is_ok() {
                return Some(moto);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("moto did not start at {}", moto.endpoint);
    }
}

#[tokio::test]
async fn files_stream_through_s3_and_back() {
    let Some(moto) = Moto::start().await else {
        if std::env::var_os("CI").is_some() {
            panic!("PRIMARYPOINT_TEST_PYTHON must name a Python with moto[server] in CI");
        }
        eprintln!(
            "skipped: PRIMARYPOINT_TEST_PYTHON has no moto[server], so the S3 test did not run"
        );
        return;
    };
    // moto answers any credentials; the bucket is made first.
    let created = reqwest::Client::new()
        .put(format!("{}/library-files", moto.endpoint))
        .send()
        .await
        .expect("create bucket");
    assert!(created.status().is_success(), "{}", created.status());
    let options: Vec<(String, String)> = [
        ("aws_endpoint", moto.endpoint.as_str()),
        ("aws_allow_http", "true"),
        ("aws_region", "eu-west-2"),
        ("aws_access_key_id", "testing"),
        ("aws_secret_access_key", "testing"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let storage = Storage::open(
        Some("s3://library-files/portal"),
        std::path::Path::new("."),
        &options,
    )
    .expect("s3 storage");
    assert_eq!(storage.kind(), "s3");

    let test = backend::testing::sqlite().await;
    let db = test.db.clone();
    let lib = library(&db).await;
    let id = lib.resources[0].1;
    // Several parts of the multipart upload, so streaming is exercised.
    let mut big = documents::pdf("Streamed through S3");
    big.extend(std::iter::repeat_n(b'%', 12 * 1024 * 1024));
    let version = files::upload(
        &db,
        &storage,
        &lib.admin,
        files::Upload {
            resource_id: id,
            file_name: "large.pdf",
            max_bytes: 50 * 1024 * 1024,
        },
        body(&big),
    )
    .await
    .expect("upload to s3");
    assert_eq!(version, 1);
    let file = files::download(&db, &lib.member, id, None)
        .await
        .expect("download");
    assert_eq!(file.size_bytes, big.len() as i64);
    assert!(
        read(&storage, &file.storage_key).await == big,
        "the same bytes come back"
    );

    // A refused upload leaves nothing behind in the bucket either.
    let refused = files::upload(
        &db,
        &storage,
        &lib.admin,
        files::Upload {
            resource_id: id,
            file_name: "fake.docx",
            max_bytes: 50 * 1024 * 1024,
        },
        body(&documents::pdf("not a docx")),
    )
    .await;
    assert!(matches!(refused, Err(Error::Invalid(_))), "{refused:?}");
    let listing = reqwest::Client::new()
        .get(format!("{}/library-files?list-type=2", moto.endpoint))
        .send()
        .await
        .expect("list")
        .text()
        .await
        .expect("xml");
    assert_eq!(listing.matches("<Key>").count(), 1, "{listing}");
    test.finish().await;
}

/// One chunk of `bytes`, as an upload stream.
fn chunk(bytes: &[u8]) -> futures::stream::Iter<std::vec::IntoIter<Result<Bytes, std::io::Error>>> {
    futures::stream::iter(vec![Ok(Bytes::copy_from_slice(bytes))])
}

/// A child that never answers (a parser stuck in a loop) is killed at the
/// wall-clock limit: the caller gets "no text" in about that time, and
/// the process is gone.
#[tokio::test]
async fn a_child_that_never_answers_is_killed_at_the_time_limit() {
    let dir = tempfile::tempdir().expect("dir");
    let pid_file = dir.path().join("pid");
    let script = format!("echo $$ > {}; exec sleep 60", pid_file.display());
    let mut extractor = Extractor::command("sh", &["-c", &script, "extract"]);
    extractor.timeout = std::time::Duration::from_secs(1);
    let started = std::time::Instant::now();
    let text = extractor
        .extract(FileType::Pdf, chunk(&documents::pdf("Never read")))
        .await;
    let took = started.elapsed();
    assert_eq!(text, None);
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    let pid = std::fs::read_to_string(&pid_file).expect("the child started");
    assert!(
        !std::path::Path::new(&format!("/proc/{}", pid.trim())).exists(),
        "the child {pid} was killed and reaped"
    );
}

/// A child that writes without end is cut off at the text limit and
/// stopped; what was kept is at most that limit.
#[tokio::test]
async fn a_child_that_writes_without_end_is_cut_off_at_the_text_limit() {
    let mut extractor = Extractor::command("sh", &["-c", "exec yes word", "extract"]);
    extractor.timeout = std::time::Duration::from_secs(10);
    extractor.max_text_bytes = 64 * 1024;
    let text = extractor
        .extract(FileType::Txt, chunk(b"anything"))
        .await
        .expect("the text up to the limit");
    assert!(text.len() <= 64 * 1024, "{}", text.len());
    assert!(text.len() > 60 * 1024, "{}", text.len());
    assert!(text.starts_with("word\nword\n"));
}
