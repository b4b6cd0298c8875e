//! Runs the `coffer` CLI as a user would, on both backends:
//!
//! - embedded: the CLI opens the data directory itself (`COFFER_DATA_DIR`);
//! - remote: a real `coffer serve --listen 127.0.0.1:0` on that data directory, and the CLI
//!   gets only standard AWS variables (root keys, `AWS_REGION`, `AWS_ENDPOINT_URL`).
//!
//! each on SQLite, and on PostgreSQL too when `COFFER_TEST_POSTGRES_URL` is set. What the
//! CLI stored is checked through the store itself ([`Harness::inspect`]), not the CLI.
#![allow(dead_code)]

use coffer_aws::Scope;
use coffer_aws::secret::ExposeSecret as _;
use coffer_client::Backend as _;
use coffer_local::EmbeddedBackend;
use coffer_test_support::{PgDatabase, postgres_admin_url, serve_command, start_serve};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const ACCOUNT: &str = "000000000000";
pub const REGION: &str = "us-east-1";
pub const ROOT_ACCESS_KEY_ID: &str = "AKIACOFFERCLITESTS01";
pub const ROOT_SECRET_ACCESS_KEY: &str = "cLiTeStSeCrEtKeY0123456789abcdefghijklmn";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Embedded,
    Remote,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub fn coffer_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_coffer"))
}

/// Every (mode, database) combination to run a test on.
pub fn variants() -> Vec<(Mode, Db)> {
    let mut out = vec![(Mode::Embedded, Db::Sqlite), (Mode::Remote, Db::Sqlite)];
    if postgres_admin_url().is_some() {
        out.push((Mode::Embedded, Db::Postgres));
        out.push((Mode::Remote, Db::Postgres));
    }
    out
}

/// Runs `body` on a fresh harness for every variant.
pub fn on_every_backend(body: impl Fn(&Harness)) {
    for (mode, db) in variants() {
        eprintln!("-- {mode:?} on {db:?}");
        let h = Harness::new(mode, db);
        body(&h);
    }
}

/// One test's world: a project directory (the CLI's working directory), a data directory,
/// and for the remote mode a running server.
pub struct Harness {
    pub mode: Mode,
    pub db: Db,
    root: tempfile::TempDir,
    server: Option<Child>,
    pub endpoint: Option<String>,
    pg: Option<PgDatabase>,
}

/// What `coffer` printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(self.code, 0, "expected success\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn failure(&self) -> &Self {
        assert_eq!(self.code, 1, "expected exit code 1\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn stderr_is(&self, expected: &str) -> &Self {
        assert_eq!(self.stderr, expected, "stderr differs (stdout was {:?})", self.stdout);
        self
    }

    #[track_caller]
    pub fn stdout_is(&self, expected: &str) -> &Self {
        assert_eq!(self.stdout, expected, "stdout differs (stderr was {:?})", self.stderr);
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, part: &str) -> &Self {
        assert!(self.stderr.contains(part), "stderr lacks {part:?}:\n{}", self.stderr);
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, part: &str) -> &Self {
        assert!(self.stdout.contains(part), "stdout lacks {part:?}:\n{}", self.stdout);
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// A parameter as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub name: String,
    pub param_type: String,
    pub value: String,
    pub version: i64,
    pub tags: BTreeMap<String, String>,
}

impl Harness {
    pub fn new(mode: Mode, db: Db) -> Self {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(root.path().join("project")).unwrap();
        std::fs::create_dir_all(root.path().join("home")).unwrap();
        let pg = (db == Db::Postgres).then(|| PgDatabase::create("coffer_cli"));
        let mut h = Self { mode, db, root, server: None, endpoint: None, pg };
        if mode == Mode::Remote {
            h.start_server();
        }
        h
    }

