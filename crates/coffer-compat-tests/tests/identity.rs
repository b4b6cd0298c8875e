//! The seed's rule with real clients: a role carrying Copilot's execution-role policy for
//! (demo, test), assumed through STS, reads only what is tagged for demo/test; denials are
//! audited and leak nothing.

mod common;

use aws_credential_types::Credentials;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::{ParameterType, Tag};

const ROLE: &str = "demo-test-ExecutionRole";
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}"#;

/// Copilot's execution-role secrets policy (copilot-behaviour.md §3.1) for app demo, env test.
const COPILOT_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["ssm:GetParameters"],
     "Resource": ["arn:aws:ssm:us-east-1:000000000000:parameter/*"],
     "Condition": {"StringEquals": {"ssm:ResourceTag/copilot-application": "demo", "ssm:ResourceTag/copilot-environment": "test"}}},
    {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
     "Resource": ["arn:aws:secretsmanager:us-east-1:000000000000:secret:*"],
     "Condition": {"StringEquals": {"secretsmanager:ResourceTag/copilot-application": "demo", "secretsmanager:ResourceTag/copilot-environment": "test"}}}
  ]
}"#;

fn ssm_tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

fn sm_tag(k: &str, v: &str) -> aws_sdk_secretsmanager::types::Tag {
    aws_sdk_secretsmanager::types::Tag::builder().key(k).value(v).build()
}

