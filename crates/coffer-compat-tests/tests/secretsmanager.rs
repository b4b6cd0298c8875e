//! Secrets Manager through the real aws-sdk-secretsmanager (and raw HTTP where the SDK hides
//! the wire) against a real `coffer serve`, on SQLite and, when configured, PostgreSQL.

mod common;

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_secretsmanager::types::{
    Filter, FilterNameStringType, ReplicaRegionType, RotationRulesType, SortByType, SortOrderType, Tag,
};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

const ACCOUNT: &str = "000000000000";
const RNF: &str = "ResourceNotFoundException";
const NOT_FOUND: &str = "Secrets Manager can't find the specified secret.";
const MARKED: &str = "You can't perform this operation on the secret because it was marked for deletion.";
const INVALID_NAME: &str =
    "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!";

/// The code and message of a failed call.
fn code<E: ProvideErrorMetadata>(e: &E) -> (String, String) {
    (e.code().unwrap_or("").to_owned(), e.message().unwrap_or("").to_owned())
}

macro_rules! err {
    ($call:expr) => {{
        let e = $call.await.expect_err("expected an error");
        code(&e.into_service_error())
    }};
}

fn pair(code: &str, message: &str) -> (String, String) {
    (code.to_owned(), message.to_owned())
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn token(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

async fn create(sm: &Client, name: &str, value: &str) -> (String, String) {
    let out = sm.create_secret().name(name).secret_string(value).send().await.unwrap();
    (out.arn().unwrap().to_owned(), out.version_id().unwrap().to_owned())
}

async fn value(sm: &Client, id: &str) -> String {
    sm.get_secret_value().secret_id(id).send().await.unwrap().secret_string().unwrap().to_owned()
}

async fn stages(sm: &Client, id: &str) -> HashMap<String, Vec<String>> {
    sm.describe_secret().secret_id(id).send().await.unwrap().version_ids_to_stages().cloned().unwrap_or_default()
}

fn is_suffix(s: &str) -> bool {
    s.len() == 6 && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A signed raw request, for what the SDK hides (status, headers, exact body).
fn raw(endpoint: &str, target: &str, body: &str) -> common::raw::Reply {
    common::raw::signed_json(endpoint, target, body)
}

#[tokio::test]
async fn create_get_describe_and_arns() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        let out = sm
            .create_secret()
            .name("demo/test/mysql")
            .secret_string(r#"{"username":"admin","password":"s3cr3t"}"#)
            .description("the database")
            .tags(tag("copilot-application", "demo"))
            .tags(tag("copilot-environment", "test"))
            .send()
            .await
            .unwrap();
        let arn = out.arn().unwrap().to_owned();
        let prefix = format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:demo/test/mysql-");
        assert!(arn.starts_with(&prefix) && is_suffix(&arn[prefix.len()..]), "{arn}");
        assert_eq!(out.name(), Some("demo/test/mysql"));
        let v1 = out.version_id().unwrap().to_owned();
        assert_eq!(v1.len(), 36, "the SDK's idempotency token (a UUID) became the VersionId");

        let got = sm.get_secret_value().secret_id("demo/test/mysql").send().await.unwrap();
        assert_eq!(got.secret_string(), Some(r#"{"username":"admin","password":"s3cr3t"}"#));
        assert_eq!(got.secret_binary(), None);
        assert_eq!(got.arn(), Some(arn.as_str()));
        assert_eq!(got.version_id(), Some(v1.as_str()));
        assert_eq!(got.version_stages(), ["AWSCURRENT"]);
        assert!((got.created_date().unwrap().secs() - now_secs()).abs() < 60);

        let d = sm.describe_secret().secret_id(&arn).send().await.unwrap();
        assert_eq!(d.name(), Some("demo/test/mysql"));
        assert_eq!(d.description(), Some("the database"));
        assert_eq!(d.kms_key_id(), None, "the default key is not echoed");
        assert_eq!(d.rotation_enabled(), None);
        assert_eq!(d.deleted_date(), None);
        assert_eq!(d.version_ids_to_stages().unwrap()[&v1], ["AWSCURRENT"]);
        let tags: Vec<_> = d.tags().iter().map(|t| (t.key().unwrap(), t.value().unwrap())).collect();
        assert_eq!(tags, [("copilot-application", "demo"), ("copilot-environment", "test")]);
        assert!(d.created_date().is_some() && d.last_changed_date().is_some());

        // A customer key is echoed back; binary values round-trip as base64.
        sm.create_secret().name("bin").secret_binary(Blob::new(vec![0u8, 159, 146, 150, 255])).kms_key_id("alias/mine").send().await.unwrap();
        let b = sm.get_secret_value().secret_id("bin").send().await.unwrap();
        assert_eq!(b.secret_binary().unwrap().as_ref(), &[0u8, 159, 146, 150, 255]);
        assert_eq!(b.secret_string(), None);
        assert_eq!(sm.describe_secret().secret_id("bin").send().await.unwrap().kms_key_id(), Some("alias/mine"));

        // A secret without a value has no versions yet.
        let empty = sm.create_secret().name("empty").send().await.unwrap();
        assert_eq!(empty.version_id(), None);
        assert_eq!(
            err!(sm.get_secret_value().secret_id("empty").send()),
            pair(RNF, "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT")
        );
        assert!(sm.describe_secret().secret_id("empty").send().await.unwrap().version_ids_to_stages().is_none());

        // A recreated secret gets a new suffix.
        sm.delete_secret().secret_id("demo/test/mysql").force_delete_without_recovery(true).send().await.unwrap();
        let (arn2, _) = create(&sm, "demo/test/mysql", "again").await;
        assert!(arn2.starts_with(&prefix) && arn2 != arn, "{arn2} vs {arn}");
        assert_eq!(err!(sm.get_secret_value().secret_id(&arn).send()), pair(RNF, NOT_FOUND));

        // The region comes from the signing scope: a secret in us-west-2 is invisible in us-east-1.
        let west = server.secrets_manager_in("us-west-2").await;
        let (warn, _) = create(&west, "regional", "w").await;
        assert!(warn.starts_with(&format!("arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:regional-")), "{warn}");
        assert_eq!(value(&west, &warn).await, "w");
        assert_eq!(err!(sm.get_secret_value().secret_id("regional").send()), pair(RNF, NOT_FOUND));
        assert_eq!(err!(sm.get_secret_value().secret_id(&warn).send()), pair(RNF, NOT_FOUND));
    });
}

#[tokio::test]
async fn secret_id_resolution() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        let (arn, _) = create(&sm, "app/db", "plain").await;
        let partial = &arn[..arn.len() - 7];
        assert_eq!(partial, format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:app/db"));
        for id in ["app/db", arn.as_str(), partial] {
            assert_eq!(value(&sm, id).await, "plain", "by {id}");
        }
        // A wrong suffix is another secret.
        let wrong = format!("{partial}-zzzzzz");
        assert_eq!(err!(sm.get_secret_value().secret_id(&wrong).send()), pair(RNF, NOT_FOUND));

        // A name that itself ends in '-' + 6 characters: its partial ARN reads as a full ARN.
        let (arn, _) = create(&sm, "Name-a1b2c3", "tricky").await;
        assert_eq!(value(&sm, "Name-a1b2c3").await, "tricky");
        assert_eq!(value(&sm, &arn).await, "tricky");
        let partial = &arn[..arn.len() - 7];
        assert!(partial.ends_with(":secret:Name-a1b2c3"));
        assert_eq!(err!(sm.get_secret_value().secret_id(partial).send()), pair(RNF, NOT_FOUND));

        // Invalid names, as names or ARNs.
        for bad in ["bad name", "a*b", "arn:aws:secretsmanager:us-east-1:000000000000:secret:bad name"] {
            assert_eq!(err!(sm.get_secret_value().secret_id(bad).send()), pair("ValidationException", INVALID_NAME), "{bad}");
        }
        assert_eq!(err!(sm.create_secret().name("has space").secret_string("x").send()), pair("ValidationException", INVALID_NAME));
        assert_eq!(err!(sm.create_secret().name("x".repeat(513)).secret_string("x").send()), pair("ValidationException", INVALID_NAME));
        create(&sm, &"x".repeat(512), "longest").await;
        create(&sm, "all/_+=.@-chars", "ok").await;
    });
}

#[tokio::test]
async fn create_rules() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        assert_eq!(
            err!(sm.create_secret().name("both").secret_string("s").secret_binary(Blob::new(b"b".to_vec())).send()),
            pair("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.")
        );
        let (c, m) = err!(sm.create_secret().name("big").secret_string("x".repeat(65_537)).send());
        assert_eq!(c, "ValidationException");
        assert!(m.contains("secretString") && !m.contains("xxxx"), "{m}");
        create(&sm, "biggest", &"x".repeat(65_536)).await;
        assert_eq!(value(&sm, "biggest").await.len(), 65_536);
        let (c, m) = err!(sm.create_secret().name("desc").description("d".repeat(2049)).send());
        assert_eq!(c, "ValidationException");
        assert!(m.contains("'description'"), "{m}");
        let (c, m) = err!(sm
            .create_secret()
            .name("replicated")
            .secret_string("v")
            .add_replica_regions(ReplicaRegionType::builder().region("EU-west").build())
            .send());
        assert_eq!(c, "ValidationException");
        assert_eq!(
            m,
            "1 validation error detected: Value 'EU-west' at 'addReplicaRegions.1.member.region' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([a-z]+-)+\\d+$"
        );
        let (c, m) = err!(sm.create_secret().name("badtag").secret_string("v").tags(tag("", "v")).send());
        assert_eq!(c, "ValidationException");
        assert!(m.contains("tags.1.member.key"), "{m}");
        // Nothing above was written.
        for name in ["both", "big", "desc", "replicated", "badtag"] {
            assert_eq!(err!(sm.describe_secret().secret_id(name).send()), pair(RNF, NOT_FOUND), "{name}");
        }
        let (c, m) = err!(sm.create_secret().name("short-token").client_request_token("abc").secret_string("v").send());
        assert_eq!(c, "ValidationException");
        assert!(m.contains("clientRequestToken"), "{m}");

        create(&sm, "dup", "v").await;
        assert_eq!(
            err!(sm.create_secret().name("dup").secret_string("v").send()),
            pair("ResourceExistsException", "The operation failed because the secret dup already exists.")
        );
    });
}

