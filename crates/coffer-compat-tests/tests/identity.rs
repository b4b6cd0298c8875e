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
        let (sm, iam, sts) = (server.secrets_manager().await, server.iam().await, server.sts().await);
        let role = iam.create_role().role_name("cleaner").assume_role_policy_document(TRUST).send().await.unwrap();
        iam.put_role_policy().role_name("cleaner").policy_name("clean-test").policy_document(CLEANER).send().await.unwrap();
        for (name, env) in [("test-db", "test"), ("prod-db", "prod")] {
            sm.create_secret().name(name).secret_string("v").tags(sm_tag("copilot-environment", env)).send().await.unwrap();
        }
        let session = sts.assume_role().role_arn(role.role().unwrap().arn()).role_session_name("sweeper").send().await.unwrap();
        let creds = session.credentials().unwrap();
        let as_role = server
            .sdk_config_with(Credentials::new(creds.access_key_id(), creds.secret_access_key(), Some(creds.session_token().to_owned()), None, "session"))
            .await;
        let role_sm = aws_sdk_secretsmanager::Client::new(&as_role);

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
