//! Rotation through real rotation functions run by a real `coffer serve`: registered with
//! `coffer rotation register`, invoked through AWS's four steps with the function's role's
//! credentials, and a schedule that fires once across two servers under a moved clock.

mod common;

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_sdk_secretsmanager::types::RotationRulesType;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
/// What a rotation function's role may do: rotate the secrets tagged rotate=yes.
const ROTATOR_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:DescribeSecret","secretsmanager:GetSecretValue","secretsmanager:PutSecretValue","secretsmanager:UpdateSecretVersionStage"],"Resource":"*","Condition":{"StringEquals":{"secretsmanager:ResourceTag/rotate":"yes"}}}]}"#;

/// `coffer rotation …` on the server's store; its stdout.
fn coffer(server: &common::Server, args: &[&str]) -> String {
    let mut cmd = std::process::Command::new(common::coffer_bin());
    cmd.arg("rotation").args(args).env("COFFER_DATA_DIR", server.data_dir.path()).env_remove("COFFER_DATABASE_URL");
    if let Some(pg) = &server.pg {
        cmd.env("COFFER_DATABASE_URL", &pg.url);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "coffer rotation {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn rotator_role(server: &common::Server) {
    let iam = server.iam().await;
    iam.create_role().role_name("rotator").assume_role_policy_document(TRUST).send().await.unwrap();
    iam.put_role_policy()
        .role_name("rotator")
        .policy_name("rotate")
        .policy_document(ROTATOR_POLICY)
        .send()
        .await
        .unwrap();
}

async fn create(sm: &Client, name: &str, value: &str) -> String {
    let tag = aws_sdk_secretsmanager::types::Tag::builder().key("rotate").value("yes").build();
    sm.create_secret().name(name).secret_string(value).tags(tag).send().await.unwrap().version_id().unwrap().to_owned()
}

async fn stages(sm: &Client, id: &str) -> HashMap<String, Vec<String>> {
    sm.describe_secret().secret_id(id).send().await.unwrap().version_ids_to_stages().cloned().unwrap_or_default()
}

/// Waits (at most a generous minute) until `done` holds for the secret's description.
async fn until(
    sm: &Client,
    id: &str,
    done: impl Fn(&aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = sm.describe_secret().secret_id(id).send().await.unwrap();
        if done(&d) {
            return;
        }
        assert!(Instant::now() < deadline, "rotation did not finish: {d:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn rotate_secret_without_a_registered_function_is_refused() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        create(&sm, "plain", "v1").await;
        let e = sm.rotate_secret().secret_id("plain").send().await.unwrap_err();
        assert_eq!(
            (e.code(), e.message()),
            (Some("InvalidRequestException"), Some("No Lambda rotation function ARN is associated with this secret."))
        );
        let e = sm
            .rotate_secret()
            .secret_id("plain")
            .rotation_lambda_arn("arn:aws:lambda:us-east-1:000000000000:function:nobody")
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("AccessDeniedException"));
        let e = sm
            .rotate_secret()
            .secret_id("plain")
            .rotation_rules(RotationRulesType::builder().schedule_expression("rate(3 hours)").build())
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("InvalidParameterException"));
        let d = sm.describe_secret().secret_id("plain").send().await.unwrap();
        assert_eq!((d.rotation_enabled(), d.rotation_lambda_arn()), (None, None), "nothing was configured");
    });
}

