//! `coffer backup` while `coffer serve` serves, `coffer restore` into an empty data
//! directory, and the PostgreSQL procedure of the README (pg_dump / pg_restore): afterwards
//! the audit chain verifies and every value reads back.

mod common;

use coffer_test_support::PgDatabase;
use common::{Db, Harness, Mode, coffer_bin};
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `coffer <args>` on the embedded store of `data_dir` (and `database_url`, if any).
fn coffer(data_dir: &Path, database_url: Option<&str>, args: &[&str]) -> common::Run {
    let mut cmd = Command::new(coffer_bin());
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", data_dir.parent().unwrap())
        .env("COFFER_DATA_DIR", data_dir)
        .env("AWS_REGION", common::REGION)
        .stdin(Stdio::null());
    if let Some(url) = database_url {
        cmd.env("COFFER_DATABASE_URL", url);
    }
    let out = cmd.output().unwrap();
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn private_dir(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::DirBuilder::new().mode(0o700).create(&dir).unwrap();
    dir
}

fn copy_key(from: &Path, to: &Path) {
    std::fs::copy(from.join("master.key"), to.join("master.key")).unwrap();
    std::fs::set_permissions(to.join("master.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// The seed's secret and a second one, written through the running server.
fn populate(h: &Harness) {
    h.app_and_env("demo", &["test"]);
    h.run(&["secret", "init", "--app", "demo", "--name", "GH_WEBHOOK_SECRET", "--values", "test=secretvalue1234"])
        .success();
    h.run(&["secret", "init", "--app", "demo", "--name", "DB_PASSWORD", "--values", "test=hunter2"]).success();
}

fn revealed(data_dir: &Path, database_url: Option<&str>, name: &str) -> String {
    let run = coffer(
        data_dir,
        database_url,
        &["secret", "show", name, "--app", "demo", "--env", "test", "--reveal", "--json"],
    );
    run.success();
    run.json()["environments"][0]["value"].as_str().unwrap_or_else(|| panic!("no value: {}", run.stdout)).to_owned()
}

#[test]
fn backup_while_serving_then_restore_into_an_empty_directory() {
    let h = Harness::new(Mode::Remote, Db::Sqlite);
    populate(&h);
    let backup = h.path().join("coffer.backup");
    let run = coffer(&h.data_dir(), None, &["backup", "--to", backup.to_str().unwrap()]);
    run.success().stderr_has(&format!("✔ Backed up {} to {}", h.data_dir().display(), backup.display()));
    run.stderr_has("Note: The backup holds every value sealed under master key ").stderr_has(&format!(
        "Keep the key ({}) safely, apart from the backup.",
        h.data_dir().join("master.key").display()
    ));
    assert_eq!(std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777, 0o600);
    // The server kept serving during the backup and after it.
    h.run(&["secret", "ls", "--app", "demo"]).success();
    let again = coffer(&h.data_dir(), None, &["backup", "--to", backup.to_str().unwrap()]);
    again.failure().stderr_has(&format!("error: cannot create {}", backup.display()));

    // No master key: refused before anything is written.
    let restored = private_dir(h.path(), "restored");
    coffer(&restored, None, &["restore", "--from", backup.to_str().unwrap()])
        .failure()
        .stderr_has("no master key for ")
        .stderr_has("the backup cannot be read without it");
    assert!(!restored.join("coffer.db").exists());

    // Another master key: refused, and nothing kept.
    let wrong = private_dir(h.path(), "wrong");
    coffer(&wrong, None, &["keys", "status"]).success(); // creates a new key
    std::fs::remove_file(wrong.join("coffer.db")).ok();
    for suffix in ["-wal", "-shm"] {
        std::fs::remove_file(format!("{}{suffix}", wrong.join("coffer.db").display())).ok();
    }
    coffer(&wrong, None, &["restore", "--from", backup.to_str().unwrap()])
        .failure()
        .stderr_has("that this data directory does not have");
    assert!(!wrong.join("coffer.db").exists(), "nothing kept");

    copy_key(&h.data_dir(), &restored);
    coffer(&restored, None, &["restore", "--from", backup.to_str().unwrap()]).success().stderr_has("✔ Restored ");
    assert_eq!(std::fs::metadata(restored.join("coffer.db")).unwrap().permissions().mode() & 0o777, 0o600);
    coffer(&restored, None, &["audit", "verify"]).success().stdout_has("audit chain intact: ");
    assert_eq!(revealed(&restored, None, "GH_WEBHOOK_SECRET"), "secretvalue1234");
    assert_eq!(revealed(&restored, None, "DB_PASSWORD"), "hunter2");
    coffer(&restored, None, &["restore", "--from", backup.to_str().unwrap()])
        .failure()
        .stderr_has("already holds a store: restore into an empty data directory");
}

/// The README's PostgreSQL procedure, run as written: pg_dump of the serving database,
/// pg_restore into an empty one, the same master key.
#[test]
fn postgres_backup_with_pg_dump_and_pg_restore() {
    if coffer_test_support::postgres_admin_url().is_none() {
        eprintln!("skipped: COFFER_TEST_POSTGRES_URL not set");
        return;
    }
    let h = Harness::new(Mode::Remote, Db::Postgres);
    populate(&h);
    let source = h.database_url().unwrap();
    let dump = h.path().join("coffer.dump");
    let status = Command::new("pg_dump").args(["--format=custom", "--file"]).arg(&dump).arg(&source).status().unwrap();
    assert!(status.success(), "pg_dump");
    let target = PgDatabase::create("coffer_restore");
    let status = Command::new("pg_restore").args(["--no-owner", "--dbname", &target.url]).arg(&dump).status().unwrap();
    assert!(status.success(), "pg_restore");
    coffer(&h.data_dir(), Some(&target.url), &["audit", "verify"]).success().stdout_has("audit chain intact: ");
    assert_eq!(revealed(&h.data_dir(), Some(&target.url), "GH_WEBHOOK_SECRET"), "secretvalue1234");
    coffer(&h.data_dir(), Some(&source), &["backup", "--to", "/dev/null"])
        .failure()
        .stderr_has("for PostgreSQL use pg_dump");
}