#[tokio::test]
async fn execution_role_reads_only_its_tagged_secrets() {
    on_every_backend!(server => {
        let (ssm, sm, iam, sts) = (server.ssm().await, server.secrets_manager().await, server.iam().await, server.sts().await);
        let role = iam.create_role().role_name(ROLE).assume_role_policy_document(TRUST).send().await.unwrap();
        let role_arn = role.role().unwrap().arn().to_owned();
        assert_eq!(role_arn, format!("arn:aws:iam::000000000000:role/{ROLE}"));
        iam.put_role_policy().role_name(ROLE).policy_name("demo-test-SecretsPolicy").policy_document(COPILOT_POLICY).send().await.unwrap();

        for (name, app, env) in [("GH_WEBHOOK_SECRET", Some("demo"), Some("test")), ("PROD_ONLY", Some("demo"), Some("prod")), ("UNTAGGED", None, None)] {
            let mut put = ssm.put_parameter().name(name).value("secretvalue1234").r#type(ParameterType::SecureString);
            if let (Some(a), Some(e)) = (app, env) {
                put = put.tags(ssm_tag("copilot-application", a)).tags(ssm_tag("copilot-environment", e));
            }
            put.send().await.unwrap();
        }
        let mysql = r#"{"engine": "mysql","username": "user1","password": "i29wwX!%9wFV","host": "","dbname": "myDatabase","port": "3306"}"#;
        sm.create_secret().name("mysql").secret_string(mysql).tags(sm_tag("copilot-application", "demo")).tags(sm_tag("copilot-environment", "test")).send().await.unwrap();
        sm.create_secret().name("other-app-db").secret_string("i29wwX-other").tags(sm_tag("copilot-application", "other")).tags(sm_tag("copilot-environment", "test")).send().await.unwrap();

        let session = sts.assume_role().role_arn(&role_arn).role_session_name("task-1").duration_seconds(900).send().await.unwrap();
        let creds = session.credentials().unwrap();
        assert!(creds.access_key_id().starts_with("ASIA"));
        assert_eq!(session.assumed_role_user().unwrap().arn(), format!("arn:aws:sts::000000000000:assumed-role/{ROLE}/task-1"));
        let as_role = server
            .sdk_config_with(Credentials::new(creds.access_key_id(), creds.secret_access_key(), Some(creds.session_token().to_owned()), None, "session"))
            .await;
        let role_sts = aws_sdk_sts::Client::new(&as_role);
        let me = role_sts.get_caller_identity().send().await.unwrap();
        assert_eq!(me.arn(), Some(format!("arn:aws:sts::000000000000:assumed-role/{ROLE}/task-1").as_str()));
        let role_ssm = aws_sdk_ssm::Client::new(&as_role);
        let role_sm = aws_sdk_secretsmanager::Client::new(&as_role);

        let got = role_ssm.get_parameters().names("GH_WEBHOOK_SECRET").with_decryption(true).send().await.unwrap();
        assert_eq!(got.parameters()[0].value(), Some("secretvalue1234"));
        let got = role_sm.get_secret_value().secret_id("mysql").send().await.unwrap();
        assert_eq!(got.secret_string(), Some(mysql));

        let session_arn = format!("arn:aws:sts::000000000000:assumed-role/{ROLE}/task-1");
        for name in ["PROD_ONLY", "UNTAGGED", "DOES_NOT_EXIST"] {
            let err = role_ssm.get_parameters().names(name).with_decryption(true).send().await.unwrap_err().into_service_error();
            assert_eq!(err.code(), Some("AccessDeniedException"), "{name}");
            let message = err.message().unwrap();
            assert_eq!(
                message,
                format!("User: {session_arn} is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1:000000000000:parameter/{name} because no identity-based policy allows the ssm:GetParameters action")
            );
            assert!(!message.contains("secretvalue1234"));
        }
        // One denied name fails the whole batch, as in AWS.
        let err = role_ssm.get_parameters().names("GH_WEBHOOK_SECRET").names("PROD_ONLY").send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("AccessDeniedException"));
        let err = role_sm.get_secret_value().secret_id("other-app-db").send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("AccessDeniedException"));
        assert!(!format!("{err:?}").contains("i29wwX"), "no value in the error");
        // GetParameter (singular) is not in Copilot's policy.
        let err = role_ssm.get_parameter().name("GH_WEBHOOK_SECRET").send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("AccessDeniedException"));
        // Nor is writing.
        let err = role_ssm.put_parameter().name("GH_WEBHOOK_SECRET").value("x").overwrite(true).send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("AccessDeniedException"));
        let still = ssm.get_parameter().name("GH_WEBHOOK_SECRET").with_decryption(true).send().await.unwrap();
        assert_eq!(still.parameter().unwrap().version(), 1, "the denied write changed nothing");

        // A session token that does not belong to the key is refused.
        let forged = server
            .sdk_config_with(Credentials::new(creds.access_key_id(), creds.secret_access_key(), Some("forged".into()), None, "forged"))
            .await;
        let err = aws_sdk_ssm::Client::new(&forged).describe_parameters().send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("UnrecognizedClientException"));

        // The denial is in the audit trail once the server has flushed it (on SIGTERM).
        let data_dir = server.data_dir.path().to_owned();
        let database_url = server.pg.as_ref().map(|pg| pg.url.clone());
        let mut server = server;
        let status = server.terminate_keep_data();
        assert!(status.success());
        let mut cmd = std::process::Command::new(common::coffer_bin());
        cmd.args(["audit", "ls", "--json", "--event", "GetParameters", "--principal", &session_arn]).env("COFFER_DATA_DIR", &data_dir).env_remove("COFFER_DATABASE_URL");
        if let Some(url) = &database_url {
            cmd.env("COFFER_DATABASE_URL", url);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let denied = lines
            .iter()
            .find(|r| r["resources"][0] == "arn:aws:ssm:us-east-1:000000000000:parameter/PROD_ONLY")
            .expect("denied request audited");
        assert_eq!(denied["error_code"], "AccessDeniedException");
        assert_eq!(denied["event_source"], "ssm.amazonaws.com");
        assert!(denied["access_key_id"].as_str().unwrap().starts_with("ASIA"));
        let all = serde_json::Value::Array(lines.clone()).to_string();
        assert!(!all.contains("secretvalue1234") && !all.contains("i29wwX"), "no value in the audit trail");
        let mut verify = std::process::Command::new(common::coffer_bin());
        verify.args(["audit", "verify"]).env("COFFER_DATA_DIR", &data_dir).env_remove("COFFER_DATABASE_URL");
        if let Some(url) = &database_url {
            verify.env("COFFER_DATABASE_URL", url);
        }
        let out = verify.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("audit chain intact: "));
    });
}

/// Creates role `name` with inline policy `policy`, assumes it, and returns the session's
/// SDK configuration.
async fn assume_role_with_policy(server: &common::Server, name: &str, policy: &str) -> aws_config::SdkConfig {
    let (iam, sts) = (server.iam().await, server.sts().await);
    let role = iam.create_role().role_name(name).assume_role_policy_document(TRUST).send().await.unwrap();
    iam.put_role_policy().role_name(name).policy_name("p").policy_document(policy).send().await.unwrap();
    let session =
        sts.assume_role().role_arn(role.role().unwrap().arn()).role_session_name("sweeper").send().await.unwrap();
    let creds = session.credentials().unwrap();
    server
        .sdk_config_with(Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_owned()),
            None,
            "session",
        ))
        .await
}