/// Every request is checked against the model's constraints first, and every violation is
/// reported in one ValidationException; secret values are never repeated; nothing changes.
#[tokio::test]
async fn model_constraints_report_every_violation_at_once() {
    on_every_backend!(server => {
        let ep = server.endpoint.as_str();
        let one = |m: &str| format!("1 validation error detected: {m}");
        let long = "d".repeat(2049);
        let r = raw(
            ep,
            "secretsmanager.CreateSecret",
            &format!(r#"{{"Name":"many","ClientRequestToken":"short","Description":"{long}","Type":"","SecretString":"hunter2"}}"#),
        );
        assert_eq!((r.status, r.json()["__type"].as_str()), (400, Some("ValidationException")));
        assert_eq!(
            r.json()["Message"],
            format!(
                "3 validation errors detected: \
                 Value 'short' at 'clientRequestToken' failed to satisfy constraint: Member must have length greater than or equal to 32; \
                 Value '{long}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 2048; \
                 Value '' at 'type' failed to satisfy constraint: Member must have length between 1 and 256"
            )
        );
        let sm = server.secrets_manager().await;
        assert_eq!(err!(sm.describe_secret().secret_id("many").send()), pair(RNF, NOT_FOUND));

        create(&sm, "kept", "v1").await;
        let stages: Vec<String> = (0..21).map(|i| format!("s{i}")).collect();
        let r = raw(
            ep,
            "secretsmanager.PutSecretValue",
            &serde_json::json!({"SecretId": "kept", "SecretString": "", "VersionStages": stages}).to_string(),
        );
        assert_eq!(r.status, 400);
        assert_eq!(
            r.json()["Message"],
            format!(
                "2 validation errors detected: \
                 Value at 'secretString' failed to satisfy constraint: Member must have length greater than or equal to 1; \
                 Value '[{}]' at 'versionStages' failed to satisfy constraint: Member must have length less than or equal to 20",
                stages.join(", ")
            )
        );
        assert_eq!(value(&sm, "kept").await, "v1");

        let r = raw(ep, "secretsmanager.ListSecrets", r#"{"MaxResults":101,"SortOrder":"up","SortBy":"size"}"#);
        assert_eq!(
            r.json()["Message"],
            "3 validation errors detected: \
             Value 101 at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100; \
             Value 'up' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]; \
             Value 'size' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [created-date, last-accessed-date, last-changed-date, name]"
        );
        let r = raw(ep, "secretsmanager.ListSecrets", r#"{"Filters":[{"Key":"name","Values":["a*"]}]}"#);
        assert_eq!(
            r.json()["Message"],
            one("Value '[a*]' at 'filters.1.member.values' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 512, Member must satisfy regular expression pattern: ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$]")
        );

        let r = raw(ep, "secretsmanager.UntagResource", r#"{"SecretId":"kept","TagKeys":["a*b"]}"#);
        assert_eq!(
            r.json()["Message"],
            one("Value '[a*b]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$ and have length between 1 and 128]")
        );
        let (c, m) = err!(sm.get_random_password().password_length(0).exclude_characters("x".repeat(4097)).send());
        assert_eq!(c, "ValidationException");
        assert!(m.starts_with("2 validation errors detected: Value 0 at 'passwordLength'"), "{m}");
        let r = raw(ep, "secretsmanager.UpdateSecretVersionStage", r#"{"SecretId":"kept","MoveToVersionId":"x"}"#);
        assert_eq!(
            r.json()["Message"],
            "2 validation errors detected: \
             Value null at 'versionStage' failed to satisfy constraint: Member must not be null; \
             Value 'x' at 'moveToVersionId' failed to satisfy constraint: Member must have length greater than or equal to 32"
        );
    });
}

#[tokio::test]
async fn client_request_token_idempotency() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        let t1 = token(1);
        let first = sm.create_secret().name("idem").client_request_token(&t1).secret_string("one").send().await.unwrap();
        assert_eq!(first.version_id(), Some(t1.as_str()));
        let arn = first.arn().unwrap().to_owned();
        // Same token, same value: success, nothing new.
        let again = sm.create_secret().name("idem").client_request_token(&t1).secret_string("one").send().await.unwrap();
        assert_eq!((again.arn(), again.version_id()), (Some(arn.as_str()), Some(t1.as_str())));
        assert_eq!(stages(&sm, "idem").await.len(), 1);
        // Same token, another value.
        let in_use = |t: &str| {
            pair(
                "ResourceExistsException",
                &format!("You can't use ClientRequestToken {t} because that value is already in use for a version of secret {arn}."),
            )
        };
        assert_eq!(err!(sm.create_secret().name("idem").client_request_token(&t1).secret_string("two").send()), in_use(&t1));

        let t2 = token(2);
        for _ in 0..2 {
            let p = sm.put_secret_value().secret_id("idem").client_request_token(&t2).secret_string("two").send().await.unwrap();
            assert_eq!(p.version_id(), Some(t2.as_str()));
            assert_eq!(p.version_stages(), ["AWSCURRENT"]);
        }
        assert_eq!(err!(sm.put_secret_value().secret_id("idem").client_request_token(&t2).secret_string("other").send()), in_use(&t2));
        assert_eq!(err!(sm.put_secret_value().secret_id("idem").client_request_token(&t1).secret_string("two").send()), in_use(&t1));

        let t3 = token(3);
        for _ in 0..2 {
            let u = sm.update_secret().secret_id("idem").client_request_token(&t3).secret_string("three").send().await.unwrap();
            assert_eq!(u.version_id(), Some(t3.as_str()));
        }
        assert_eq!(err!(sm.update_secret().secret_id("idem").client_request_token(&t3).secret_string("3").send()), in_use(&t3));

        let versions = sm.list_secret_version_ids().secret_id("idem").include_deprecated(true).send().await.unwrap();
        let mut ids: Vec<_> = versions.versions().iter().map(|v| v.version_id().unwrap().to_owned()).collect();
        ids.sort();
        assert_eq!(ids, [t1.clone(), t2.clone(), t3.clone()]);
        assert_eq!(value(&sm, "idem").await, "three");

        // A binary and a string value with the same bytes are different values.
        let t4 = token(4);
        sm.put_secret_value().secret_id("idem").client_request_token(&t4).secret_string("abc").send().await.unwrap();
        assert_eq!(
            err!(sm.put_secret_value().secret_id("idem").client_request_token(&t4).secret_binary(Blob::new(b"abc".to_vec())).send()),
            in_use(&t4)
        );
    });
}

#[tokio::test]
async fn staging_labels() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        let (_, v1) = create(&sm, "staged", "v1").await;
        let v2 = sm.put_secret_value().secret_id("staged").secret_string("v2").send().await.unwrap().version_id().unwrap().to_owned();
        let s = stages(&sm, "staged").await;
        assert_eq!((s[&v1].clone(), s[&v2].clone()), (vec!["AWSPREVIOUS".to_owned()], vec!["AWSCURRENT".to_owned()]));

        // Custom labels only: AWSCURRENT stays put.
        let p = sm
            .put_secret_value()
            .secret_id("staged")
            .secret_string("v3")
            .version_stages("BLUE")
            .version_stages("GREEN")
            .send()
            .await
            .unwrap();
        let v3 = p.version_id().unwrap().to_owned();
        assert_eq!(p.version_stages(), ["BLUE", "GREEN"]);
        assert_eq!(value(&sm, "staged").await, "v2");
        let blue = sm.get_secret_value().secret_id("staged").version_stage("BLUE").send().await.unwrap();
        assert_eq!(blue.secret_string(), Some("v3"));

        // A new current version: v1 loses AWSPREVIOUS and becomes deprecated.
        let v4 = sm.put_secret_value().secret_id("staged").secret_string("v4").send().await.unwrap().version_id().unwrap().to_owned();
        let s = stages(&sm, "staged").await;
        assert_eq!(s.len(), 3, "{s:?}");
        assert!(!s.contains_key(&v1));
        assert_eq!(s[&v2], ["AWSPREVIOUS"]);
        assert_eq!(s[&v4], ["AWSCURRENT"]);
        let listed = sm.list_secret_version_ids().secret_id("staged").send().await.unwrap();
        let ids: Vec<_> = listed.versions().iter().map(|v| v.version_id().unwrap()).collect();
        assert_eq!(ids, [v2.as_str(), v3.as_str(), v4.as_str()]);
        assert_eq!(listed.versions()[0].kms_key_ids(), ["DefaultEncryptionKey"]);
        assert!(listed.arn().unwrap().contains(":secret:staged-"));
        let all = sm.list_secret_version_ids().secret_id("staged").include_deprecated(true).send().await.unwrap();
        assert_eq!(all.versions().len(), 4);
        assert!(all.versions()[0].version_stages().is_empty());
        assert_eq!(sm.get_secret_value().secret_id("staged").version_id(&v1).send().await.unwrap().secret_string(), Some("v1"));

        // Moving a label that is attached elsewhere needs RemoveFromVersionId.
        assert_eq!(
            err!(sm.update_secret_version_stage().secret_id("staged").version_stage("AWSCURRENT").move_to_version_id(&v3).send()),
            pair(
                "InvalidParameterException",
                &format!("The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version {v4}, so you must explicitly reference that version in RemoveFromVersionId.")
            )
        );
        assert_eq!(
            err!(sm.update_secret_version_stage().secret_id("staged").version_stage("AWSCURRENT").remove_from_version_id(&v2).move_to_version_id(&v3).send()),
            pair("InvalidParameterException", &format!("Version stage AWSCURRENT not found in version {v2}"))
        );
        let bogus = token(99);
        assert_eq!(
            err!(sm.update_secret_version_stage().secret_id("staged").version_stage("BLUE").move_to_version_id(&bogus).send()),
            pair("InvalidParameterException", &format!("Not a valid version: {bogus}"))
        );
        sm.update_secret_version_stage()
            .secret_id("staged")
            .version_stage("AWSCURRENT")
            .remove_from_version_id(&v4)
            .move_to_version_id(&v3)
            .send()
            .await
            .unwrap();
        let s = stages(&sm, "staged").await;
        assert_eq!(s[&v3], ["AWSCURRENT", "BLUE", "GREEN"]);
        assert_eq!(s[&v4], ["AWSPREVIOUS"], "AWSPREVIOUS moved to the version AWSCURRENT left");
        assert!(!s.contains_key(&v2));
        assert_eq!(value(&sm, "staged").await, "v3");

        // Custom labels can be removed; AWSCURRENT can only be moved.
        sm.update_secret_version_stage().secret_id("staged").version_stage("GREEN").remove_from_version_id(&v3).send().await.unwrap();
        assert_eq!(stages(&sm, "staged").await[&v3], ["AWSCURRENT", "BLUE"]);
        let (c, _) = err!(sm.update_secret_version_stage().secret_id("staged").version_stage("AWSCURRENT").remove_from_version_id(&v3).send());
        assert_eq!(c, "InvalidParameterException");
        assert_eq!(value(&sm, "staged").await, "v3");
        // A label that is nowhere can be attached without RemoveFromVersionId.
        sm.update_secret_version_stage().secret_id("staged").version_stage("RED").move_to_version_id(&v1).send().await.unwrap();
        assert_eq!(stages(&sm, "staged").await[&v1], ["RED"]);
    });
}

