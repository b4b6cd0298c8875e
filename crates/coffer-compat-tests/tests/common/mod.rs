//! Starts a real `coffer serve` child process for black-box tests, on SQLite (always) and on
//! PostgreSQL (when `COFFER_TEST_POSTGRES_URL` is set; each server gets a fresh database).
#![allow(dead_code)]

pub mod raw;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
pub use coffer_test_support::PgDatabase;
use coffer_test_support::{postgres_admin_url, serve_command, start_serve};
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub const ROOT_ACCESS_KEY_ID: &str = "AKIACOFFERTESTROOT01";
pub const ROOT_SECRET_ACCESS_KEY: &str = "cOfFeRtEsTsEcReTkEy0123456789abcdefghijk";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The `coffer` binary next to this test executable (`cargo build` puts it there).
pub fn coffer_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join("coffer");
    assert!(bin.exists(), "{} not found: run `cargo build -p coffer` before the compat tests", bin.display());
    bin
}

/// The backends to run every test on.
pub fn backends() -> Vec<Backend> {
    if postgres_admin_url().is_some() {
        vec![Backend::Sqlite, Backend::Postgres]
    } else {
        eprintln!("note: COFFER_TEST_POSTGRES_URL not set; PostgreSQL variant skipped");
        vec![Backend::Sqlite]
    }
}

pub struct Server {
    child: Child,
    pub endpoint: String,
    pub backend: Backend,
    pub data_dir: tempfile::TempDir,
    pub pg: Option<PgDatabase>,
}

impl Server {
    pub fn start(backend: Backend) -> Self {
        Self::start_with(backend, &[])
    }

    /// Starts `coffer serve --listen 127.0.0.1:0` and waits for its `listening on` line.
    pub fn start_with(backend: Backend, env: &[(&str, &str)]) -> Self {
        let data_dir =
            tempfile::Builder::new().permissions(std::fs::Permissions::from_mode(0o700)).tempdir().expect("tempdir");
        let pg = (backend == Backend::Postgres).then(|| PgDatabase::create("coffer_compat"));
        let (child, endpoint) = spawn(data_dir.path(), pg.as_ref(), env);
        Self { child, endpoint, backend, data_dir, pg }
    }

    /// Another node on this server's PostgreSQL database: the same master key, its own data
    /// directory and port.
    pub fn another_node(&self) -> Self {
        let pg = self.pg.as_ref().expect("nodes share a PostgreSQL database");
        let data_dir =
            tempfile::Builder::new().permissions(std::fs::Permissions::from_mode(0o700)).tempdir().expect("tempdir");
        let key = data_dir.path().join("master.key");
        std::fs::copy(self.data_dir.path().join("master.key"), &key).expect("copy the master key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod the master key");
        let (child, endpoint) = spawn(data_dir.path(), Some(pg), &[]);
        Self { child, endpoint, backend: Backend::Postgres, data_dir, pg: None }
    }

    /// `kill -9`: no shutdown, no flush.
    pub fn kill_hard(&mut self) {
        let _ = Command::new("kill").args(["-KILL", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }

    /// Stops the server (SIGTERM) and starts another on the same data, on a new port.
    pub fn restart(&mut self) {
        self.stop();
        (self.child, self.endpoint) = spawn(self.data_dir.path(), self.pg.as_ref(), &[]);
    }

    /// Runs one SQL statement on the server's database (SQLite through Python's sqlite3, so no
    /// SQLite CLI is needed; PostgreSQL through psql). For tests that need a state no API can
    /// make, such as an expired session; stop or restart the server around it.
    pub fn execute_sql(&self, sql: &str) {
        let out = match &self.pg {
            Some(pg) => Command::new("psql").arg(&pg.url).args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql]).output(),
            None => Command::new("python3")
                .args([
                    "-c",
                    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()",
                ])
                .arg(self.data_dir.path().join("coffer.db"))
                .arg(sql)
                .output(),
        }
        .expect("run SQL");
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub async fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new(region.to_owned()))
            .credentials_provider(Credentials::new(
                ROOT_ACCESS_KEY_ID,
                ROOT_SECRET_ACCESS_KEY,
                None,
                None,
                "coffer-test",
            ))
            .retry_config(RetryConfig::disabled())
            .load()
            .await
    }

    pub async fn ssm(&self) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::new(&self.sdk_config("us-east-1").await)
    }

    pub async fn ssm_in(&self, region: &str) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::new(&self.sdk_config(region).await)
    }

    pub async fn secrets_manager(&self) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&self.sdk_config("us-east-1").await)
    }

    pub async fn secrets_manager_in(&self, region: &str) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&self.sdk_config(region).await)
    }

    pub async fn sts(&self) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.sdk_config("us-east-1").await)
    }

    pub async fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk_config("us-east-1").await)
    }

    /// An SDK config for other credentials (an IAM user's, or an STS session's).
    pub async fn sdk_config_with(&self, credentials: Credentials) -> aws_config::SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(credentials)
            .retry_config(RetryConfig::disabled())
            .load()
            .await
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits; returns the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        self.stop()
    }

    /// Sends SIGTERM and waits, keeping the data directory and database for inspection.
    pub fn terminate_keep_data(&mut self) -> std::process::ExitStatus {
        self.stop()
    }

    fn stop(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        self.child.wait().expect("wait")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `coffer serve` on `data_dir` (and `pg`, when given) with the root credentials.
fn spawn(data_dir: &std::path::Path, pg: Option<&PgDatabase>, env: &[(&str, &str)]) -> (Child, String) {
    let mut cmd = serve_command(&coffer_bin());
    cmd.env("COFFER_DATA_DIR", data_dir)
        .env("COFFER_ROOT_ACCESS_KEY_ID", ROOT_ACCESS_KEY_ID)
        .env("COFFER_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET_ACCESS_KEY)
        .env_remove("COFFER_DATABASE_URL")
        .env_remove("COFFER_MASTER_KEY")
        .env("RUST_LOG", "warn")
        .stderr(Stdio::inherit());
    if let Some(pg) = pg {
        cmd.env("COFFER_DATABASE_URL", &pg.url);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    start_serve(cmd, "the test's stderr")
}

/// Runs `body` against a fresh server on every backend.
#[macro_export]
macro_rules! on_every_backend {
    ($server:ident => $body:block) => {
        for backend in common::backends() {
            let $server = common::Server::start(backend);
            eprintln!("-- backend {:?}", backend);
            $body
        }
    };
}