/// Tag conditions decide every Secrets Manager action on an existing secret, not only reads:
/// a role allowed to delete (and describe) what is tagged for its environment deletes that
/// secret and is refused another, which stays.
#[tokio::test]
async fn tag_conditions_govern_deletes_too() {
    const CLEANER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Action":["secretsmanager:DeleteSecret","secretsmanager:DescribeSecret"],
      "Resource":"arn:aws:secretsmanager:us-east-1:000000000000:secret:*",
      "Condition":{"StringEquals":{"secretsmanager:ResourceTag/copilot-environment":"test"}}}]}"#;
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        for (name, env) in [("test-db", "test"), ("prod-db", "prod")] {
            sm.create_secret().name(name).secret_string("v").tags(sm_tag("copilot-environment", env)).send().await.unwrap();
        }
        let role_sm = aws_sdk_secretsmanager::Client::new(&assume_role_with_policy(&server, "cleaner", CLEANER).await);

        let deleted = role_sm.delete_secret().secret_id("test-db").recovery_window_in_days(7).send().await.unwrap();
        assert_eq!(deleted.name(), Some("test-db"));
        let err = role_sm.delete_secret().secret_id("prod-db").send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("AccessDeniedException"));
        assert_eq!(
            err.message(),
            Some("User: arn:aws:sts::000000000000:assumed-role/cleaner/sweeper is not authorized to perform: secretsmanager:DeleteSecret on resource: prod-db because no identity-based policy allows the secretsmanager:DeleteSecret action")
        );
        let prod = sm.describe_secret().secret_id("prod-db").send().await.unwrap();
        assert!(prod.deleted_date().is_none(), "the refused delete changed nothing");
        let test = role_sm.describe_secret().secret_id("test-db").send().await.unwrap();
        assert!(test.deleted_date().is_some());
    });
}

/// BatchGetSecretValue with `Filters` searches every secret's name, description and tags, so
/// AWS requires `secretsmanager:ListSecrets` as well: without it a caller could learn the names
/// and tags of secrets it may not read.
#[tokio::test]
async fn batch_filters_need_list_secrets() {
    const BATCH: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Action":["secretsmanager:BatchGetSecretValue","secretsmanager:GetSecretValue"],"Resource":"*"}]}"#;
    const BATCH_AND_LIST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Action":["secretsmanager:BatchGetSecretValue","secretsmanager:GetSecretValue","secretsmanager:ListSecrets"],
      "Resource":"*"}]}"#;
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        sm.create_secret().name("team/db").secret_string("v").send().await.unwrap();
        let name_filter = aws_sdk_secretsmanager::types::Filter::builder()
            .key(aws_sdk_secretsmanager::types::FilterNameStringType::Name)
            .values("team/")
            .build();

        let batch = aws_sdk_secretsmanager::Client::new(&assume_role_with_policy(&server, "batcher", BATCH).await);
        let err = batch.batch_get_secret_value().filters(name_filter.clone()).send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("AccessDeniedException"));
        assert_eq!(
            err.message(),
            Some("User: arn:aws:sts::000000000000:assumed-role/batcher/sweeper is not authorized to perform: secretsmanager:ListSecrets on resource: * because no identity-based policy allows the secretsmanager:ListSecrets action")
        );
        // By id it needs no ListSecrets.
        let by_id = batch.batch_get_secret_value().secret_id_list("team/db").send().await.unwrap();
        assert_eq!(by_id.secret_values().len(), 1);

        let lister = aws_sdk_secretsmanager::Client::new(&assume_role_with_policy(&server, "lister", BATCH_AND_LIST).await);
        let found = lister.batch_get_secret_value().filters(name_filter).send().await.unwrap();
        assert_eq!(found.secret_values().iter().map(|v| v.name().unwrap()).collect::<Vec<_>>(), ["team/db"]);
    });
}

