//! Test support: the real server on an ephemeral port, over SQLite or
//! PostgreSQL, with a temp data directory; an HTTP client that speaks as a
//! user; and fixture generators. Dev-dependency only.
//!
//! The main type is [`TestServer`]. [`engines`] lists the database engines
//! this run covers (PostgreSQL when `KEEPSAKE_TEST_POSTGRES_URL` is set, as
//! `scripts/test.sh` does), so each integration test runs once per engine.

pub mod fake_flickr;
pub mod fake_icloud;
pub mod fixtures;
pub mod flickr_export;
pub mod phone;
pub mod takeout;

use std::path::{Path, PathBuf};

pub use keepsake_library::db::Engine;
use keepsake_library::{Library, LibraryConfig, WorkerHandle};
use serde_json::{Value, json};

/// The engines this test run covers.
pub fn engines() -> Vec<Engine> {
    keepsake_library::db::testing::engines()
}

/// A fresh database target for `engine`, inside `dir` for SQLite.
pub async fn fresh_database(engine: Engine, dir: &Path) -> String {
    keepsake_library::db::testing::fresh_database(engine, dir).await
}

/// A running Keepsake on `127.0.0.1:<ephemeral>`, stopped when dropped.
pub struct TestServer {
    pub url: String,
    pub library: Library,
    pub engine: Engine,
    pub database: String,
    dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    workers: Option<WorkerHandle>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start(engine: Engine) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = fresh_database(engine, dir.path()).await;
        TestServer::start_at(engine, dir, database).await
    }

    /// Starts with settings changed by `configure` (e.g. watching libraries).
    pub async fn start_with(
        engine: Engine,
        configure: impl FnOnce(&mut LibraryConfig),
    ) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = fresh_database(engine, dir.path()).await;
        TestServer::start_at_with(engine, dir, database, configure).await
    }

    /// Starts with HTTP options made from the opened library (e.g. a running
    /// iCloud scheduler pointed at a fake).
    pub async fn start_with_http(
        engine: Engine,
        options: impl FnOnce(&Library) -> keepsake_http::HttpOptions,
    ) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = fresh_database(engine, dir.path()).await;
        TestServer::start_full(engine, dir, database, |_| {}, options).await
    }

    /// Starts over an existing data directory and database (restart tests).
    pub async fn start_at(engine: Engine, dir: tempfile::TempDir, database: String) -> TestServer {
        TestServer::start_at_with(engine, dir, database, |_| {}).await
    }

    async fn start_at_with(
        engine: Engine,
        dir: tempfile::TempDir,
        database: String,
        configure: impl FnOnce(&mut LibraryConfig),
    ) -> TestServer {
        TestServer::start_full(engine, dir, database, configure, |_| {
            keepsake_http::HttpOptions::default()
        })
        .await
    }

    async fn start_full(
        engine: Engine,
        dir: tempfile::TempDir,
        database: String,
        configure: impl FnOnce(&mut LibraryConfig),
        options: impl FnOnce(&Library) -> keepsake_http::HttpOptions,
    ) -> TestServer {
        let mut config = LibraryConfig::new(dir.path().join("data"));
        config.database = Some(database.clone());
        configure(&mut config);
        let library = Library::open(config).await.expect("open the library");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let lib = library.clone();
        let options = options(&library);
        let task = tokio::spawn(async move {
            keepsake_http::serve_with(listener, lib, options, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        let workers = library.start_workers();
        TestServer {
            url,
            library,
            engine,
            database,
            dir,
            shutdown: Some(tx),
            workers: Some(workers),
            task: Some(task),
        }
    }

    /// The data directory (originals live under `library/`).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A scratch folder next to the data directory.
    pub fn scratch(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(&p).expect("scratch dir");
        p
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api{path}", self.url)
    }

    /// Stops the server and returns its directory and database for a restart.
    pub async fn stop(mut self) -> (tempfile::TempDir, String) {
        self.shutdown_now().await;
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        (dir, self.database.clone())
    }

    async fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        if let Some(w) = self.workers.take() {
            w.stop().await;
        }
        self.library.close().await;
    }

    /// Signs up the admin and returns a client holding an API key with `all`.
    pub async fn admin(&self) -> Client {
        let http = reqwest::Client::new();
        let r = http
            .post(self.api("/auth/admin-sign-up"))
            .json(&json!({ "email": "admin@example.com", "password": "admin-password", "name": "Admin" }))
            .send()
            .await
            .expect("sign up");
        assert_eq!(
            r.status(),
            201,
            "admin sign-up: {}",
            r.text().await.unwrap_or_default()
        );
        self.login("admin@example.com", "admin-password")
            .await
            .with_api_key(&["all"])
            .await
    }

    /// Creates a user through the admin and returns a client for them.
    pub async fn user(&self, admin: &Client, email: &str) -> Client {
        let r = admin
            .post("/admin/users", &json!({ "email": email, "password": "user-password", "name": email.split('@').next().unwrap_or(email) }))
            .await;
        assert_eq!(r.status, 201, "create user: {}", r.body);
        self.login(email, "user-password")
            .await
            .with_api_key(&["all"])
            .await
    }

    /// A client with a fresh login session (bearer token).
    pub async fn login(&self, email: &str, password: &str) -> Client {
        let r = reqwest::Client::new()
            .post(self.api("/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.expect("login json");
        Client {
            base: self.api(""),
            http: reqwest::Client::new(),
            credential: Credential::Bearer(
                body["accessToken"].as_str().expect("token").to_string(),
            ),
            user_id: body["userId"].as_str().expect("user id").to_string(),
        }
    }

    /// A client with no credentials.
    pub fn anonymous(&self) -> Client {
        Client {
            base: self.api(""),
            http: reqwest::Client::new(),
            credential: Credential::None,
            user_id: String::new(),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

#[derive(Clone, Debug)]
pub enum Credential {
    None,
    Bearer(String),
    ApiKey(String),
}

/// An HTTP client acting as one user.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub credential: Credential,
    pub user_id: String,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    /// The body as sent (media).
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Client {
    /// The same user through a new API key with `permissions`.
    pub async fn with_api_key(&self, permissions: &[&str]) -> Client {
        let r = self
            .post(
                "/api-keys",
                &json!({ "name": "test", "permissions": permissions }),
            )
            .await;
        assert_eq!(r.status, 201, "create key: {}", r.body);
        let secret = r.json()["secret"].as_str().expect("secret").to_string();
        Client {
            credential: Credential::ApiKey(secret),
            ..self.clone()
        }
    }

    pub fn with_credential(&self, credential: Credential) -> Client {
        Client {
            credential,
            ..self.clone()
        }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let rb = self.http.request(method, format!("{}{path}", self.base));
        match &self.credential {
            Credential::None => rb,
            Credential::Bearer(t) => rb.bearer_auth(t),
            Credential::ApiKey(k) => rb.header("x-api-key", k),
        }
    }

    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Reply {
        let r = rb.send().await.expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = r.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        Reply {
            status,
            content_type,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(self.request(reqwest::Method::POST, path).json(body))
            .await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(self.request(reqwest::Method::PUT, path).json(body))
            .await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(self.request(reqwest::Method::PATCH, path).json(body))
            .await
    }

    pub async fn delete(&self, path: &str, body: &Value) -> Reply {
        self.send(self.request(reqwest::Method::DELETE, path).json(body))
            .await
    }

    /// Uploads bytes as the Immich CLI does (fields first, then `assetData`).
    /// Waits until no job is waiting, delayed or running (an admin client):
    /// polls `/api/queues`, failing the test after 120 s.
    pub async fn wait_for_jobs(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let reply = self.get("/queues").await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            let busy: i64 = reply
                .json()
                .as_array()
                .expect("queues")
                .iter()
                .map(|q| {
                    let s = &q["statistics"];
                    s["waiting"].as_i64().unwrap_or(0)
                        + s["active"].as_i64().unwrap_or(0)
                        + s["delayed"].as_i64().unwrap_or(0)
                })
                .sum();
            if busy == 0 {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "jobs still busy after 120 s: {}",
                reply.body
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    pub async fn upload(&self, file_name: &str, bytes: Vec<u8>) -> Reply {
        self.upload_form(file_name, bytes, None).await
    }

    /// Uploads bytes with an XMP sidecar (`sidecarData`), as the Immich CLI does.
    pub async fn upload_with_sidecar(&self, file_name: &str, bytes: Vec<u8>, xmp: &str) -> Reply {
        self.upload_form(file_name, bytes, Some(xmp)).await
    }

    async fn upload_form(&self, file_name: &str, bytes: Vec<u8>, xmp: Option<&str>) -> Reply {
        let mut form = reqwest::multipart::Form::new()
            .text("fileCreatedAt", "2019-07-12T18:15:12.000Z")
            .text("fileModifiedAt", "2019-07-12T18:15:12.000Z")
            .text("isFavorite", "false")
            .part(
                "assetData",
                reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()),
            );
        if let Some(xmp) = xmp {
            form = form.part(
                "sidecarData",
                reqwest::multipart::Part::bytes(xmp.as_bytes().to_vec())
                    .file_name(format!("{file_name}.xmp")),
            );
        }
        self.send(
            self.request(reqwest::Method::POST, "/assets")
                .multipart(form),
        )
        .await
    }
}

/// Deterministic pseudo-random bytes that start like a JPEG: distinct per `seed`.
pub fn fake_jpeg(seed: u64, len: usize) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0];
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    while out.len() < len.max(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len.max(8));
    out
}