    pub fn project(&self) -> PathBuf {
        self.root.path().join("project")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    pub fn database_url(&self) -> Option<String> {
        self.pg.as_ref().map(|p| p.url.clone())
    }

    fn start_server(&mut self) {
        let log_path = self.root.path().join("server.log");
        let mut cmd = serve_command(&coffer_bin());
        cmd.env_clear()
            .env("HOME", self.root.path().join("home"))
            .env("COFFER_DATA_DIR", self.data_dir())
            .env("COFFER_ROOT_ACCESS_KEY_ID", ROOT_ACCESS_KEY_ID)
            .env("COFFER_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET_ACCESS_KEY)
            .env("RUST_LOG", "warn")
            .stderr(std::fs::File::create(&log_path).unwrap());
        if let Some(url) = self.database_url() {
            cmd.env("COFFER_DATABASE_URL", url);
        }
        let (child, endpoint) = start_serve(cmd, &log_path.display().to_string());
        self.endpoint = Some(endpoint);
        self.server = Some(child);
    }

    /// The environment the CLI runs with: nothing from the test's own environment, only the
    /// backend's variables (and a private HOME, so no ~/.aws file is read).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(coffer_bin());
        cmd.current_dir(self.project())
            .env_clear()
            .env("HOME", self.root.path().join("home"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null());
        match self.mode {
            Mode::Embedded => {
                cmd.env("COFFER_DATA_DIR", self.data_dir()).env("AWS_REGION", REGION);
                if let Some(url) = self.database_url() {
                    cmd.env("COFFER_DATABASE_URL", url);
                }
            }
            Mode::Remote => {
                cmd.env("AWS_ACCESS_KEY_ID", ROOT_ACCESS_KEY_ID)
                    .env("AWS_SECRET_ACCESS_KEY", ROOT_SECRET_ACCESS_KEY)
                    .env("AWS_REGION", REGION)
                    .env("AWS_ENDPOINT_URL", self.endpoint.as_deref().unwrap());
            }
        }
        cmd
    }

    /// Runs `coffer <args>` (no terminal: stdin is empty, outputs are pipes).
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, |_| {})
    }

    pub fn run_with(&self, args: &[&str], adjust: impl FnOnce(&mut Command)) -> Run {
        let mut cmd = self.command();
        cmd.args(args);
        adjust(&mut cmd);
        let assert = assert_cmd::Command::from_std(cmd).assert();
        let out = assert.get_output().clone();
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
        };
        assert!(
            !run.stdout.contains('\x1b') && !run.stderr.contains('\x1b'),
            "colour escapes without a terminal: {run:?}"
        );
        run
    }

    /// `coffer <args>` as an assert_cmd assertion, for predicates.
    pub fn assert(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        let mut cmd = self.command();
        cmd.args(args);
        assert_cmd::Command::from_std(cmd).assert()
    }

    /// The seed scenario's first half: app `demo`, environment `test`.
    pub fn app_and_env(&self, app: &str, envs: &[&str]) {
        self.run(&["app", "init", app]).success();
        for env in envs {
            self.run(&["env", "init", "--name", env, "--app", app]).success();
        }
    }

    /// Runs `f` on the store itself (opened in this process, as the account root).
    pub fn inspect<T>(&self, f: impl AsyncFnOnce(&EmbeddedBackend) -> T) -> T {
        self.store(async |store| {
            let backend = EmbeddedBackend::new(store.clone(), Scope::new(ACCOUNT, REGION), "test inspection");
            let out = f(&backend).await;
            backend.close().await;
            out
        })
    }

    /// Runs `f` on the raw store (for what the backend trait does not show, e.g. the audit).
    pub fn store<T>(&self, f: impl AsyncFnOnce(&coffer_store::Store) -> T) -> T {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let (keyring, _) = coffer_store::master_key::load_keyring(&self.data_dir(), None).expect("keyring");
            let options = coffer_store::StoreOptions {
                database_url: self.database_url(),
                data_dir: self.data_dir(),
                ..Default::default()
            };
            let store = coffer_store::Store::open(&options, keyring).await.expect("open the store");
            let out = f(&store).await;
            store.close().await;
            out
        })
    }

    /// A stored parameter with its decrypted value and tags.
    pub fn parameter(&self, name: &str) -> Option<Stored> {
        self.inspect(async |b| {
            let p = b.get_parameter(name, true).await.expect("GetParameter")?;
            let tags = b.list_tags(name).await.expect("ListTagsForResource");
            Some(Stored {
                name: p.name,
                param_type: p.param_type,
                value: p.value.expose_secret().to_owned(),
                version: p.version,
                tags: tags.into_iter().map(|t| (t.key, t.value)).collect(),
            })
        })
    }

    pub fn write(&self, relative: &str, contents: &str) -> PathBuf {
        let path = self.project().join(relative);
        std::fs::write(&path, contents).unwrap();
        path
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn tags(app: &str, env: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("copilot-application".to_owned(), app.to_owned()),
        ("copilot-environment".to_owned(), env.to_owned()),
    ])
}