/// What a request carries decides too: `aws:RequestTag/…` and `aws:TagKeys` on creating and
/// tagging (SSM, Secrets Manager, IAM), `ssm:Overwrite` on PutParameter and `ssm:Recursive` on
/// GetParametersByPath. A refused request changes nothing.
#[tokio::test]
async fn request_tags_and_request_keys_decide() {
    const PROVISIONER: &str = r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":["ssm:PutParameter","ssm:AddTagsToResource","secretsmanager:CreateSecret","secretsmanager:TagResource","iam:TagRole"],
       "Resource":"*",
       "Condition":{"StringEquals":{"aws:RequestTag/copilot-application":"demo"},
                    "ForAllValues:StringEquals":{"aws:TagKeys":["copilot-application","copilot-environment"]}}},
      {"Effect":"Allow","Action":"ssm:PutParameter","Resource":"arn:aws:ssm:us-east-1:000000000000:parameter/open/*"},
      {"Effect":"Deny","Action":"ssm:PutParameter","Resource":"*","Condition":{"StringEquals":{"ssm:Overwrite":"true"}}},
      {"Effect":"Allow","Action":"ssm:GetParametersByPath","Resource":"*"},
      {"Effect":"Deny","Action":"ssm:GetParametersByPath","Resource":"*","Condition":{"StringEquals":{"ssm:Recursive":"true"}}},
      {"Effect":"Allow","Action":"secretsmanager:UntagResource","Resource":"*",
       "Condition":{"ForAllValues:StringNotEquals":{"aws:TagKeys":["copilot-application"]}}}
    ]}"#;
    on_every_backend!(server => {
        let as_role = assume_role_with_policy(&server, "provisioner", PROVISIONER).await;
        let (ssm, sm, iam) = (aws_sdk_ssm::Client::new(&as_role), aws_sdk_secretsmanager::Client::new(&as_role), aws_sdk_iam::Client::new(&as_role));
        let denied = |code: Option<&str>, what: &str| assert_eq!(code, Some("AccessDeniedException"), "{what}");

        // SSM: the tags must name app demo, and only Copilot's two keys.
        let put = |name: &str| ssm.put_parameter().name(name).value("v").r#type(ParameterType::SecureString);
        put("/copilot/demo/test/secrets/a").tags(ssm_tag("copilot-application", "demo")).tags(ssm_tag("copilot-environment", "test")).send().await.unwrap();
        let err = put("/copilot/other/test/secrets/a").tags(ssm_tag("copilot-application", "other")).send().await.unwrap_err().into_service_error();
        denied(err.code(), "another app's tag");
        let err = put("/copilot/demo/test/secrets/b").send().await.unwrap_err().into_service_error();
        denied(err.code(), "no tags at all");
        let err = put("/copilot/demo/test/secrets/c").tags(ssm_tag("copilot-application", "demo")).tags(ssm_tag("owner", "me")).send().await.unwrap_err().into_service_error();
        denied(err.code(), "a key outside the allowed set");
        let err = ssm.add_tags_to_resource().resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
            .resource_id("/copilot/demo/test/secrets/a").tags(ssm_tag("owner", "me")).send().await.unwrap_err().into_service_error();
        denied(err.code(), "AddTagsToResource with a key outside the set");
        ssm.add_tags_to_resource().resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
            .resource_id("/copilot/demo/test/secrets/a").tags(ssm_tag("copilot-application", "demo")).send().await.unwrap();

        // ssm:Overwrite: creating under /open/ is allowed, overwriting is explicitly denied.
        put("/open/flag").send().await.unwrap();
        let err = put("/open/flag").overwrite(true).send().await.unwrap_err().into_service_error();
        denied(err.code(), "overwrite");
        assert!(err.message().unwrap().ends_with("with an explicit deny in an identity-based policy"), "{:?}", err.message());

        // ssm:Recursive.
        let listed = ssm.get_parameters_by_path().path("/open").send().await.unwrap();
        assert_eq!(listed.parameters().len(), 1);
        let err = ssm.get_parameters_by_path().path("/open").recursive(true).send().await.unwrap_err().into_service_error();
        denied(err.code(), "recursive");

        // Secrets Manager: the same rule on CreateSecret; UntagResource may not remove the app tag.
        sm.create_secret().name("demo-db").secret_string("v").tags(sm_tag("copilot-application", "demo")).send().await.unwrap();
        let err = sm.create_secret().name("other-db").secret_string("v").tags(sm_tag("copilot-application", "other")).send().await.unwrap_err().into_service_error();
        denied(err.code(), "CreateSecret for another app");
        let err = sm.untag_resource().secret_id("demo-db").tag_keys("copilot-application").send().await.unwrap_err().into_service_error();
        denied(err.code(), "removing the app tag");
        sm.untag_resource().secret_id("demo-db").tag_keys("copilot-environment").send().await.unwrap();

        // IAM: TagRole under the same rule.
        iam.tag_role().role_name("provisioner").tags(aws_sdk_iam::types::Tag::builder().key("copilot-application").value("demo").build().unwrap()).send().await.unwrap();
        let err = iam.tag_role().role_name("provisioner").tags(aws_sdk_iam::types::Tag::builder().key("team").value("x").build().unwrap()).send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("AccessDenied"));

        // The refusals changed nothing.
        let root_ssm = server.ssm().await;
        let names: Vec<String> = root_ssm.describe_parameters().send().await.unwrap().parameters().iter().filter_map(|p| p.name().map(str::to_owned)).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        let tags = root_ssm.list_tags_for_resource().resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter).resource_id("/copilot/demo/test/secrets/a").send().await.unwrap();
        assert_eq!(tags.tag_list().len(), 2);
        let flag = root_ssm.get_parameter().name("/open/flag").send().await.unwrap();
        assert_eq!(flag.parameter().unwrap().version(), 1);
        let root_sm = server.secrets_manager().await;
        let err = root_sm.describe_secret().secret_id("other-db").send().await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("ResourceNotFoundException"));
        let demo = root_sm.describe_secret().secret_id("demo-db").send().await.unwrap();
        assert_eq!(demo.tags().len(), 1, "the app tag stayed, the environment tag is gone");
        assert_eq!(demo.tags()[0].key(), Some("copilot-application"));
        let role = server.iam().await.get_role().role_name("provisioner").send().await.unwrap();
        assert_eq!(role.role().unwrap().tags().len(), 1);
    });
}