#[tokio::test]
async fn get_secret_value_selectors_and_last_accessed() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        let (_, v1) = create(&sm, "sel", "one").await;
        let v2 = sm.put_secret_value().secret_id("sel").secret_string("two").send().await.unwrap().version_id().unwrap().to_owned();
        let by_id = sm.get_secret_value().secret_id("sel").version_id(&v1).send().await.unwrap();
        assert_eq!((by_id.secret_string(), by_id.version_stages()), (Some("one"), &["AWSPREVIOUS".to_owned()][..]));
        let both = sm.get_secret_value().secret_id("sel").version_id(&v2).version_stage("AWSCURRENT").send().await.unwrap();
        assert_eq!(both.secret_string(), Some("two"));
        let prev = sm.get_secret_value().secret_id("sel").version_stage("AWSPREVIOUS").send().await.unwrap();
        assert_eq!(prev.version_id(), Some(v1.as_str()));
        assert_eq!(
            err!(sm.get_secret_value().secret_id("sel").version_id(&v1).version_stage("AWSCURRENT").send()),
            pair("InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId.")
        );
        assert_eq!(
            err!(sm.get_secret_value().secret_id("sel").version_stage("AWSPENDING").send()),
            pair(RNF, "Secrets Manager can't find the specified secret value for staging label: AWSPENDING")
        );
        let missing = token(7);
        assert_eq!(
            err!(sm.get_secret_value().secret_id("sel").version_id(&missing).send()),
            pair(RNF, &format!("Secrets Manager can't find the specified secret value for VersionId: {missing}"))
        );
        assert_eq!(err!(sm.get_secret_value().secret_id("nope").send()), pair(RNF, NOT_FOUND));

        let d = sm.describe_secret().secret_id("sel").send().await.unwrap();
        let accessed = d.last_accessed_date().expect("LastAccessedDate after a read").secs();
        assert_eq!(accessed % 86_400, 0, "day resolution");
        assert_eq!(accessed, now_secs() - now_secs() % 86_400);
        let versions = sm.list_secret_version_ids().secret_id("sel").send().await.unwrap();
        assert!(versions.versions().iter().all(|v| v.last_accessed_date().is_some()));
    });
}

