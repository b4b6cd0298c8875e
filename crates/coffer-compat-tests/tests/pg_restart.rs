//! PostgreSQL restarted under load (its own test binary: the restart would disturb any test
//! running beside it). Requests caught by the restart fail with the service's 5xx error, both
//! nodes recover by themselves, and no acknowledged write is lost.

mod common;

use aws_sdk_ssm::error::ProvideErrorMetadata as _;
use aws_sdk_ssm::types::ParameterType;
use common::{Backend, Server};
use std::time::{Duration, Instant};

/// The local cluster's version, when this machine's PostgreSQL is one `pg_ctlcluster` controls
/// (as `.ci/run` starts it).
fn local_cluster() -> Option<String> {
    let version = std::fs::read_dir("/etc/postgresql").ok()?.next()?.ok()?.file_name().to_string_lossy().into_owned();
    let probe = std::process::Command::new("pg_ctlcluster").args([&version, "main", "status"]).output().ok()?;
    probe.status.success().then_some(version)
}

fn restart_postgres(version: &str) {
    let status = std::process::Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", version, "main", "restart"])
        .status()
        .expect("pg_ctlcluster");
    assert!(status.success(), "restarting PostgreSQL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_recover_from_a_postgres_restart() {
    let Some(version) = local_cluster().filter(|_| coffer_test_support::postgres_admin_url().is_some()) else {
        eprintln!("skipped: no local PostgreSQL cluster to restart");
        return;
    };
    let first = Server::start(Backend::Postgres);
    let second = first.another_node();
    let writer = |ssm: aws_sdk_ssm::Client, node: &'static str| {
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut failures = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(8);
            let mut i = 0;
            while Instant::now() < deadline {
                let name = format!("/{node}/p{i}");
                i += 1;
                match ssm.put_parameter().name(&name).value("v").r#type(ParameterType::String).send().await {
                    Ok(_) => acknowledged.push(name),
                    Err(e) => {
                        let status = e.raw_response().map(|r| r.status().as_u16());
                        let code = e.into_service_error().code().map(str::to_owned);
                        failures.push((status, code));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            (acknowledged, failures)
        })
    };
    let tasks = [writer(first.ssm().await, "one"), writer(second.ssm().await, "two")];
    tokio::time::sleep(Duration::from_millis(500)).await;
    restart_postgres(&version);
    let restarted = Instant::now();
    let mut acknowledged = Vec::new();
    for task in tasks {
        let (acks, failures) = task.await.unwrap();
        for (status, code) in &failures {
            assert_eq!(*status, Some(500), "a request caught by the restart: {code:?}");
            assert_eq!(code.as_deref(), Some("InternalServerError"));
        }
        acknowledged.extend(acks);
    }
    assert!(restarted.elapsed() < Duration::from_secs(10));
    // Both nodes serve again, and everything acknowledged is there.
    for node in [&first, &second] {
        let ssm = node.ssm().await;
        ssm.put_parameter()
            .name(format!("/after/{}", node.pid()))
            .value("v")
            .r#type(ParameterType::String)
            .send()
            .await
            .unwrap();
        for name in &acknowledged {
            assert!(ssm.get_parameter().name(name).send().await.is_ok(), "acknowledged, so kept: {name}");
        }
    }
}
