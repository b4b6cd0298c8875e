//! Several `coffer serve` nodes on one PostgreSQL database, with writers on every node at
//! once: versions are numbered without gaps or duplicates, a staging label is always on
//! exactly one version, a write through one node is read on another within the stated bound
//! (the read cache), a node killed with SIGKILL leaves the others serving and loses no
//! acknowledged write, and a database that cannot be reached at start-up is retried, then
//! reported without its URL.

mod common;

use aws_sdk_secretsmanager::error::ProvideErrorMetadata as _;
use aws_sdk_ssm::types::ParameterType;
use coffer_test_support::postgres_admin_url;
use common::{Backend, Server};
use std::collections::{BTreeMap, BTreeSet};

fn postgres() -> bool {
    if postgres_admin_url().is_none() {
        eprintln!("skipped: COFFER_TEST_POSTGRES_URL not set");
        return false;
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_three_nodes() {
    if !postgres() {
        return;
    }
    let first = Server::start(Backend::Postgres);
    let nodes = [first.another_node(), first.another_node()];
    let all: Vec<&Server> = std::iter::once(&first).chain(nodes.iter()).collect();
    let ssm = first.ssm().await;
    let sm = first.secrets_manager().await;
    ssm.put_parameter().name("/race").value("0").r#type(ParameterType::String).send().await.unwrap();
    let created = sm.create_secret().name("race").secret_string("0").send().await.unwrap();
    let first_version = created.version_id().unwrap().to_owned();
    sm.update_secret_version_stage()
        .secret_id("race")
        .version_stage("STABLE")
        .move_to_version_id(&first_version)
        .send()
        .await
        .unwrap();

    let mut tasks = Vec::new();
    for (n, node) in all.iter().enumerate() {
        let ssm = node.ssm().await;
        let sm = node.secrets_manager().await;
        tasks.push(tokio::spawn(async move {
            let mut versions = Vec::new();
            let mut secret_versions = Vec::new();
            for i in 0..15 {
                versions.push(
                    ssm.put_parameter()
                        .name("/race")
                        .value(format!("{n}-{i}"))
                        .overwrite(true)
                        .send()
                        .await
                        .unwrap()
                        .version,
                );
                let put =
                    sm.put_secret_value().secret_id("race").secret_string(format!("{n}-{i}")).send().await.unwrap();
                secret_versions.push(put.version_id().unwrap().to_owned());
                // Move STABLE from wherever it is to this version; a concurrent move makes the
                // named holder stale, which the service refuses without moving anything.
                let stages = sm.describe_secret().secret_id("race").send().await.unwrap();
                let holder = stages
                    .version_ids_to_stages()
                    .unwrap()
                    .iter()
                    .find(|(_, s)| s.iter().any(|s| s == "STABLE"))
                    .map(|(id, _)| id.clone());
                let moved = sm
                    .update_secret_version_stage()
                    .secret_id("race")
                    .version_stage("STABLE")
                    .move_to_version_id(put.version_id().unwrap())
                    .set_remove_from_version_id(holder)
                    .send()
                    .await;
                if let Err(e) = moved {
                    assert_eq!(e.into_service_error().code(), Some("InvalidParameterException"));
                }
            }
            (versions, secret_versions)
        }));
    }
    let mut versions = Vec::new();
    let mut secret_versions = BTreeSet::new();
    for t in tasks {
        let (v, s) = t.await.unwrap();
        versions.extend(v);
        secret_versions.extend(s);
    }
    versions.sort();
    assert_eq!(versions, (2..=46).collect::<Vec<i64>>(), "every version once, no gaps");
    assert_eq!(secret_versions.len(), 45, "every PutSecretValue made its own version");

    let listed =
        sm.list_secret_version_ids().secret_id("race").include_deprecated(true).max_results(100).send().await.unwrap();
    let mut holders: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for v in listed.versions() {
        for stage in v.version_stages() {
            holders.entry(stage.clone()).or_default().push(v.version_id().unwrap().to_owned());
        }
    }
    for stage in ["AWSCURRENT", "AWSPREVIOUS", "STABLE"] {
        assert_eq!(holders.get(stage).map(Vec::len), Some(1), "{stage} on exactly one version: {holders:?}");
    }
}

/// Each node keeps what it read; a value, a deletion and a new secret written through another
/// node are read within the README's bound (one second; a change notification normally
/// brings them within a millisecond), and a node's own write at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_on_one_node_is_read_on_another_within_a_second() {
    if !postgres() {
        return;
    }
    let bound = coffer_store::CACHE_MAX_AGE + std::time::Duration::from_millis(500);
    let writer = Server::start(Backend::Postgres);
    let reader = writer.another_node();
    let (write, read) = (writer.secrets_manager().await, reader.secrets_manager().await);
    let value = |sm: aws_sdk_secretsmanager::Client, id: &'static str| async move {
        match sm.get_secret_value().secret_id(id).send().await {
            Ok(v) => Some(v.secret_string().unwrap().to_owned()),
            Err(e) => {
                assert_eq!(e.into_service_error().code(), Some("ResourceNotFoundException"));
                None
            }
        }
    };
    let eventually = |want: Option<&'static str>, id: &'static str, what: &'static str| {
        let read = read.clone();
        async move {
            let started = std::time::Instant::now();
            loop {
                let got = value(read.clone(), id).await;
                if got.as_deref() == want {
                    return;
                }
                assert!(started.elapsed() < bound, "{what}: the other node still reads {got:?} after {bound:?}");
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    };

    // Read first on the reader, so it has the secret (and a missing one) cached.
    write.create_secret().name("shared").secret_string("one").send().await.unwrap();
    eventually(Some("one"), "shared", "a new secret").await;
    assert_eq!(value(read.clone(), "later").await, None);

    write.put_secret_value().secret_id("shared").secret_string("two").send().await.unwrap();
    eventually(Some("two"), "shared", "a new value").await;
    write.create_secret().name("later").secret_string("three").send().await.unwrap();
    eventually(Some("three"), "later", "a secret created after a read found none").await;
    write.delete_secret().secret_id("shared").force_delete_without_recovery(true).send().await.unwrap();
    eventually(None, "shared", "a deletion").await;

    // A node's own write is read on it at once.
    read.put_secret_value().secret_id("later").secret_string("four").send().await.unwrap();
    assert_eq!(value(read.clone(), "later").await.as_deref(), Some("four"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_killed_mid_load_leaves_the_others_serving() {
    if !postgres() {
        return;
    }
    let mut victim = Server::start(Backend::Postgres);
    let survivor = victim.another_node();
    let (victim_ssm, survivor_ssm) = (victim.ssm().await, survivor.ssm().await);
    let writer = |ssm: aws_sdk_ssm::Client, node: &'static str| {
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0..200 {
                let name = format!("/{node}/p{i}");
                match ssm
                    .put_parameter()
                    .name(&name)
                    .value(format!("v{i}"))
                    .r#type(ParameterType::SecureString)
                    .send()
                    .await
                {
                    Ok(_) => acknowledged.push(name),
                    Err(_) => break, // the node is gone
                }
            }
            acknowledged
        })
    };
    let on_victim = writer(victim_ssm, "victim");
    let on_survivor = writer(survivor_ssm.clone(), "survivor");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    victim.kill_hard();
    let victim_acks = on_victim.await.unwrap();
    let survivor_acks = on_survivor.await.unwrap();
    assert_eq!(survivor_acks.len(), 200, "the other node carried on");
    assert!(victim_acks.len() < 200, "the victim was killed mid-load");
    for name in victim_acks.iter().chain(&survivor_acks) {
        let p = survivor_ssm.get_parameter().name(name).with_decryption(true).send().await.unwrap();
        let i = name.rsplit_once("/p").unwrap().1;
        assert_eq!(p.parameter().unwrap().value(), Some(format!("v{i}").as_str()), "acknowledged, so kept: {name}");
    }
}

#[test]
fn an_unreachable_database_is_retried_then_reported_without_its_url() {
    let data_dir = tempfile::Builder::new()
        .permissions(<std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o700))
        .tempdir()
        .unwrap();
    let started = std::time::Instant::now();
    let out = std::process::Command::new(common::coffer_bin())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("COFFER_DATA_DIR", data_dir.path())
        .env("COFFER_DATABASE_URL", "postgres://coffer:hunter2-secret@127.0.0.1:1/coffer")
        .env("COFFER_DB_CONNECT_TIMEOUT", "2")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the database cannot be reached; retrying"), "{stderr}");
    assert!(stderr.contains("error: the database could not be reached within 2 s: "), "{stderr}");
    assert!(!stderr.contains("hunter2") && !stderr.contains("panicked"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}