#[tokio::test]
async fn delete_restore_and_recovery_window() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        let (arn, _) = create(&sm, "doomed", "v").await;
        sm.tag_resource().secret_id("doomed").tags(tag("k", "v")).send().await.unwrap();
        assert_eq!(
            err!(sm.delete_secret().secret_id("doomed").recovery_window_in_days(6).send()),
            pair("InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
        );
        assert_eq!(
            err!(sm.delete_secret().secret_id("doomed").recovery_window_in_days(31).send()),
            pair("InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
        );
        assert_eq!(
            err!(sm.delete_secret().secret_id("doomed").recovery_window_in_days(7).force_delete_without_recovery(true).send()),
            pair("InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
        );
        let out = sm.delete_secret().secret_id("doomed").send().await.unwrap();
        assert_eq!((out.arn(), out.name()), (Some(arn.as_str()), Some("doomed")));
        let when = out.deletion_date().unwrap().secs();
        assert!((when - (now_secs() + 30 * 86_400)).abs() < 120, "default window is 30 days");

        let t = token(1);
        assert_eq!(err!(sm.get_secret_value().secret_id("doomed").send()), pair("InvalidRequestException", MARKED));
        assert_eq!(err!(sm.put_secret_value().secret_id("doomed").secret_string("x").send()), pair("InvalidRequestException", MARKED));
        assert_eq!(err!(sm.update_secret().secret_id("doomed").client_request_token(&t).secret_string("x").send()), pair("InvalidRequestException", MARKED));
        assert_eq!(err!(sm.update_secret().secret_id("doomed").description("d").send()), pair("InvalidRequestException", MARKED));
        assert_eq!(err!(sm.tag_resource().secret_id("doomed").tags(tag("a", "b")).send()), pair("InvalidRequestException", MARKED));
        assert_eq!(err!(sm.untag_resource().secret_id("doomed").tag_keys("k").send()), pair("InvalidRequestException", MARKED));
        assert_eq!(err!(sm.list_secret_version_ids().secret_id("doomed").send()), pair("InvalidRequestException", MARKED));
        assert_eq!(
            err!(sm.delete_secret().secret_id("doomed").send()),
            pair("InvalidRequestException", "You can't perform this operation on the secret because it was already scheduled for deletion.")
        );
        assert_eq!(
            err!(sm.create_secret().name("doomed").secret_string("v").send()),
            pair("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
        );
        let d = sm.describe_secret().secret_id("doomed").send().await.unwrap();
        assert!((d.deleted_date().unwrap().secs() - now_secs()).abs() < 120);
        assert_eq!(d.tags().len(), 1, "nothing changed meanwhile");

        let names = |out: &aws_sdk_secretsmanager::operation::list_secrets::ListSecretsOutput| {
            out.secret_list().iter().map(|e| e.name().unwrap().to_owned()).collect::<Vec<_>>()
        };
        assert!(names(&sm.list_secrets().send().await.unwrap()).is_empty());
        let with = sm.list_secrets().include_planned_deletion(true).send().await.unwrap();
        assert_eq!(names(&with), ["doomed"]);
        assert!(with.secret_list()[0].deleted_date().is_some());

        let r = sm.restore_secret().secret_id("doomed").send().await.unwrap();
        assert_eq!(r.arn(), Some(arn.as_str()));
        assert_eq!(value(&sm, "doomed").await, "v");
        assert_eq!(sm.describe_secret().secret_id("doomed").send().await.unwrap().deleted_date(), None);
        assert_eq!(names(&sm.list_secrets().send().await.unwrap()), ["doomed"]);
        sm.restore_secret().secret_id("doomed").send().await.unwrap();

        // Forced: gone at once, also from a scheduled deletion.
        sm.delete_secret().secret_id("doomed").recovery_window_in_days(7).send().await.unwrap();
        let forced = sm.delete_secret().secret_id("doomed").force_delete_without_recovery(true).send().await.unwrap();
        assert!((forced.deletion_date().unwrap().secs() - now_secs()).abs() < 60);
        assert_eq!(err!(sm.describe_secret().secret_id("doomed").send()), pair(RNF, NOT_FOUND));
        assert_eq!(err!(sm.restore_secret().secret_id("doomed").send()), pair(RNF, NOT_FOUND));
        create(&sm, "doomed", "reborn").await;

        // Force-deleting a secret that does not exist succeeds; a scheduled delete of one fails.
        let ghost = sm.delete_secret().secret_id("ghost").force_delete_without_recovery(true).send().await.unwrap();
        assert_eq!(ghost.name(), Some("ghost"));
        assert!(ghost.arn().unwrap().contains(":secret:ghost-"));
        assert_eq!(err!(sm.delete_secret().secret_id("ghost").send()), pair(RNF, NOT_FOUND));
    });
}

#[tokio::test]
async fn tags_merge_and_untag() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        sm.create_secret().name("tagged").secret_string("v").tags(tag("a", "1")).tags(tag("b", "2")).send().await.unwrap();
        sm.tag_resource().secret_id("tagged").tags(tag("c", "3")).tags(tag("a", "9")).send().await.unwrap();
        let d = sm.describe_secret().secret_id("tagged").send().await.unwrap();
        let got: Vec<_> = d.tags().iter().map(|t| (t.key().unwrap(), t.value().unwrap())).collect();
        assert_eq!(got, [("a", "9"), ("b", "2"), ("c", "3")], "merged by key, order kept");
        sm.untag_resource().secret_id("tagged").tag_keys("b").tag_keys("absent").send().await.unwrap();
        let d = sm.describe_secret().secret_id("tagged").send().await.unwrap();
        let got: Vec<_> = d.tags().iter().map(|t| t.key().unwrap()).collect();
        assert_eq!(got, ["a", "c"]);
        assert_eq!(err!(sm.tag_resource().secret_id("missing").tags(tag("a", "b")).send()), pair(RNF, NOT_FOUND));
    });
}

/// A secret ARN of another account, region or partition never reads the local secret.
#[tokio::test]
async fn foreign_arns_name_no_local_secret() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        let (arn, _) = create(&sm, "local", "v").await;
        assert!(arn.starts_with("arn:aws:secretsmanager:us-east-1:000000000000:secret:local-"));
        let suffix = &arn[arn.len() - 6..];
        for foreign in [
            format!("arn:aws:secretsmanager:us-east-1:111122223333:secret:local-{suffix}"),
            format!("arn:aws:secretsmanager:eu-west-1:000000000000:secret:local-{suffix}"),
            format!("arn:aws-cn:secretsmanager:us-east-1:000000000000:secret:local-{suffix}"),
        ] {
            let e = sm.get_secret_value().secret_id(&foreign).send().await.unwrap_err().into_service_error();
            assert_eq!(e.code(), Some("ResourceNotFoundException"), "{foreign}");
        }
        assert_eq!(value(&sm, &arn).await, "v");
    });
}

/// `Tags` in DescribeSecret: absent for a secret never tagged, `[]` once every tag is removed.
#[tokio::test]
async fn describe_secret_tags_after_removal() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        create(&sm, "never-tagged", "v").await;
        let out = sm.describe_secret().secret_id("never-tagged").send().await.unwrap();
        assert!(out.tags.is_none(), "{:?}", out.tags);
        sm.create_secret().name("tagged").secret_string("v").tags(tag("a", "1")).send().await.unwrap();
        sm.untag_resource().secret_id("tagged").tag_keys("a").send().await.unwrap();
        let out = sm.describe_secret().secret_id("tagged").send().await.unwrap();
        assert_eq!(out.tags, Some(vec![]));
        let tagged = raw(&server.endpoint, "secretsmanager.DescribeSecret", r#"{"SecretId":"tagged"}"#);
        assert!(tagged.body.contains("\"Tags\":[]"), "{}", tagged.body);
        let never = raw(&server.endpoint, "secretsmanager.DescribeSecret", r#"{"SecretId":"never-tagged"}"#);
        assert!(!never.body.contains("\"Tags\""), "{}", never.body);
    });
}

/// AWS's word search (`all` and `description`), with the answers recorded from AWS.
#[tokio::test]
async fn list_secrets_word_search() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        for (name, description) in [
            ("BillingService-Key9", "alpha beta"),
            ("ACMEwidgets", "alpha and beta"),
            ("KeyFTag", "alpha"),
            ("plain", "beta"),
        ] {
            sm.create_secret().name(name).description(description).secret_string("v").send().await.unwrap();
        }
        let e = |v: &[&str]| {
            let mut v: Vec<String> = v.iter().map(|s| (*s).to_owned()).collect();
            v.sort();
            v
        };
        let all = |value: &'static str| {
            let sm = sm.clone();
            async move { listed(&sm, vec![filter("all", &[value])]).await }
        };
        for found in ["BillingService", "BillingService-Key9", "bill", "s k"] {
            assert_eq!(all(found).await, e(&["BillingService-Key9"]), "{found}");
        }
        assert_eq!(all("illing").await, Vec::<String>::new());
        assert_eq!(all("Ewidgets").await, e(&["ACMEwidgets"]));
        assert_eq!(all("acme").await, Vec::<String>::new());
        assert_eq!(all("widgets").await, Vec::<String>::new());
        assert_eq!(all("F tag").await, e(&["KeyFTag"]));
        assert_eq!(all("+").await, Vec::<String>::new(), "a separator alone matches nothing");
        assert_eq!(all("plain").await, e(&["plain"]), "a secret's own exact name finds it");

        let description = |value: &'static str| {
            let sm = sm.clone();
            async move { listed(&sm, vec![filter("description", &[value])]).await }
        };
        assert_eq!(description("alpha beta").await, e(&["ACMEwidgets", "BillingService-Key9"]));
        assert_eq!(description("a b").await, e(&["ACMEwidgets", "BillingService-Key9"]));
        assert_eq!(description("b").await, e(&["ACMEwidgets", "BillingService-Key9", "plain"]));
        assert_eq!(description("BETA").await, e(&["ACMEwidgets", "BillingService-Key9", "plain"]));
        assert_eq!(
            listed(&sm, vec![filter("description", &["alpha"]), filter("description", &["beta"])]).await,
            e(&["ACMEwidgets", "BillingService-Key9"]),
            "filters of the same key AND"
        );
    });
}

/// A secret to list: name, description, tags.
type Spec = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

fn filter(key: &str, values: &[&str]) -> Filter {
    let mut f = Filter::builder().key(FilterNameStringType::from(key));
    for v in values {
        f = f.values(*v);
    }
    f.build()
}