/// The built-in function, run as the role: a new password into one JSON key, through the four
/// steps; AWSCURRENT on the new version, AWSPREVIOUS on the old, AWSPENDING gone.
#[tokio::test]
async fn builtin_password_function_rotates_one_json_key() {
    on_every_backend!(server => {
        rotator_role(&server).await;
        let arn = coffer(&server, &["register", "db-password", "--role", "rotator", "--random-password", "--length", "40", "--json-key", "password"]);
        assert_eq!(arn.trim(), "arn:aws:lambda:us-east-1:000000000000:function:db-password");
        let listed = coffer(&server, &["ls"]);
        assert!(listed.contains("function:db-password") && listed.contains("random-password"), "{listed}");

        let sm = server.secrets_manager().await;
        let v1 = create(&sm, "db", r#"{"username":"admin","password":"old"}"#).await;
        let out = sm
            .rotate_secret()
            .secret_id("db")
            .rotation_lambda_arn(arn.trim())
            .rotation_rules(RotationRulesType::builder().schedule_expression("rate(10 days)").build())
            .send()
            .await
            .unwrap();
        let token = out.version_id().unwrap().to_owned();
        until(&sm, "db", |d| d.last_rotated_date().is_some()).await;
        let s = stages(&sm, "db").await;
        assert_eq!(s[&token], ["AWSCURRENT"]);
        assert_eq!(s[&v1], ["AWSPREVIOUS"]);
        assert!(!s.values().flatten().any(|l| l == "AWSPENDING"));
        let current: serde_json::Value =
            serde_json::from_str(sm.get_secret_value().secret_id("db").send().await.unwrap().secret_string().unwrap()).unwrap();
        assert_eq!(current["username"], "admin");
        assert_eq!(current["password"].as_str().unwrap().len(), 40);
        let d = sm.describe_secret().secret_id("db").send().await.unwrap();
        assert_eq!(d.rotation_enabled(), Some(true));
        let (last, next) = (d.last_rotated_date().unwrap().secs(), d.next_rotation_date().unwrap().secs());
        // The next window opens at midnight UTC of the day ten days on.
        assert_eq!(next % 86_400, 0);
        assert!((9 * 86_400..=10 * 86_400).contains(&(next - last)), "{last} -> {next}");
    });
}

/// A step that fails leaves every label where it was; the pending version stays, as AWS
/// leaves it; the failure is in the audit trail.
#[tokio::test]
async fn a_failing_step_moves_nothing() {
    on_every_backend!(server => {
        rotator_role(&server).await;
        let script = server.data_dir.path().join("fail-at-test.sh");
        std::fs::write(&script, "#!/bin/sh\ncase \"$(cat)\" in *testSecret*) echo 'database refused the new password' >&2; exit 3;; esac\n").unwrap();
        let arn = coffer(&server, &["register", "flaky", "--role", "rotator", "--", "sh", script.to_str().unwrap()]);
        let sm = server.secrets_manager().await;
        let v1 = create(&sm, "svc", "v1").await;
        // The first two steps "succeed" without doing anything; testSecret fails.
        let out = sm.rotate_secret().secret_id("svc").rotation_lambda_arn(arn.trim()).send().await.unwrap();
        let token = out.version_id().unwrap().to_owned();
        let deadline = Instant::now() + Duration::from_secs(60);
        let failed = loop {
            let mut cmd = std::process::Command::new(common::coffer_bin());
            cmd.args(["audit", "ls", "--json", "--event", "Invoke"]).env("COFFER_DATA_DIR", server.data_dir.path()).env_remove("COFFER_DATABASE_URL");
            if let Some(pg) = &server.pg {
                cmd.env("COFFER_DATABASE_URL", &pg.url);
            }
            let out = cmd.output().unwrap();
            let records: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
            if let Some(failed) = records.iter().find(|r| r["error_code"] == "RotationStepFailed") {
                break failed.clone();
            }
            assert!(Instant::now() < deadline, "no failed step recorded: {records:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(failed["resources"][0], "arn:aws:lambda:us-east-1:000000000000:function:flaky");
        let s = stages(&sm, "svc").await;
        assert_eq!(s[&v1], ["AWSCURRENT"]);
        assert_eq!(s[&token], ["AWSPENDING"]);
        let d = sm.describe_secret().secret_id("svc").send().await.unwrap();
        assert_eq!(d.last_rotated_date(), None);
        // The rotation is still under way (it will be retried).
        let e = sm.rotate_secret().secret_id("svc").send().await.unwrap_err();
        assert_eq!(e.code(), Some("InvalidRequestException"));

        // `coffer secret show` says so, for a secret tagged for an application.
        let app = r#"{"name":"demo","account":"000000000000","domain":"","domainHostedZone":"","version":"1.0"}"#;
        let ssm = server.ssm().await;
        ssm.put_parameter().name("/copilot/applications/demo").value(app).r#type(aws_sdk_ssm::types::ParameterType::String).send().await.unwrap();
        let tag = aws_sdk_secretsmanager::types::Tag::builder().key("copilot-application").value("demo").build();
        sm.tag_resource().secret_id("svc").tags(tag).send().await.unwrap();
        let mut show = std::process::Command::new(common::coffer_bin());
        show.args(["secret", "show", "svc", "--app", "demo"]).env("COFFER_DATA_DIR", server.data_dir.path()).env_remove("COFFER_DATABASE_URL");
        if let Some(pg) = &server.pg {
            show.env("COFFER_DATABASE_URL", &pg.url);
        }
        let out = show.output().unwrap();
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        // On, although no schedule was given: a function rotates the secret.
        assert!(shown.contains("Rotation             enabled (arn:aws:lambda:us-east-1:000000000000:function:flaky)"), "{shown}");
        assert!(shown.contains(&format!("version {token} is AWSPENDING: a rotation under way, or failed")), "{shown}");
        // And the operator's view says why.
        let status = coffer(&server, &["status"]);
        let row = status.lines().find(|l| l.starts_with("svc ")).unwrap_or_else(|| panic!("{status}"));
        assert!(row.contains(&token) && row.contains("step testSecret: sh exited with exit status: 3"), "{status}");
    });
}

/// Checks how many versions the secret `sched` has.
async fn versions(sm: &Client, n: usize) {
    let listed = sm.list_secret_version_ids().secret_id("sched").include_deprecated(true).send().await.unwrap();
    assert_eq!(listed.versions().len(), n, "{listed:?}");
}

/// A server's rotation runner on its own handle to the server's database, with a clock the
/// test moves (the runner `coffer serve` starts is the same code on the system clock).
async fn runner(
    server: &common::Server,
    clock: std::sync::Arc<coffer_rotation::ManualClock>,
) -> coffer_rotation::Runner {
    let dir = server.data_dir.path().to_path_buf();
    let (keyring, _) = coffer_store::master_key::load_keyring(&dir, None).unwrap();
    let options = coffer_store::StoreOptions {
        database_url: server.pg.as_ref().map(|pg| pg.url.clone()),
        data_dir: dir,
        concurrency: coffer_store::Concurrency::Command,
        ..Default::default()
    };
    let store = coffer_store::Store::open(&options, keyring).await.unwrap();
    let endpoint = coffer_rotation::Endpoint { url: server.endpoint.clone(), ca_bundle: None };
    coffer_rotation::Runner::new(store, endpoint, coffer_rotation::Options::default(), clock)
}

/// A `rate()` schedule fires when the clock reaches the window, exactly once although two
/// servers look at the same moment, and again one interval later.
#[tokio::test]
async fn a_schedule_fires_once_across_two_servers() {
    on_every_backend!(server => {
        rotator_role(&server).await;
        // The built-in step, run as a command so the runners in this test process start the
        // coffer program rather than themselves.
        let coffer_bin = common::coffer_bin();
        let arn = coffer(&server, &["register", "nightly", "--role", "rotator", "--", coffer_bin.to_str().unwrap(), "rotation", "random-password-step", r#"{"PasswordLength":24}"#]);
        let sm = server.secrets_manager().await;
        create(&sm, "sched", "first").await;
        sm.rotate_secret()
            .secret_id("sched")
            .rotation_lambda_arn(arn.trim())
            .rotation_rules(RotationRulesType::builder().schedule_expression("rate(4 hours)").build())
            .send()
            .await
            .unwrap();
        // The immediate rotation, run by the server itself.
        until(&sm, "sched", |d| d.last_rotated_date().is_some()).await;
        versions(&sm, 2).await;
        let next = sm.describe_secret().secret_id("sched").send().await.unwrap().next_rotation_date().unwrap().to_millis().unwrap();

        let clock = std::sync::Arc::new(coffer_rotation::ManualClock::new(coffer_aws::Timestamp(next - 60_000)));
        let (a, b) = (runner(&server, clock.clone()).await, runner(&server, clock.clone()).await);
        let (ran_a, ran_b) = tokio::join!(a.tick(), b.tick());
        assert_eq!(ran_a.unwrap() + ran_b.unwrap(), 0, "not due a minute early");
        versions(&sm, 2).await;

        clock.set(coffer_aws::Timestamp(next + 60_000));
        let (ran_a, ran_b) = tokio::join!(a.tick(), b.tick());
        assert_eq!(ran_a.unwrap() + ran_b.unwrap(), 1, "one rotation, by one of the two");
        versions(&sm, 3).await;
        let d = sm.describe_secret().secret_id("sched").send().await.unwrap();
        assert_eq!(d.last_rotated_date().unwrap().to_millis().unwrap(), next + 60_000);
        let again = d.next_rotation_date().unwrap().to_millis().unwrap();
        assert_eq!(again, next + 4 * 3_600_000, "four hours after the rotation, on the hour");
        let (ran_a, ran_b) = tokio::join!(a.tick(), b.tick());
        assert_eq!(ran_a.unwrap() + ran_b.unwrap(), 0, "done for this window");

        clock.set(coffer_aws::Timestamp(again + 1));
        let (ran_a, ran_b) = tokio::join!(a.tick(), b.tick());
        assert_eq!(ran_a.unwrap() + ran_b.unwrap(), 1);
        versions(&sm, 4).await;

        // A value made current by hand counts as a rotation: the next window is counted from it.
        sm.put_secret_value().secret_id("sched").secret_string("set by hand").send().await.unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let next = sm.describe_secret().secret_id("sched").send().await.unwrap().next_rotation_date().unwrap().secs();
        assert!((now + 3 * 3600..=now + 4 * 3600).contains(&next) && next % 3600 == 0, "{now} -> {next}");
    });
}

/// A webhook function: each step's event POSTed, signed with the key `register` printed; this
/// endpoint does the steps with credentials of its own, as a service outside Coffer would.
#[tokio::test]
async fn webhook_function_gets_each_step_signed() {
    use base64::Engine as _;
    use http_body_util::BodyExt as _;
    use std::sync::{Arc, Mutex};
    on_every_backend!(server => {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/rotate", listener.local_addr().unwrap());
        let out = coffer(&server, &["register", "hook", "--webhook", &url]);
        let mut lines = out.lines();
        let arn = lines.next().unwrap().to_owned();
        let key = lines.next().unwrap().strip_prefix("signing key: ").unwrap();
        let key = base64::engine::general_purpose::STANDARD.decode(key).unwrap();

        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let sm = server.secrets_manager().await;
        let (hook_sm, hook_seen) = (sm.clone(), seen.clone());
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let (sm, seen, key) = (hook_sm.clone(), hook_seen.clone(), key.clone());
                let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let (sm, seen, key) = (sm.clone(), seen.clone(), key.clone());
                    async move {
                        let signature = request.headers()["x-coffer-signature"].to_str().unwrap().to_owned();
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        let hmac = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key);
                        let expected = format!("sha256={}", hex::encode(aws_lc_rs::hmac::sign(&hmac, &body).as_ref()));
                        let status = if signature != expected {
                            401
                        } else {
                            let event: serde_json::Value = serde_json::from_slice(&body).unwrap();
                            let (id, token) = (event["SecretId"].as_str().unwrap(), event["ClientRequestToken"].as_str().unwrap());
                            seen.lock().unwrap().push(event["Step"].as_str().unwrap().to_owned());
                            match event["Step"].as_str().unwrap() {
                                "createSecret" => {
                                    sm.put_secret_value().secret_id(id).client_request_token(token).secret_string("from-webhook").version_stages("AWSPENDING").send().await.unwrap();
                                }
                                "finishSecret" => {
                                    let current = sm.get_secret_value().secret_id(id).send().await.unwrap();
                                    sm.update_secret_version_stage().secret_id(id).version_stage("AWSCURRENT").move_to_version_id(token).remove_from_version_id(current.version_id().unwrap()).send().await.unwrap();
                                }
                                _ => {}
                            }
                            200
                        };
                        let response = hyper::Response::builder().status(status).body(http_body_util::Full::new(hyper::body::Bytes::new())).unwrap();
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), service));
            }
        });

        let v1 = create(&sm, "hooked", "before").await;
        let token = sm.rotate_secret().secret_id("hooked").rotation_lambda_arn(&arn).send().await.unwrap().version_id().unwrap().to_owned();
        until(&sm, "hooked", |d| d.last_rotated_date().is_some()).await;
        assert_eq!(*seen.lock().unwrap(), ["createSecret", "setSecret", "testSecret", "finishSecret"]);
        let s = stages(&sm, "hooked").await;
        assert_eq!((s[&token].clone(), s[&v1].clone()), (vec!["AWSCURRENT".to_owned()], vec!["AWSPREVIOUS".to_owned()]));
        assert_eq!(sm.get_secret_value().secret_id("hooked").send().await.unwrap().secret_string(), Some("from-webhook"));
    });
}
