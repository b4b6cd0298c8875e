//! In-process tests of the Secrets Manager operations over a real store: SQLite always,
//! PostgreSQL too when `COFFER_TEST_POSTGRES_URL` is set (a fresh database per store).
//! The wire (the real SDK against `coffer serve`) is covered by coffer-compat-tests; these
//! cover what a client cannot reach: expiry purges, the 100-version cap, row contents.

use super::model::*;
use super::*;
use crate::RequestContext;
use crate::Service;
use crate::error::{OpError, OpResult};
use coffer_aws::secret::ExposeSecret;
use coffer_store::{Keyring, MasterKey, StoreOptions};
use std::path::PathBuf;
use std::process::Command;

struct TestStore {
    store: Store,
    dir: PathBuf,
    pg: Option<(String, String)>,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin, name)) = self.pg.take() {
            let _ = Command::new("psql")
                .arg(&admin)
                .args(["-q", "-c", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")])
                .output();
        }
    }
}

fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

async fn open(pg_admin: Option<&str>) -> TestStore {
    // The store creates it, private.
    let dir = std::env::temp_dir().join(format!("coffer-sm-test-{}", unique()));
    let (database_url, pg) = match pg_admin {
        None => (None, None),
        Some(admin) => {
            let name = format!("coffer_smtest_{}", unique());
            let out = Command::new("psql")
                .arg(admin)
                .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", &format!("CREATE DATABASE {name}")])
                .output()
                .unwrap();
            assert!(out.status.success(), "CREATE DATABASE: {}", String::from_utf8_lossy(&out.stderr));
            let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
            (Some(format!("{base}/{name}")), Some((admin.to_owned(), name)))
        }
    };
    let keyring = Keyring::new(MasterKey::generate().unwrap());
    let store = Store::open(&StoreOptions { database_url, data_dir: dir.clone(), ..Default::default() }, keyring)
        .await
        .unwrap();
    TestStore { store, dir, pg }
}

/// One store per backend.
async fn stores() -> Vec<TestStore> {
    let mut out = vec![open(None).await];
    if let Ok(url) = std::env::var("COFFER_TEST_POSTGRES_URL")
        && !url.trim().is_empty()
    {
        out.push(open(Some(url.trim())).await);
    }
    out
}

fn ctx() -> RequestContext {
    RequestContext::root(Scope::new("000000000000", "us-east-1"), "test")
}

fn create_input(name: &str, value: Option<&str>) -> CreateSecretInput {
    CreateSecretInput {
        name: Some(name.to_owned()),
        client_request_token: None,
        description: None,
        kms_key_id: None,
        secret_binary: None,
        secret_string: value.map(|v| SecretString::from(v.to_owned())),
        tags: None,
        add_replica_regions: None,
        force_overwrite_replica_secret: None,
        secret_type: None,
    }
}

fn put_input(id: &str, value: &str, stages: Option<&[&str]>) -> PutSecretValueInput {
    PutSecretValueInput {
        secret_id: Some(id.to_owned()),
        client_request_token: None,
        secret_binary: None,
        secret_string: Some(SecretString::from(value.to_owned())),
        version_stages: stages.map(|s| s.iter().map(|x| (*x).to_owned()).collect()),
        rotation_token: None,
    }
}

/// An error as the client receives it.
fn aws(e: OpError) -> AwsError {
    e.into_aws(Service::SecretsManager)
}

async fn get(sm: &SecretsManager, id: &str) -> OpResult<GetSecretValueOutput> {
    sm.get_secret_value(
        &ctx(),
        GetSecretValueInput { secret_id: Some(id.to_owned()), version_id: None, version_stage: None },
    )
    .await
}

fn text(out: &GetSecretValueOutput) -> String {
    out.secret_string.as_ref().unwrap().0.expose_secret().to_owned()
}