async fn listed(sm: &Client, filters: Vec<Filter>) -> Vec<String> {
    let out = sm.list_secrets().set_filters(Some(filters)).send().await.unwrap();
    let mut names: Vec<_> = out.secret_list().iter().map(|e| e.name().unwrap().to_owned()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn list_secrets_filters_sorting_and_pages() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        let specs: [Spec; 5] = [
            ("prod/db", "Production Database", &[("env", "prod"), ("team", "data")]),
            ("prod/api", "API keys", &[("env", "prod")]),
            ("dev/db", "development database", &[("env", "dev"), ("team", "data")]),
            ("Prod/legacy", "old stuff", &[]),
            ("myAppToken", "token", &[("owner", "alice")]),
        ];
        for (name, description, tags) in specs {
            let mut req = sm.create_secret().name(name).secret_string("v").description(description);
            for (k, v) in tags {
                req = req.tags(tag(k, v));
            }
            req.send().await.unwrap();
        }
        let e = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(listed(&sm, vec![filter("name", &["prod"])]).await, e(&["prod/api", "prod/db"]), "prefix, case-sensitive");
        assert_eq!(listed(&sm, vec![filter("name", &["prod/d", "dev"])]).await, e(&["dev/db", "prod/db"]), "values OR");
        assert_eq!(listed(&sm, vec![filter("description", &["PRODUCTION"])]).await, e(&["prod/db"]), "case-insensitive");
        assert_eq!(listed(&sm, vec![filter("description", &["database"])]).await, e(&["dev/db", "prod/db"]), "any word");
        assert_eq!(listed(&sm, vec![filter("description", &["atabase"])]).await, Vec::<String>::new(), "prefix, not substring");
        assert_eq!(listed(&sm, vec![filter("tag-key", &["te"])]).await, e(&["dev/db", "prod/db"]));
        assert_eq!(listed(&sm, vec![filter("tag-value", &["prod"])]).await, e(&["prod/api", "prod/db"]));
        assert_eq!(listed(&sm, vec![filter("tag-value", &["Prod"])]).await, Vec::<String>::new());
        assert_eq!(
            listed(&sm, vec![filter("tag-key", &["env"]), filter("tag-value", &["data"])]).await,
            e(&["dev/db", "prod/db"]),
            "filters AND"
        );
        assert_eq!(listed(&sm, vec![filter("name", &["!prod"])]).await, e(&["Prod/legacy", "dev/db", "myAppToken"]), "negation");
        assert_eq!(listed(&sm, vec![filter("tag-key", &["!team"]), filter("tag-key", &["env"])]).await, e(&["prod/api"]));
        assert_eq!(listed(&sm, vec![filter("all", &["data"])]).await, e(&["dev/db", "prod/db"]));
        assert_eq!(listed(&sm, vec![filter("all", &["app"])]).await, e(&["myAppToken"]), "camel-case words");
        assert_eq!(listed(&sm, vec![filter("all", &["PROD DB"])]).await, e(&["prod/db"]), "every word, in one attribute");
        assert_eq!(listed(&sm, vec![filter("primary-region", &["us"])]).await, Vec::<String>::new());
        assert_eq!(listed(&sm, vec![filter("owning-service", &["!x"])]).await.len(), 5);

        assert_eq!(
            err!(sm.list_secrets().filters(filter("invalid", &["x"])).send()),
            pair(
                "ValidationException",
                "1 validation error detected: Value 'invalid' at 'filters.1.member.key' failed to satisfy constraint: Member must satisfy enum value set: [all, name, tag-key, description, tag-value, primary-region, owning-service]"
            )
        );
        assert_eq!(
            err!(sm.list_secrets().filters(Filter::builder().key(FilterNameStringType::Description).build()).send()),
            pair("InvalidParameterException", "Invalid filter values for key: description")
        );
        let (c, _) = err!(sm.list_secrets().filters(filter("name", &["bad*char"])).send());
        assert_eq!(c, "ValidationException");

        // Sorting.
        let order = |out: aws_sdk_secretsmanager::operation::list_secrets::ListSecretsOutput| {
            out.secret_list().iter().map(|e| e.name().unwrap().to_owned()).collect::<Vec<_>>()
        };
        let created = order(sm.list_secrets().send().await.unwrap());
        assert_eq!(created, e(&["prod/db", "prod/api", "dev/db", "Prod/legacy", "myAppToken"]), "default: CreatedDate ascending");
        let by_name = order(sm.list_secrets().sort_by(SortByType::Name).sort_order(SortOrderType::Asc).send().await.unwrap());
        assert_eq!(by_name, e(&["Prod/legacy", "dev/db", "myAppToken", "prod/api", "prod/db"]));
        let by_name_desc = order(sm.list_secrets().sort_by(SortByType::Name).sort_order(SortOrderType::Desc).send().await.unwrap());
        assert_eq!(by_name_desc, by_name.iter().rev().cloned().collect::<Vec<_>>());
        let newest = order(sm.list_secrets().sort_order(SortOrderType::Desc).send().await.unwrap());
        assert_eq!(newest, created.iter().rev().cloned().collect::<Vec<_>>());

        // Pages: stable, complete, no repeats, even when a secret is created between pages.
        let mut seen = Vec::new();
        let mut next: Option<String> = None;
        let mut pages = 0;
        loop {
            let out = sm.list_secrets().sort_by(SortByType::Name).max_results(2).set_next_token(next.clone()).send().await.unwrap();
            assert!(out.secret_list().len() <= 2);
            seen.extend(out.secret_list().iter().map(|e| e.name().unwrap().to_owned()));
            pages += 1;
            if pages == 1 {
                create(&sm, "AAA-first-by-name", "v").await;
            }
            match out.next_token() {
                Some(t) => next = Some(t.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, by_name, "a secret sorting before the cursor does not shift later pages");
        let entry = &sm.list_secrets().filters(filter("name", &["prod/db"])).send().await.unwrap().secret_list()[0].clone();
        assert_eq!(entry.secret_versions_to_stages().unwrap().len(), 1);
        assert_eq!(entry.tags().len(), 2);

        for bad in [0, 101] {
            let (c, _) = err!(sm.list_secrets().max_results(bad).send());
            assert_eq!(c, "ValidationException");
        }
        let (c, _) = err!(sm.list_secrets().next_token("garbage").send());
        assert_eq!(c, "InvalidNextTokenException");
    });
}

#[tokio::test]
async fn batch_get_secret_value() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        for i in 0..5 {
            sm.create_secret().name(format!("batch/{i}")).secret_string(format!("value-{i}")).tags(tag("group", "batch")).send().await.unwrap();
        }
        sm.create_secret().name("batch/empty").tags(tag("group", "batch")).send().await.unwrap();
        sm.create_secret().name("batch/gone").secret_string("x").send().await.unwrap();
        sm.delete_secret().secret_id("batch/gone").send().await.unwrap();

        let out = sm
            .batch_get_secret_value()
            .secret_id_list("batch/0")
            .secret_id_list("batch/3")
            .secret_id_list("batch/missing")
            .secret_id_list("batch/gone")
            .send()
            .await
            .unwrap();
        let values: Vec<_> = out.secret_values().iter().map(|v| (v.name().unwrap(), v.secret_string().unwrap())).collect();
        assert_eq!(values, [("batch/0", "value-0"), ("batch/3", "value-3")]);
        assert!(out.secret_values().iter().all(|v| v.version_stages() == ["AWSCURRENT"] && v.arn().is_some()));
        let errors: Vec<_> = out.errors().iter().map(|e| (e.secret_id().unwrap(), e.error_code().unwrap(), e.message().unwrap())).collect();
        assert_eq!(errors, [("batch/missing", RNF, NOT_FOUND), ("batch/gone", "InvalidRequestException", MARKED)]);
        assert_eq!(out.next_token(), None);

        // Filters, paged by MaxResults.
        let mut got = Vec::new();
        let mut errs = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let out = sm
                .batch_get_secret_value()
                .filters(filter("tag-value", &["batch"]))
                .max_results(2)
                .set_next_token(next.clone())
                .send()
                .await
                .unwrap();
            got.extend(out.secret_values().iter().map(|v| v.secret_string().unwrap().to_owned()));
            errs.extend(out.errors().iter().map(|e| e.secret_id().unwrap().to_owned()));
            match out.next_token() {
                Some(t) => next = Some(t.to_owned()),
                None => break,
            }
        }
        assert_eq!(got, (0..5).map(|i| format!("value-{i}")).collect::<Vec<_>>());
        assert_eq!(errs, ["batch/empty"]);

        assert_eq!(
            err!(sm.batch_get_secret_value().secret_id_list("batch/0").filters(filter("name", &["batch"])).send()),
            pair("InvalidParameterException", "Either 'SecretIdList' or 'Filters' must be provided, but not both.")
        );
        assert_eq!(
            err!(sm.batch_get_secret_value().secret_id_list("batch/0").max_results(5).send()),
            pair("InvalidParameterException", "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.")
        );
        let many: Vec<String> = (0..21).map(|i| format!("s{i}")).collect();
        let (c, _) = err!(sm.batch_get_secret_value().set_secret_id_list(Some(many)).send());
        assert_eq!(c, "ValidationException");
    });
}