/// A session used after its expiry is refused with `ExpiredToken` in each protocol's form
/// (JSON: `ExpiredTokenException`, 400; Query: `ExpiredToken`, 403), not as an unknown key.
#[tokio::test]
async fn expired_sessions_are_refused_as_expired() {
    on_every_backend!(server => {
        let mut server = server;
        let sts = server.sts().await;
        let iam = server.iam().await;
        let role = iam.create_role().role_name("short").assume_role_policy_document(TRUST).send().await.unwrap();
        iam.put_role_policy().role_name("short").policy_name("p").policy_document(COPILOT_POLICY).send().await.unwrap();
        let session = sts.assume_role().role_arn(role.role().unwrap().arn()).role_session_name("task").duration_seconds(900).send().await.unwrap();
        let creds = session.credentials().unwrap().clone();
        let session_creds = || Credentials::new(creds.access_key_id(), creds.secret_access_key(), Some(creds.session_token().to_owned()), None, "session");
        let me = aws_sdk_sts::Client::new(&server.sdk_config_with(session_creds()).await).get_caller_identity().send().await.unwrap();
        assert_eq!(me.arn(), Some("arn:aws:sts::000000000000:assumed-role/short/task"));

        // AssumeRole's minimum is 15 minutes: the session's end is moved a minute into the
        // past instead, with the server stopped (it caches keys for 5 s).
        let past = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() - 60_000;
        server.execute_sql(&format!("UPDATE iam_access_keys SET expires_ms = {past} WHERE access_key_id = '{}'", creds.access_key_id()));
        server.restart();
        let as_session = server.sdk_config_with(session_creds()).await;

        let err = aws_sdk_ssm::Client::new(&as_session).get_parameters().names("x").send().await.unwrap_err();
        let raw = err.raw_response().map(|r| r.status().as_u16());
        let err = err.into_service_error();
        assert_eq!(err.code(), Some("ExpiredTokenException"));
        assert_eq!(err.message(), Some("The security token included in the request is expired"));
        assert_eq!(raw, Some(400));
        let err = aws_sdk_sts::Client::new(&as_session).get_caller_identity().send().await.unwrap_err();
        let raw = err.raw_response().map(|r| r.status().as_u16());
        let err = err.into_service_error();
        assert_eq!(err.code(), Some("ExpiredToken"));
        assert_eq!(err.message(), Some("The security token included in the request is expired"));
        assert_eq!(raw, Some(403));
        // The root's own credentials still work after the restart.
        server.sts().await.get_caller_identity().send().await.unwrap();
    });
}

