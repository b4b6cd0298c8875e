//! What Coffer's black-box tests share (the CLI tests and the AWS SDK compatibility tests):
//! a fresh PostgreSQL database per test, and a real `coffer serve` child process on an
//! ephemeral port. Standard library only, so it adds nothing to the build.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// The server tests may create databases on, if any (`COFFER_TEST_POSTGRES_URL`).
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("COFFER_TEST_POSTGRES_URL").ok().filter(|v| !v.is_empty())
}

/// A fresh PostgreSQL database, dropped with this value.
pub struct PgDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

fn psql(url: &str, sql: &str) -> Output {
    Command::new("psql").arg(url).args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql]).output().expect("psql runs")
}

impl PgDatabase {
    /// Creates `<prefix>_<pid>_<n>_<nanos>` on the server of `COFFER_TEST_POSTGRES_URL`: unique
    /// across the test processes cargo runs at once and the tests within one.
    pub fn create(prefix: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let admin_url = postgres_admin_url().expect("COFFER_TEST_POSTGRES_URL");
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("{prefix}_{}_{}_{nanos}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
        let out = psql(&admin_url, &format!("CREATE DATABASE {name}"));
        assert!(out.status.success(), "CREATE DATABASE failed: {}", String::from_utf8_lossy(&out.stderr));
        let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin_url.clone());
        let url = format!("{base}/{name}");
        Self { admin_url, name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = psql(&self.admin_url, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// `coffer serve --listen 127.0.0.1:0`, its stdout piped for [`start_serve`]; the caller sets
/// the environment and stderr.
pub fn serve_command(coffer_bin: &Path) -> Command {
    let mut cmd = Command::new(coffer_bin);
    cmd.args(["serve", "--listen", "127.0.0.1:0"]).stdin(Stdio::null()).stdout(Stdio::piped());
    cmd
}

/// Spawns a [`serve_command`] and waits for its `listening on ADDR` line: the child and
/// `http://ADDR`. `logs` says where to look when the line does not come.
pub fn start_serve(mut cmd: Command, logs: &str) -> (Child, String) {
    let mut child = cmd.spawn().expect("spawn coffer serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout piped")).read_line(&mut line).expect("read the listening line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?} from coffer serve; see {logs}"));
    (child, format!("http://{addr}"))
}