#[tokio::test]
async fn get_random_password() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        let p = sm.get_random_password().send().await.unwrap().random_password().unwrap().to_owned();
        assert_eq!(p.len(), 32);
        assert!(p.chars().any(|c| c.is_ascii_lowercase()) && p.chars().any(|c| c.is_ascii_uppercase()));
        assert!(p.chars().any(|c| c.is_ascii_digit()) && p.chars().any(|c| c.is_ascii_punctuation()));
        let other = sm.get_random_password().send().await.unwrap().random_password().unwrap().to_owned();
        assert_ne!(p, other);
        let p = sm
            .get_random_password()
            .password_length(64)
            .exclude_punctuation(true)
            .exclude_uppercase(true)
            .exclude_characters("abc")
            .include_space(true)
            .send()
            .await
            .unwrap()
            .random_password()
            .unwrap()
            .to_owned();
        assert_eq!(p.len(), 64);
        assert!(p.chars().all(|c| (c.is_ascii_lowercase() && !"abc".contains(c)) || c.is_ascii_digit() || c == ' '), "{p}");
        let digits = sm.get_random_password().exclude_lowercase(true).exclude_uppercase(true).exclude_punctuation(true).send().await.unwrap();
        assert!(digits.random_password().unwrap().chars().all(|c| c.is_ascii_digit()));
        assert_eq!(
            err!(sm.get_random_password().password_length(3).send()),
            pair("InvalidParameterException", "Password length is too short based on the required types.")
        );
        assert_eq!(sm.get_random_password().password_length(3).require_each_included_type(false).send().await.unwrap().random_password().unwrap().len(), 3);
        let (c, m) = err!(sm.get_random_password().password_length(4097).send());
        assert_eq!(c, "ValidationException");
        assert!(m.contains("passwordLength"), "{m}");
    });
}

#[tokio::test]
async fn resource_policies() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        let (arn, _) = create(&sm, "guarded", "v").await;
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
        let none = sm.get_resource_policy().secret_id("guarded").send().await.unwrap();
        assert_eq!((none.arn(), none.resource_policy()), (Some(arn.as_str()), None));
        let put = sm.put_resource_policy().secret_id("guarded").resource_policy(policy).send().await.unwrap();
        assert_eq!((put.arn(), put.name()), (Some(arn.as_str()), Some("guarded")));
        assert_eq!(sm.get_resource_policy().secret_id("guarded").send().await.unwrap().resource_policy(), Some(policy), "stored verbatim");

        let (c, _) = err!(sm.put_resource_policy().secret_id("guarded").resource_policy("{not json").send());
        assert_eq!(c, "MalformedPolicyDocumentException");
        let (c, _) = err!(sm.put_resource_policy().secret_id("guarded").resource_policy(r#"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"*"}]}"#).send());
        assert_eq!(c, "MalformedPolicyDocumentException");
        assert_eq!(sm.get_resource_policy().secret_id("guarded").send().await.unwrap().resource_policy(), Some(policy));

        let ok = sm.validate_resource_policy().secret_id("guarded").resource_policy(policy).send().await.unwrap();
        assert!(ok.policy_validation_passed());
        assert!(ok.validation_errors().is_empty());
        let bad = sm.validate_resource_policy().resource_policy(r#"{"Statement":{"Effect":"Allow"}}"#).send().await.unwrap();
        assert!(!bad.policy_validation_passed());
        assert!(!bad.validation_errors().is_empty());
        let (c, _) = err!(sm.validate_resource_policy().resource_policy("[]").send());
        assert_eq!(c, "MalformedPolicyDocumentException");

        sm.delete_resource_policy().secret_id("guarded").send().await.unwrap();
        assert_eq!(sm.get_resource_policy().secret_id("guarded").send().await.unwrap().resource_policy(), None);
        assert_eq!(err!(sm.get_resource_policy().secret_id("nope").send()), pair(RNF, NOT_FOUND));
    });
}

#[tokio::test]
async fn rotation_rules_are_checked_and_cancel_changes_nothing_else() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        create(&sm, "rotating", "original").await;
        // Rotation itself runs registered functions (tests/rotation.rs); here, the rules.
        let (c, m) = err!(sm.rotate_secret().secret_id("rotating").rotation_rules(RotationRulesType::builder().automatically_after_days(1001).build()).send());
        assert_eq!((c.as_str(), m.as_str()), ("InvalidParameterException", "RotationRules.AutomaticallyAfterDays must be within 1-1000."));
        let (c, _) = err!(sm.rotate_secret().secret_id("rotating").rotation_rules(RotationRulesType::builder().automatically_after_days(7).schedule_expression("rate(7 days)").build()).send());
        assert_eq!(c, "InvalidParameterException");
        let (c, _) = err!(sm.rotate_secret().secret_id("rotating").rotation_rules(RotationRulesType::builder().schedule_expression("cron(30 2 * * ? *)").build()).send());
        assert_eq!(c, "InvalidParameterException", "minutes must be 0");

        let c = sm.cancel_rotate_secret().secret_id("rotating").send().await.unwrap();
        assert_eq!(c.version_id(), None);
        let d = sm.describe_secret().secret_id("rotating").send().await.unwrap();
        assert_eq!(d.rotation_enabled(), None, "never configured: no RotationEnabled, as AWS answers");
        assert_eq!(d.next_rotation_date(), None);
        assert_eq!(value(&sm, "rotating").await, "original");
    });
}

#[tokio::test]
async fn ssm_parameter_store_bridge() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        let ssm = server.ssm().await;
        let (arn, v1) = create(&sm, "bridged/db", "s3cr3t").await;
        let name = "/aws/reference/secretsmanager/bridged/db";
        let p = ssm.get_parameter().name(name).with_decryption(true).send().await.unwrap().parameter.unwrap();
        assert_eq!(p.name(), Some(name));
        assert_eq!(p.value(), Some("s3cr3t"));
        assert_eq!(p.r#type(), Some(&aws_sdk_ssm::types::ParameterType::SecureString));
        assert_eq!(p.version(), 0);
        assert_eq!(p.arn(), Some(arn.as_str()));
        assert_eq!(p.data_type(), Some("text"));
        assert!(p.last_modified_date().is_some());
        let source: serde_json::Value = serde_json::from_str(p.source_result().unwrap()).unwrap();
        assert_eq!(source["Name"], "bridged/db");
        assert_eq!(source["ARN"], arn.as_str());
        assert_eq!(source["VersionIdsToStages"][&v1][0], "AWSCURRENT");

        // By ARN, and a version stage selector.
        sm.put_secret_value().secret_id("bridged/db").secret_string("rotated").send().await.unwrap();
        let by_arn = ssm.get_parameter().name(format!("/aws/reference/secretsmanager/{arn}")).with_decryption(true).send().await.unwrap();
        assert_eq!(by_arn.parameter.unwrap().value(), Some("rotated"));
        let prev = ssm.get_parameter().name(format!("{name}:AWSPREVIOUS")).with_decryption(true).send().await.unwrap();
        assert_eq!(prev.parameter.unwrap().value(), Some("s3cr3t"));

        let e = ssm.get_parameter().name(name).send().await.expect_err("needs WithDecryption").into_service_error();
        assert_eq!(
            (e.code(), e.message()),
            (Some("ValidationException"), Some("WithDecryption flag must be True for retrieving a Secret Manager secret."))
        );
        let e = ssm.get_parameter().name("/aws/reference/secretsmanager/absent").with_decryption(true).send().await.expect_err("missing").into_service_error();
        assert_eq!(
            (e.code(), e.message()),
            (
                Some("ParameterNotFound"),
                Some("An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret /aws/reference/secretsmanager/absent not found.")
            )
        );
        let reply = raw(&server.endpoint, "AmazonSSM.GetParameter", r#"{"Name":"/aws/reference/secretsmanager/absent","WithDecryption":true}"#);
        assert_eq!(reply.status, 400);

        let many = ssm.get_parameters().names(name).names("/aws/reference/secretsmanager/absent").with_decryption(true).send().await.unwrap();
        assert_eq!(many.parameters().len(), 1);
        assert_eq!(many.parameters()[0].value(), Some("rotated"));
        assert_eq!(many.invalid_parameters(), ["/aws/reference/secretsmanager/absent"]);
    });
}