/// `/aws/reference/secretsmanager/<id>` is an SSM read first: an explicit `Deny ssm:*` holds
/// on it, and a denial by Secrets Manager names the secret as called, whether it exists or
/// not (no suffixed ARN, no hint of existence).
#[tokio::test]
async fn ssm_reference_needs_both_services_permissions() {
    const READER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Action":["ssm:GetParameter","ssm:GetParameters","secretsmanager:GetSecretValue"],"Resource":"*"}]}"#;
    const DENY_SSM: &str = r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":["ssm:GetParameter","secretsmanager:GetSecretValue"],"Resource":"*"},
      {"Effect":"Deny","Action":"ssm:*","Resource":"*"}]}"#;
    const SSM_ONLY: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}"#;
    on_every_backend!(server => {
        let sm = server.secrets_manager().await;
        sm.create_secret().name("team/db").secret_string("s3cret").send().await.unwrap();
        let get = |config: aws_config::SdkConfig, name: &'static str| async move {
            aws_sdk_ssm::Client::new(&config).get_parameter().name(name).with_decryption(true).send().await
        };
        let reader = assume_role_with_policy(&server, "reader", READER).await;
        let out = get(reader, "/aws/reference/secretsmanager/team/db").await.unwrap();
        assert_eq!(out.parameter().unwrap().value(), Some("s3cret"));

        let denied = assume_role_with_policy(&server, "denied", DENY_SSM).await;
        let err = get(denied, "/aws/reference/secretsmanager/team/db").await.unwrap_err().into_service_error();
        assert_eq!(err.code(), Some("AccessDeniedException"));
        assert_eq!(
            err.message(),
            Some("User: arn:aws:sts::000000000000:assumed-role/denied/sweeper is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:000000000000:parameter/aws/reference/secretsmanager/team/db with an explicit deny in an identity-based policy")
        );

        let ssm_only = assume_role_with_policy(&server, "ssm-only", SSM_ONLY).await;
        let existing = get(ssm_only.clone(), "/aws/reference/secretsmanager/team/db").await.unwrap_err().into_service_error();
        let missing = get(ssm_only, "/aws/reference/secretsmanager/team/nope").await.unwrap_err().into_service_error();
        let reason = "because no identity-based policy allows the secretsmanager:GetSecretValue action";
        assert_eq!(
            existing.message().unwrap(),
            format!("User: arn:aws:sts::000000000000:assumed-role/ssm-only/sweeper is not authorized to perform: secretsmanager:GetSecretValue on resource: team/db {reason}")
        );
        assert_eq!(
            missing.message().unwrap(),
            format!("User: arn:aws:sts::000000000000:assumed-role/ssm-only/sweeper is not authorized to perform: secretsmanager:GetSecretValue on resource: team/nope {reason}")
        );
    });
}

