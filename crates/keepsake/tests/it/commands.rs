//! The `keepsake` command line: account and key creation work with and
//! without a running server on the same library, and `serve` prints its URL.

use std::io::Write;
use std::process::{Command, Stdio};

use keepsake_testkit::{Engine, TestServer};

fn keepsake() -> Command {
    Command::new(env!("CARGO_BIN_EXE_keepsake"))
}

fn run(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = keepsake()
        .args(args)
        .env_remove("KEEPSAKE_DATA_DIR")
        .env_remove("KEEPSAKE_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run keepsake");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_and_key_creation_work_beside_a_running_server() {
    for engine in keepsake_testkit::engines() {
        let server = TestServer::start(engine).await;
        let data = server.data_dir();
        let data = data.to_str().unwrap();
        // The same library as the running server: its data dir and its database.
        let store = vec!["--data-dir", data, "--database", server.database.as_str()];
        assert!(engine == Engine::Postgres || !server.database.starts_with("postgres"));
        let create: Vec<&str> = [
            &[
                "user",
                "create",
                "--admin",
                "--email",
                "owner@example.com",
                "--password-stdin",
                "--name",
                "Owner",
            ][..],
            &store,
        ]
        .concat();
        let (ok, stdout, stderr) = run(&create, "s3cret-pass\n");
        assert!(ok, "user create failed: {stderr}");
        assert_eq!(stdout.trim().len(), 36, "prints the new user's id");
        let (ok, _, stderr) = run(&create, "s3cret-pass\n");
        assert!(!ok, "a second account with the same e-mail is refused");
        assert!(stderr.contains("User exists"), "{stderr}");
        let key_args: Vec<&str> = [
            &[
                "api-key",
                "create",
                "--email",
                "owner@example.com",
                "--name",
                "cli",
            ][..],
            &store,
        ]
        .concat();
        let (ok, secret, stderr) = run(&key_args, "");
        assert!(ok, "api-key create failed: {stderr}");
        let secret = secret.trim().to_string();
        assert!(
            !secret.contains(char::is_whitespace) && secret.len() >= 40,
            "prints only the secret: {secret:?}"
        );
        // The running server accepts the key at once.
        let client = server
            .anonymous()
            .with_credential(keepsake_testkit::Credential::ApiKey(secret));
        let me = client.get("/users/me").await.json();
        assert_eq!(me["email"], "owner@example.com");
        assert_eq!(me["isAdmin"], true);
        assert_eq!(
            client.get("/api-keys/me").await.json()["permissions"],
            serde_json::json!(["all"])
        );
        let unknown: Vec<&str> = [
            &[
                "api-key",
                "create",
                "--email",
                "nobody@example.com",
                "--name",
                "cli",
            ][..],
            &store,
        ]
        .concat();
        let (ok, _, stderr) = run(&unknown, "");
        assert!(!ok && stderr.contains("keepsake user create"), "{stderr}");
        let (ok, _, stderr) = run(&create, "");
        assert!(!ok && stderr.contains("no password"), "{stderr}");
    }
}

#[test]
fn commands_work_without_a_server_and_serve_prints_its_url() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lib");
    let data = data.to_str().unwrap();
    let (ok, _, stderr) = run(
        &[
            "user",
            "create",
            "--email",
            "solo@example.com",
            "--password-stdin",
            "--data-dir",
            data,
        ],
        "pw\n",
    );
    assert!(ok, "{stderr}");
    assert!(
        dir.path().join("lib/keepsake.db").exists(),
        "SQLite lives in the data dir"
    );
    let (ok, secret, _) = run(
        &[
            "api-key",
            "create",
            "--email",
            "solo@example.com",
            "--name",
            "n",
            "--permission",
            "asset.read",
            "--data-dir",
            data,
        ],
        "",
    );
    assert!(ok && !secret.trim().is_empty());

    let mut child = keepsake()
        .args(["serve", "--data-dir", data, "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.starts_with("Keepsake is running at http://127.0.0.1:"),
        "{line}"
    );
}