#[test]
fn wire_format_errors_and_unknown_operations() {
    for backend in common::backends() {
        let server = common::Server::start(backend);
        let ep = server.endpoint.as_str();
        let r = raw(
            ep,
            "secretsmanager.CreateSecret",
            r#"{"Name":"wire","SecretString":"v","ClientRequestToken":"00000000-0000-4000-8000-000000000001"}"#,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.1"));
        let body = r.json();
        assert_eq!(body["VersionId"], "00000000-0000-4000-8000-000000000001");
        assert!(body.get("ReplicationStatus").is_none(), "absent members are omitted: {body}");

        let r = raw(ep, "secretsmanager.GetSecretValue", r#"{"SecretId":"wire"}"#);
        let body = r.json();
        assert!(body["CreatedDate"].is_number(), "timestamps are epoch seconds: {body}");
        assert!(body.get("SecretBinary").is_none());
        let r = raw(ep, "secretsmanager.DescribeSecret", r#"{"SecretId":"wire"}"#);
        let body = r.json();
        assert!(body["LastChangedDate"].is_number() && body["CreatedDate"].is_number());
        assert!(!r.body.contains("null"), "no nulls: {}", r.body);

        let r = raw(ep, "secretsmanager.GetSecretValue", r#"{"SecretId":"missing"}"#);
        assert_eq!(r.status, 400);
        assert_eq!(r.header("x-amzn-errortype"), Some(RNF));
        assert_eq!(r.json(), serde_json::json!({"__type": RNF, "Message": NOT_FOUND}));

        let r = raw(ep, "secretsmanager.GetSecretValue", "{}");
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["__type"], "ValidationException");

        let r = raw(ep, "secretsmanager.NoSuchThing", "{}");
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["__type"], "UnknownOperationException");

        // A binary value travels as base64.
        let r = raw(
            ep,
            "secretsmanager.CreateSecret",
            r#"{"Name":"wire-bin","SecretBinary":"AAEC/w==","ClientRequestToken":"00000000-0000-4000-8000-000000000002"}"#,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let body = raw(ep, "secretsmanager.GetSecretValue", r#"{"SecretId":"wire-bin"}"#).json();
        assert_eq!(body["SecretBinary"], "AAEC/w==");
        let r = raw(ep, "secretsmanager.CreateSecret", r#"{"Name":"wire-bad","SecretBinary":"not base64!"}"#);
        assert_eq!(r.status, 400);
        assert!(!r.body.contains("not base64!"), "the value is not echoed: {}", r.body);
    }
}

#[tokio::test]
async fn concurrent_writers_keep_one_current_version() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        create(&sm, "contended", "v0").await;
        let mut tasks = Vec::new();
        for i in 1..=8 {
            let sm = sm.clone();
            tasks.push(tokio::spawn(async move {
                sm.put_secret_value().secret_id("contended").secret_string(format!("v{i}")).send().await.map(|o| o.version_id().unwrap().to_owned())
            }));
        }
        for t in tasks {
            t.await.unwrap().expect("every concurrent put succeeds");
        }
        let all = sm.list_secret_version_ids().secret_id("contended").include_deprecated(true).send().await.unwrap();
        assert_eq!(all.versions().len(), 9);
        let labels: Vec<String> = all.versions().iter().flat_map(|v| v.version_stages().to_vec()).collect();
        assert_eq!(labels.iter().filter(|l| *l == "AWSCURRENT").count(), 1, "{labels:?}");
        assert_eq!(labels.iter().filter(|l| *l == "AWSPREVIOUS").count(), 1, "{labels:?}");
        let current = value(&sm, "contended").await;
        assert!((1..=8).any(|i| current == format!("v{i}")), "{current}");

        // Concurrent creates of one name: exactly one wins.
        let mut tasks = Vec::new();
        for i in 0..6 {
            let sm = sm.clone();
            tasks.push(tokio::spawn(async move {
                sm.create_secret().name("raced").secret_string(format!("c{i}")).send().await.map_err(|e| code(&e.into_service_error()))
            }));
        }
        let mut won = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => won += 1,
                Err(e) => assert_eq!(e, pair("ResourceExistsException", "The operation failed because the secret raced already exists.")),
            }
        }
        assert_eq!(won, 1);
        assert_eq!(stages(&sm, "raced").await.len(), 1);
    });
}

const REPLICA_READ_ONLY: &str =
    "Operation not permitted on a replica secret. Call must be made in primary secret's region.";

/// `(region, status)` of each replica a status list names.
fn replication(statuses: &[aws_sdk_secretsmanager::types::ReplicationStatusType]) -> Vec<(String, String)> {
    statuses.iter().map(|s| (s.region().unwrap().to_owned(), s.status().unwrap().as_str().to_owned())).collect()
}

#[tokio::test]
async fn replicas_follow_their_primary_and_are_read_only() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        let eu = server.secrets_manager_in("eu-west-1").await;
        let us_west = server.secrets_manager_in("us-west-2").await;
        let created = sm
            .create_secret()
            .name("shared/db")
            .secret_string("v1")
            .description("the database")
            .tags(tag("copilot-application", "demo"))
            .add_replica_regions(ReplicaRegionType::builder().region("eu-west-1").kms_key_id("alias/eu").build())
            .add_replica_regions(ReplicaRegionType::builder().region("us-west-2").build())
            .send()
            .await
            .unwrap();
        let arn = created.arn().unwrap().to_owned();
        let statuses = created.replication_status();
        assert_eq!(
            replication(statuses),
            [("eu-west-1".to_owned(), "InSync".to_owned()), ("us-west-2".to_owned(), "InSync".to_owned())]
        );
        assert_eq!(statuses[0].kms_key_id(), Some("alias/eu"));
        assert_eq!(statuses[1].kms_key_id(), Some("alias/aws/secretsmanager"));

        // The replica: the primary's name and ARN in its own Region, with everything copied.
        let replica_arn = arn.replace(":us-east-1:", ":eu-west-1:");
        let got = eu.get_secret_value().secret_id("shared/db").send().await.unwrap();
        assert_eq!(got.secret_string(), Some("v1"));
        assert_eq!(got.arn(), Some(replica_arn.as_str()));
        assert_eq!(got.version_id(), created.version_id());
        let described = eu.describe_secret().secret_id(&replica_arn).send().await.unwrap();
        assert_eq!(described.primary_region(), Some("us-east-1"));
        assert_eq!(described.description(), Some("the database"));
        assert_eq!(described.tags(), [tag("copilot-application", "demo")]);
        assert!(described.replication_status().is_empty(), "only a primary lists its replicas");
        let primary = sm.describe_secret().secret_id("shared/db").send().await.unwrap();
        assert_eq!(primary.primary_region(), Some("us-east-1"));
        assert_eq!(replication(primary.replication_status()).len(), 2);

        // Every change to the primary reaches the replicas.
        let put = sm.put_secret_value().secret_id("shared/db").secret_string("v2").send().await.unwrap();
        sm.update_secret().secret_id("shared/db").description("moved").send().await.unwrap();
        sm.tag_resource().secret_id("shared/db").tags(tag("copilot-environment", "test")).send().await.unwrap();
        sm.update_secret_version_stage()
            .secret_id("shared/db")
            .version_stage("STABLE")
            .move_to_version_id(created.version_id().unwrap())
            .send()
            .await
            .unwrap();
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}]}}"#
        );
        sm.put_resource_policy().secret_id("shared/db").resource_policy(&policy).send().await.unwrap();
        for replica in [&eu, &us_west] {
            assert_eq!(value(replica, "shared/db").await, "v2");
            assert_eq!(stages(replica, "shared/db").await, stages(&sm, "shared/db").await);
            let d = replica.describe_secret().secret_id("shared/db").send().await.unwrap();
            assert_eq!(d.description(), Some("moved"));
            assert_eq!(d.tags().len(), 2);
            let p = replica.get_resource_policy().secret_id("shared/db").send().await.unwrap();
            assert_eq!(p.resource_policy(), Some(policy.as_str()));
        }
        let old = eu
            .get_secret_value()
            .secret_id("shared/db")
            .version_stage("AWSPREVIOUS")
            .send()
            .await
            .unwrap();
        assert_eq!(old.secret_string(), Some("v1"));
        let current = eu.get_secret_value().secret_id("shared/db").send().await.unwrap();
        assert_eq!(current.version_id(), put.version_id());

        // A replica is read-only.
        let refused = pair("InvalidParameterException", REPLICA_READ_ONLY);
        assert_eq!(err!(eu.put_secret_value().secret_id("shared/db").secret_string("x").send()), refused);
        assert_eq!(err!(eu.update_secret().secret_id("shared/db").description("x").send()), refused);
        assert_eq!(err!(eu.tag_resource().secret_id("shared/db").tags(tag("k", "v")).send()), refused);
        assert_eq!(err!(eu.untag_resource().secret_id("shared/db").tag_keys("copilot-application").send()), refused);
        assert_eq!(err!(eu.delete_resource_policy().secret_id("shared/db").send()), refused);
        assert_eq!(err!(eu.rotate_secret().secret_id("shared/db").send()), refused);
        assert_eq!(err!(eu.delete_secret().secret_id("shared/db").send()), refused);
        assert_eq!(value(&eu, "shared/db").await, value(&sm, "shared/db").await, "nothing changed");

        // A primary with replicas cannot be deleted.
        assert_eq!(
            err!(sm.delete_secret().secret_id("shared/db").send()),
            pair(
                "InvalidParameterException",
                &format!("You can't delete secret {arn} that still has replica regions [eu-west-1, us-west-2].")
            )
        );

        // ListSecrets in a replica Region lists the replica, with its primary's Region.
        let by_primary = eu
            .list_secrets()
            .filters(filter("primary-region", &["us-east-1"]))
            .send()
            .await
            .unwrap();
        let entries = by_primary.secret_list();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].arn(), Some(replica_arn.as_str()));
        assert_eq!(entries[0].primary_region(), Some("us-east-1"));
        assert_eq!(listed(&eu, vec![filter("name", &["shared/"])]).await, ["shared/db"]);
        assert!(listed(&eu, vec![filter("primary-region", &["eu-"])]).await.is_empty());

        // RemoveRegionsFromReplication deletes those replicas at once.
        let removed =
            sm.remove_regions_from_replication().secret_id("shared/db").remove_replica_regions("us-west-2").send().await.unwrap();
        assert_eq!(replication(removed.replication_status()), [("eu-west-1".to_owned(), "InSync".to_owned())]);
        assert_eq!(err!(us_west.describe_secret().secret_id("shared/db").send()), pair(RNF, NOT_FOUND));

        // StopReplicationToReplica, in the replica's Region, makes it standalone.
        let stopped = eu.stop_replication_to_replica().secret_id("shared/db").send().await.unwrap();
        assert_eq!(stopped.arn(), Some(replica_arn.as_str()));
        let standalone = eu.describe_secret().secret_id("shared/db").send().await.unwrap();
        assert_eq!(standalone.primary_region(), None);
        eu.put_secret_value().secret_id("shared/db").secret_string("eu only").send().await.unwrap();
        sm.put_secret_value().secret_id("shared/db").secret_string("v3").send().await.unwrap();
        assert_eq!(value(&eu, "shared/db").await, "eu only");
        let primary = sm.describe_secret().secret_id("shared/db").send().await.unwrap();
        assert!(primary.replication_status().is_empty() && primary.primary_region().is_none());
        assert_eq!(
            err!(eu.stop_replication_to_replica().secret_id("shared/db").send()),
            pair("InvalidRequestException", "The secret is not a replica secret.")
        );
        sm.delete_secret().secret_id("shared/db").force_delete_without_recovery(true).send().await.unwrap();
        assert_eq!(value(&eu, "shared/db").await, "eu only", "the standalone secret stays");
    });
}