/// AssumeRole as AWS documents it: the trust policy's `sts:ExternalId` condition holds
/// against the request's ExternalId, and a session policy (`Policy`) limits the session to
/// what both it and the role's policies allow.
#[tokio::test]
async fn external_id_and_session_policies() {
    const TRUST_WITH_EXTERNAL_ID: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole",
      "Condition":{"StringEquals":{"sts:ExternalId":"partner-7"}}}]}"#;
    const BROAD: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Action":["ssm:GetParameter","secretsmanager:GetSecretValue"],"Resource":"*"}]}"#;
    const ONLY_ALLOWED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter",
      "Resource":"arn:aws:ssm:us-east-1:000000000000:parameter/allowed/*"}]}"#;
    on_every_backend!(server => {
        let (ssm, sm, iam, sts) = (server.ssm().await, server.secrets_manager().await, server.iam().await, server.sts().await);
        for name in ["/allowed/a", "/other/b"] {
            ssm.put_parameter().name(name).value("v").r#type(ParameterType::String).send().await.unwrap();
        }
        sm.create_secret().name("s").secret_string("v").send().await.unwrap();
        let role = iam.create_role().role_name("partner").assume_role_policy_document(TRUST_WITH_EXTERNAL_ID).send().await.unwrap();
        let role_arn = role.role().unwrap().arn().to_owned();
        iam.put_role_policy().role_name("partner").policy_name("broad").policy_document(BROAD).send().await.unwrap();

        let denied = "User: arn:aws:iam::000000000000:root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role/partner";
        for external_id in [None, Some("partner-8")] {
            let e = sts.assume_role().role_arn(&role_arn).role_session_name("s1").set_external_id(external_id.map(str::to_owned)).send().await.unwrap_err().into_service_error();
            assert_eq!((e.code(), e.message()), (Some("AccessDenied"), Some(denied)), "{external_id:?}");
        }
        let out = sts.assume_role().role_arn(&role_arn).role_session_name("s1").external_id("partner-7").send().await.unwrap();
        assert!(out.credentials().is_some());

        let session = sts.assume_role().role_arn(&role_arn).role_session_name("limited").external_id("partner-7").policy(ONLY_ALLOWED).send().await.unwrap();
        let creds = session.credentials().unwrap();
        let config = server
            .sdk_config_with(Credentials::new(creds.access_key_id(), creds.secret_access_key(), Some(creds.session_token().to_owned()), None, "session"))
            .await;
        let limited_ssm = aws_sdk_ssm::Client::new(&config);
        assert_eq!(limited_ssm.get_parameter().name("/allowed/a").send().await.unwrap().parameter().unwrap().value(), Some("v"));
        let e = limited_ssm.get_parameter().name("/other/b").send().await.unwrap_err().into_service_error();
        assert_eq!(
            (e.code(), e.message()),
            (
                Some("AccessDeniedException"),
                Some("User: arn:aws:sts::000000000000:assumed-role/partner/limited is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:000000000000:parameter/other/b because no session policy allows the ssm:GetParameter action")
            )
        );
        let e = aws_sdk_secretsmanager::Client::new(&config).get_secret_value().secret_id("s").send().await.unwrap_err().into_service_error();
        assert_eq!(e.code(), Some("AccessDeniedException"));

        let e = sts.assume_role().role_arn(&role_arn).role_session_name("bad").external_id("partner-7").policy("{not json").send().await.unwrap_err().into_service_error();
        assert_eq!((e.code(), e.message()), (Some("MalformedPolicyDocument"), Some("Syntax errors in policy.")));
        let managed = aws_sdk_sts::types::PolicyDescriptorType::builder().arn("arn:aws:iam::aws:policy/ReadOnlyAccess").build();
        let e = sts.assume_role().role_arn(&role_arn).role_session_name("bad").external_id("partner-7").policy_arns(managed).send().await.unwrap_err().into_service_error();
        assert_eq!(e.code(), Some("ValidationError"));
    });
}

/// IAM and STS check every member against the model first and report every violation in one
/// `ValidationError`, numbers quoted as the Query services quote them; nothing is created.
#[tokio::test]
async fn iam_and_sts_report_every_violation_at_once() {
    on_every_backend!(server => {
        let (iam, sts) = (server.iam().await, server.sts().await);
        let e = iam
            .create_role()
            .role_name("bad name!")
            .path("noslash")
            .assume_role_policy_document(TRUST)
            .max_session_duration(100)
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("ValidationError"));
        assert_eq!(
            e.message(),
            Some(
                "3 validation errors detected: \
                 Value 'bad name!' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; \
                 Value 'noslash' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F); \
                 Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"
            )
        );
        assert!(iam.list_roles().send().await.unwrap().roles().is_empty());

        let e = iam.put_role_policy().role_name("r".repeat(65)).policy_name("p q").policy_document("").send().await.unwrap_err();
        assert_eq!(
            e.message(),
            Some(format!(
                "3 validation errors detected: \
                 Value '{}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64; \
                 Value 'p q' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; \
                 Value '' at 'policyDocument' failed to satisfy constraint: Member must have length greater than or equal to 1",
                "r".repeat(65)
            ).as_str())
        );

        let e = sts
            .assume_role()
            .role_arn("arn:aws:iam::000000000000:role/whatever")
            .role_session_name("a")
            .duration_seconds(100)
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some("ValidationError"));
        assert_eq!(
            e.message(),
            Some(
                "2 validation errors detected: \
                 Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; \
                 Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
            )
        );
    });
}