#[tokio::test]
async fn expired_secrets_are_purged_with_their_ciphertexts() {
    for t in stores().await {
        let sm = SecretsManager::new(t.store.clone());
        let scope = ctx().scope;
        sm.create_secret(&ctx(), create_input("old", Some("v1"))).await.unwrap();
        sm.put_secret_value(&ctx(), put_input("old", "v2", None)).await.unwrap();
        sm.create_secret(&ctx(), create_input("listed", Some("v"))).await.unwrap();
        let old = t.store.sm_secret(&scope, "old").await.unwrap().unwrap();
        let listed = t.store.sm_secret(&scope, "listed").await.unwrap().unwrap();
        assert_eq!(t.store.sm_versions(old.id).await.unwrap().len(), 2);

        // Schedule both with a window that has already ended.
        let past = Timestamp::now().plus_days(-31);
        let mut tx = t.store.begin().await.unwrap();
        tx.sm_set_deletion(old.id, Some((past, past.plus_days(30)))).await.unwrap();
        tx.sm_set_deletion(listed.id, Some((past, past.plus_days(30)))).await.unwrap();
        tx.commit().await.unwrap();

        // On access: gone, rows and ciphertexts included.
        let err = aws(get(&sm, "old").await.unwrap_err());
        assert_eq!(err.code, "ResourceNotFoundException");
        assert!(t.store.sm_secret(&scope, "old").await.unwrap().is_none());
        assert!(t.store.sm_versions(old.id).await.unwrap().is_empty());
        assert!(t.store.sm_stages(old.id).await.unwrap().is_empty());

        // The name is free again, with a new ARN suffix.
        let again = sm.create_secret(&ctx(), create_input("old", Some("new"))).await.unwrap();
        assert_ne!(again.arn, old.arn(&scope));

        // In a listing (even one that hides deleted secrets) the expired one is purged too.
        let out = sm
            .list_secrets(
                &ctx(),
                ListSecretsInput {
                    include_planned_deletion: Some(true),
                    max_results: None,
                    next_token: None,
                    filters: None,
                    sort_order: None,
                    sort_by: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(out.secret_list.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["old"]);
        assert!(t.store.sm_secret(&scope, "listed").await.unwrap().is_none());
        assert!(t.store.sm_versions(listed.id).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn at_most_100_versions_and_labelled_ones_survive() {
    for t in stores().await {
        let sm = SecretsManager::new(t.store.clone());
        let first = sm.create_secret(&ctx(), create_input("many", Some("v0"))).await.unwrap().version_id.unwrap();
        // Keep a custom label on the very first version: it must never be dropped.
        sm.put_secret_value(&ctx(), put_input("many", "v1", Some(&["KEEP"]))).await.unwrap();
        sm.update_secret_version_stage(
            &ctx(),
            UpdateSecretVersionStageInput {
                secret_id: Some("many".into()),
                version_stage: Some("KEEP".into()),
                remove_from_version_id: Some(
                    t.store
                        .sm_stages(t.store.sm_secret(&ctx().scope, "many").await.unwrap().unwrap().id)
                        .await
                        .unwrap()
                        .into_iter()
                        .find(|(s, _)| s == "KEEP")
                        .unwrap()
                        .1,
                ),
                move_to_version_id: Some(first.clone()),
            },
        )
        .await
        .unwrap();
        for i in 2..=110 {
            sm.put_secret_value(&ctx(), put_input("many", &format!("v{i}"), None)).await.unwrap();
        }
        let record = t.store.sm_secret(&ctx().scope, "many").await.unwrap().unwrap();
        let versions = t.store.sm_versions(record.id).await.unwrap();
        assert_eq!(versions.len(), MAX_VERSIONS);
        assert!(versions.iter().any(|v| v.version_id == first), "the labelled first version is kept");
        let v = sm
            .get_secret_value(
                &ctx(),
                GetSecretValueInput {
                    secret_id: Some("many".into()),
                    version_id: None,
                    version_stage: Some("KEEP".into()),
                },
            )
            .await
            .unwrap();
        assert_eq!(text(&v), "v0");
        assert_eq!(text(&get(&sm, "many").await.unwrap()), "v110");
        let prev = sm
            .get_secret_value(
                &ctx(),
                GetSecretValueInput {
                    secret_id: Some("many".into()),
                    version_id: None,
                    version_stage: Some("AWSPREVIOUS".into()),
                },
            )
            .await
            .unwrap();
        assert_eq!(text(&prev), "v109");
    }
}

#[tokio::test]
async fn values_are_sealed_to_the_secret_and_version() {
    for t in stores().await {
        let sm = SecretsManager::new(t.store.clone());
        sm.create_secret(&ctx(), create_input("a", Some("alpha"))).await.unwrap();
        sm.create_secret(&ctx(), create_input("b", Some("beta"))).await.unwrap();
        let scope = ctx().scope;
        let a = t.store.sm_secret(&scope, "a").await.unwrap().unwrap();
        let b = t.store.sm_secret(&scope, "b").await.unwrap().unwrap();
        let va = t.store.sm_version_by_stage(a.id, AWSCURRENT).await.unwrap().unwrap();
        assert!(!va.sealed.ciphertext.windows(5).any(|w| w == b"alpha"), "stored as ciphertext");
        // b's record with a's ciphertext: the binding differs, so it does not open.
        assert!(t.store.sm_open(&scope, &b, &va).is_err());
        assert_eq!(t.store.sm_open(&scope, &a, &va).unwrap().expose(), b"alpha");
    }
}

#[tokio::test]
async fn rotate_secret_stages_the_new_version_and_records_the_rotation() {
    for t in stores().await {
        let sm = SecretsManager::new(t.store.clone());
        let v1 = sm.create_secret(&ctx(), create_input("rot", Some("one"))).await.unwrap().version_id.unwrap();
        let rotate = |arn: Option<&str>, token: Option<&str>| RotateSecretInput {
            secret_id: Some("rot".into()),
            client_request_token: token.map(str::to_owned),
            rotation_lambda_arn: arn.map(str::to_owned),
            rotation_rules: Some(RotationRules { automatically_after_days: Some(7), ..Default::default() }),
            rotate_immediately: None,
        };
        let code = |e: crate::error::OpError| {
            let e = e.into_aws(crate::Service::SecretsManager);
            (e.code.to_string(), e.message.unwrap_or_default())
        };
        let refused = code(sm.rotate_secret(&ctx(), rotate(None, None)).await.unwrap_err());
        assert_eq!(
            refused,
            (
                "InvalidRequestException".to_owned(),
                "No Lambda rotation function ARN is associated with this secret.".to_owned()
            )
        );
        let arn = "arn:aws:lambda:us-east-1:000000000000:function:rotator";
        let refused = code(sm.rotate_secret(&ctx(), rotate(Some(arn), None)).await.unwrap_err());
        assert_eq!(refused.0, "AccessDeniedException", "an unregistered function cannot be invoked");

        let mut tx = t.store.begin().await.unwrap();
        let function = coffer_store::rotation::NewFunction {
            name: "rotator",
            kind: coffer_store::rotation::FunctionKind::Command,
            role_arn: None,
            spec: r#"{"argv":["true"]}"#,
            timeout_ms: 1000,
            webhook_key: None,
        };
        tx.rotation_register(&ctx().scope, &function, Timestamp::now()).await.unwrap().unwrap();
        tx.commit().await.unwrap();
        let token = "rotation-token-0000000000000000000001";
        let out = sm.rotate_secret(&ctx(), rotate(Some(arn), Some(token))).await.unwrap();
        assert_eq!(out.version_id.as_deref(), Some(token));
        // Staged as AWS does before it invokes the function: AWSPENDING on a version that has
        // no value yet; AWSCURRENT untouched until the function's finishSecret moves it.
        let d = sm.describe_secret(&ctx(), SecretIdInput { secret_id: Some("rot".into()) }).await.unwrap();
        let map = d.version_ids_to_stages.clone().unwrap();
        assert_eq!((map[&v1].clone(), map[token].clone()), (vec![AWSCURRENT.to_owned()], vec![AWSPENDING.to_owned()]));
        assert_eq!(text(&get(&sm, "rot").await.unwrap()), "one");
        assert_eq!((d.rotation_enabled, d.rotation_lambda_arn.as_deref()), (Some(true), Some(arn)));
        assert!(d.next_rotation_date.is_some() && d.last_rotated_date.is_none());
        let record = t.store.sm_secret(&ctx().scope, "rot").await.unwrap().unwrap();
        assert_eq!(record.rotation_token.as_deref(), Some(token));
        // One rotation at a time.
        let busy = code(sm.rotate_secret(&ctx(), rotate(None, None)).await.unwrap_err());
        assert_eq!(
            busy,
            (
                "InvalidRequestException".to_owned(),
                "A previous rotation isn't complete. That rotation will be reattempted.".to_owned()
            )
        );

        let cancel = sm.cancel_rotate_secret(&ctx(), SecretIdInput { secret_id: Some("rot".into()) }).await.unwrap();
        assert_eq!(cancel.version_id.as_deref(), Some(token));
        let d = sm.describe_secret(&ctx(), SecretIdInput { secret_id: Some("rot".into()) }).await.unwrap();
        assert_eq!((d.rotation_enabled, d.next_rotation_date), (Some(false), None));
        assert_eq!(t.store.sm_secret(&ctx().scope, "rot").await.unwrap().unwrap().rotation_token, None);
    }
}

#[test]
fn passwords_follow_the_options() {
    let default = password::generate(&GetRandomPasswordInput::default()).unwrap();
    let p = default.expose_secret();
    assert_eq!(p.chars().count(), 32);
    assert!(p.chars().any(|c| c.is_ascii_lowercase()));
    assert!(p.chars().any(|c| c.is_ascii_uppercase()));
    assert!(p.chars().any(|c| c.is_ascii_digit()));
    assert!(p.chars().any(|c| password::PUNCTUATION.contains(c)));
    assert!(!p.contains(' '));
    for _ in 0..200 {
        let p = password::generate(&GetRandomPasswordInput {
            password_length: Some(4),
            exclude_characters: Some("abcdefghijklmnopqrstuvwxy0123456789".into()),
            ..Default::default()
        })
        .unwrap();
        let p = p.expose_secret();
        assert!(
            p.contains('z')
                && p.chars().any(|c| c.is_ascii_uppercase())
                && p.chars().any(|c| password::PUNCTUATION.contains(c))
        );
    }
    let only_digits = password::generate(&GetRandomPasswordInput {
        password_length: Some(50),
        exclude_lowercase: Some(true),
        exclude_uppercase: Some(true),
        exclude_punctuation: Some(true),
        ..Default::default()
    })
    .unwrap();
    assert!(only_digits.expose_secret().chars().all(|c| c.is_ascii_digit()));
    let spaced = password::generate(&GetRandomPasswordInput {
        password_length: Some(4096),
        include_space: Some(true),
        ..Default::default()
    })
    .unwrap();
    assert!(spaced.expose_secret().contains(' '));
    let e = aws(
        password::generate(&GetRandomPasswordInput { password_length: Some(3), ..Default::default() }).unwrap_err()
    );
    assert_eq!(
        (e.code.as_ref(), e.message.as_deref()),
        ("InvalidParameterException", Some("Password length is too short based on the required types."))
    );
    let e =
        aws(password::generate(&GetRandomPasswordInput { password_length: Some(4097), ..Default::default() })
            .unwrap_err());
    assert_eq!(e.code, "ValidationException");
    assert!(
        password::generate(&GetRandomPasswordInput {
            password_length: Some(3),
            require_each_included_type: Some(false),
            ..Default::default()
        })
        .is_ok()
    );
}

#[test]
fn selectors_split_after_the_name() {
    assert_eq!(split_selector("db"), ("db", None));
    assert_eq!(split_selector("db:AWSPREVIOUS"), ("db", Some("AWSPREVIOUS")));
    let arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf";
    assert_eq!(split_selector(arn), (arn, None));
    assert_eq!(split_selector(&format!("{arn}:v1")), (arn, Some("v1")));
}

#[test]
fn values_never_reach_debug_output() {
    let input = create_input("x", Some("hunter2-secret"));
    assert!(!format!("{input:?}").contains("hunter2"));
    let blob = WireBlob(coffer_aws::SecretBytes::new(b"hunter2-secret".to_vec()));
    assert!(!format!("{blob:?}").contains("hunter2"));
}