#[tokio::test]
async fn replicate_secret_to_regions_conflicts_and_errors() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        let eu = server.secrets_manager_in("eu-west-1").await;
        create(&sm, "app/key", "primary value").await;
        create(&eu, "app/key", "someone else's").await;

        // Another secret holds the name in eu-west-1: Failed there, that secret untouched.
        let out = sm
            .replicate_secret_to_regions()
            .secret_id("app/key")
            .add_replica_regions(ReplicaRegionType::builder().region("eu-west-1").build())
            .add_replica_regions(ReplicaRegionType::builder().region("ap-south-1").build())
            .send()
            .await
            .unwrap();
        let statuses = out.replication_status();
        assert_eq!(
            replication(statuses),
            [("ap-south-1".to_owned(), "InSync".to_owned()), ("eu-west-1".to_owned(), "Failed".to_owned())]
        );
        assert_eq!(statuses[1].status_message(), Some("Secret with this name already exists in this region"));
        assert_eq!(value(&eu, "app/key").await, "someone else's");
        let ap = server.secrets_manager_in("ap-south-1").await;
        assert_eq!(value(&ap, "app/key").await, "primary value");

        // With ForceOverwriteReplicaSecret it is replaced by the replica.
        let out = sm
            .replicate_secret_to_regions()
            .secret_id("app/key")
            .add_replica_regions(ReplicaRegionType::builder().region("eu-west-1").build())
            .force_overwrite_replica_secret(true)
            .send()
            .await
            .unwrap();
        assert_eq!(
            replication(out.replication_status()),
            [("ap-south-1".to_owned(), "InSync".to_owned()), ("eu-west-1".to_owned(), "InSync".to_owned())]
        );
        assert_eq!(value(&eu, "app/key").await, "primary value");
        let d = eu.describe_secret().secret_id("app/key").send().await.unwrap();
        assert_eq!(d.arn().unwrap().replace(":eu-west-1:", ":us-east-1:"), out.arn().unwrap());

        // The primary's own Region; a name that is not a Region; a replica asked to replicate.
        assert_eq!(
            err!(sm
                .replicate_secret_to_regions()
                .secret_id("app/key")
                .add_replica_regions(ReplicaRegionType::builder().region("us-east-1").build())
                .send()),
            pair("InvalidParameterException", "Invalid replica region.")
        );
        let (c, m) = err!(sm.remove_regions_from_replication().secret_id("app/key").remove_replica_regions("moon").send());
        assert_eq!(c, "ValidationException");
        assert!(m.contains("Value '[moon]' at 'removeReplicaRegions' failed to satisfy constraint"), "{m}");
        assert_eq!(
            err!(eu
                .replicate_secret_to_regions()
                .secret_id("app/key")
                .add_replica_regions(ReplicaRegionType::builder().region("us-west-1").build())
                .send()),
            pair("InvalidParameterException", REPLICA_READ_ONLY)
        );
    });
}

/// Each replication operation is authorized as its own IAM action on the secret it names, and
/// a replica is read under the same tag rule as its primary.
#[tokio::test]
async fn replication_is_authorized_per_action_and_tags_hold_on_replicas() {
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        sm.create_secret()
            .name("tagged")
            .secret_string("for demo/test")
            .tags(tag("copilot-application", "demo"))
            .tags(tag("copilot-environment", "test"))
            .add_replica_regions(ReplicaRegionType::builder().region("eu-west-1").build())
            .send()
            .await
            .unwrap();
        sm.create_secret()
            .name("other")
            .secret_string("for prod")
            .tags(tag("copilot-application", "demo"))
            .tags(tag("copilot-environment", "prod"))
            .add_replica_regions(ReplicaRegionType::builder().region("eu-west-1").build())
            .send()
            .await
            .unwrap();
        let iam = server.iam().await;
        iam.create_user().user_name("reader").send().await.unwrap();
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*",
            "Condition":{"StringEquals":{"secretsmanager:ResourceTag/copilot-application":"demo","secretsmanager:ResourceTag/copilot-environment":"test"}}}]}"#;
        iam.put_user_policy().user_name("reader").policy_name("read").policy_document(policy).send().await.unwrap();
        let key = iam.create_access_key().user_name("reader").send().await.unwrap().access_key.unwrap();
        let creds = aws_credential_types::Credentials::new(key.access_key_id(), key.secret_access_key(), None, None, "t");
        let config = server.sdk_config_with(creds).await;
        let reader_eu = Client::from_conf(
            aws_sdk_secretsmanager::config::Builder::from(&config).region(aws_config::Region::new("eu-west-1")).build(),
        );
        assert_eq!(value(&reader_eu, "tagged").await, "for demo/test");
        assert_eq!(
            err!(reader_eu.get_secret_value().secret_id("other").send()),
            pair(
                "AccessDeniedException",
                "User: arn:aws:iam::000000000000:user/reader is not authorized to perform: secretsmanager:GetSecretValue on resource: other because no identity-based policy allows the secretsmanager:GetSecretValue action"
            )
        );
        let reader = Client::new(&config);
        let (c, m) = err!(reader
            .replicate_secret_to_regions()
            .secret_id("tagged")
            .add_replica_regions(ReplicaRegionType::builder().region("us-west-2").build())
            .send());
        assert_eq!(c, "AccessDeniedException");
        assert!(m.contains("secretsmanager:ReplicateSecretToRegions"), "{m}");
        let (c, m) = err!(reader.remove_regions_from_replication().secret_id("tagged").remove_replica_regions("eu-west-1").send());
        assert_eq!(c, "AccessDeniedException");
        assert!(m.contains("secretsmanager:RemoveRegionsFromReplication"), "{m}");
        let (c, m) = err!(reader_eu.stop_replication_to_replica().secret_id("tagged").send());
        assert_eq!(c, "AccessDeniedException");
        assert!(m.contains("secretsmanager:StopReplicationToReplica"), "{m}");
        assert_eq!(value(&server.secrets_manager_in("eu-west-1").await, "tagged").await, "for demo/test");
    });
}
