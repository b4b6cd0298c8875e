//! An acknowledged write survives the writer being SIGKILLed.
//!
//! The parent test re-executes this test binary running only the `#[ignore]`d `child_writer`
//! test, which commits writes and prints `COMMITTED <version>` after each commit returns. The
//! parent kills the child with SIGKILL as soon as it has read the line it waits for (the child
//! is then either sleeping or in the middle of further writes), reopens the store and checks
//! every acknowledged write is there with the right value.

mod common;

use coffer_store::master_key::load_keyring;
use coffer_store::{Store, StoreOptions};
use common::{Kind, TestDb, scope};
use sqlx::Row as _;
use std::os::unix::process::ExitStatusExt as _;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, BufReader};

const CHILD_DIR: &str = "COFFER_DURABILITY_CHILD_DIR";
const CHILD_DB_URL: &str = "COFFER_DURABILITY_CHILD_DB_URL";
const CHILD_COUNT: &str = "COFFER_DURABILITY_CHILD_COUNT";
const CHILD_TOKEN: &str = "COFFER_DURABILITY_CHILD_TOKEN";
const NAME: &str = "durability/value";

fn value_of(token: &str, version: i64) -> String {
    format!("{token}-v{version}")
}

/// The child side. Does nothing unless the parent set `COFFER_DURABILITY_CHILD_DIR`.
#[tokio::test]
#[ignore = "child process of the durability tests; runs only when re-executed by them"]
async fn child_writer() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        eprintln!("child_writer: {CHILD_DIR} not set, nothing to do (this test is run by durability_* tests)");
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let count: i64 = std::env::var(CHILD_COUNT).expect(CHILD_COUNT).parse().expect(CHILD_COUNT);
    let token = std::env::var(CHILD_TOKEN).expect(CHILD_TOKEN);
    let (keyring, _) = load_keyring(&dir, None).expect("child: load keyring");
    let options = StoreOptions { database_url: std::env::var(CHILD_DB_URL).ok(), data_dir: dir, ..Default::default() };
    let store = Store::open(&options, keyring).await.expect("child: open store");
    let scope = scope();
    for expected in 1..=count {
        let version =
            common::append(&store, &scope, NAME, value_of(&token, expected).as_bytes()).await.expect("child: append");
        assert_eq!(version, expected, "child: the only writer gets consecutive versions");
        // Printed only after commit returned: this is the acknowledgement.
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        writeln!(out, "COMMITTED {version}").unwrap();
        out.flush().unwrap();
    }
    tokio::time::sleep(Duration::from_secs(600)).await;
}

/// Runs the child until it acknowledges `kill_after`, SIGKILLs it, returns the last acknowledged version.
async fn run_and_kill_child(db: &TestDb, token: &str, count: i64, kill_after: i64) -> i64 {
    let exe = std::env::current_exe().expect("current test binary");
    let mut cmd = tokio::process::Command::new(exe);
    cmd.args(["--exact", "child_writer", "--nocapture", "--ignored"])
        .env(CHILD_DIR, db.data_dir())
        .env(CHILD_COUNT, count.to_string())
        .env(CHILD_TOKEN, token)
        .env_remove(CHILD_DB_URL)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if let Some(url) = &db.database_url {
        cmd.env(CHILD_DB_URL, url);
    }
    let mut child = cmd.spawn().expect("spawn child test process");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acknowledged = 0;
    while acknowledged < kill_after {
        let line = tokio::time::timeout(Duration::from_secs(180), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("[{}] child acknowledged nothing for 180 s (last: {acknowledged})", db.name()))
            .expect("read child stdout")
            .unwrap_or_else(|| panic!("[{}] child exited after acknowledging {acknowledged} writes", db.name()));
        // libtest may print "test child_writer ... " on the same line, so look anywhere in it.
        if let Some((_, v)) = line.split_once("COMMITTED ") {
            let v: i64 = v.trim().parse().unwrap_or_else(|_| panic!("bad line {line:?}"));
            assert_eq!(v, acknowledged + 1, "acknowledgements are consecutive");
            acknowledged = v;
        }
    }
    child.start_kill().expect("SIGKILL the child");
    let status = child.wait().await.expect("reap child");
    assert_eq!(status.signal(), Some(9), "[{}] the child must die by SIGKILL, not exit ({status})", db.name());
    acknowledged
}

/// Reopens the store and checks every acknowledged write (and nothing torn).
async fn verify_after_crash(db: &TestDb, token: &str, acknowledged: i64) {
    let (keyring, _) = load_keyring(db.data_dir(), None).unwrap();
    let store = db.open(keyring).await;
    let scope = scope();
    let record = store
        .ssm_parameter(&scope, NAME)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("[{}] acknowledged parameter lost", db.name()));
    assert!(
        record.latest_version >= acknowledged,
        "[{}] acknowledged version {acknowledged} lost: latest is {}",
        db.name(),
        record.latest_version
    );
    let history = store.ssm_history(record.id, 0, record.latest_version + 10).await.unwrap();
    assert_eq!(
        history.iter().map(|v| v.version).collect::<Vec<_>>(),
        (1..=record.latest_version).collect::<Vec<_>>(),
        "[{}] versions after the crash",
        db.name()
    );
    for v in &history {
        assert_eq!(
            store.ssm_open(&scope, NAME, v).unwrap().expose(),
            value_of(token, v.version).as_bytes(),
            "[{}] value of version {} after the crash",
            db.name(),
            v.version
        );
    }
    if matches!(db.kind, Kind::Sqlite) {
        let mut conn = db.raw().await;
        let check: String = sqlx::query("PRAGMA integrity_check").fetch_one(&mut conn).await.unwrap().get(0);
        assert_eq!(check, "ok", "SQLite integrity after the crash");
    }
    // The store keeps working after the crash.
    let next =
        common::append(&store, &scope, NAME, value_of(token, record.latest_version + 1).as_bytes()).await.unwrap();
    assert_eq!(next, record.latest_version + 1);
    store.close().await;
    eprintln!("durability [{}]: acknowledged {acknowledged}, found {} after SIGKILL", db.name(), record.latest_version);
}

async fn durability(test: &str, count: i64, kill_after: i64) {
    for kind in common::backends(test) {
        eprintln!("{test} [{}]", kind.name());
        let db = TestDb::new(&kind).await;
        // Create the key file before the child starts, so both use the same key.
        load_keyring(db.data_dir(), None).unwrap();
        let token = common::random_alnum(16);
        let acknowledged = run_and_kill_child(&db, &token, count, kill_after).await;
        assert_eq!(acknowledged, kill_after);
        verify_after_crash(&db, &token, acknowledged).await;
    }
}

/// One write, acknowledged; the child then sleeps until it is killed.
#[tokio::test]
async fn durability_single_write_survives_sigkill() {
    durability("durability_single_write_survives_sigkill", 1, 1).await;
}

/// The child keeps writing as fast as it can; it is killed mid-stream.
#[tokio::test]
async fn durability_kill_during_writes() {
    durability("durability_kill_during_writes", 1_000_000, 40).await;
}
