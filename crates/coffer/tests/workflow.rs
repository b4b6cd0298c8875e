//! The Copilot workflow commands (`app`, `env`, `secret`) through the real `coffer` binary,
//! on the embedded and the remote backend: stdout, stderr, exit codes, and what was stored.

mod common;

use coffer_aws::secret::SecretString;
use coffer_client::{Backend as _, NewParameter, Tag};
use common::{ACCOUNT, Harness, Mode, REGION, on_every_backend, tags};
use predicates::prelude::*;

const SNIPPET_HEAD: &str =
    "You can refer to these secrets from your manifest file by editing the `secrets` section.\n```\nsecrets:\n";

fn snippet(names: &[&str]) -> String {
    let mut s = SNIPPET_HEAD.to_owned();
    for n in names {
        s.push_str(&format!(
            "    {n}: /copilot/${{COPILOT_APPLICATION_NAME}}/${{COPILOT_ENVIRONMENT_NAME}}/secrets/{n}\n"
        ));
    }
    s.push_str("```\n");
    s
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

/// The README's first half: `app init demo`, `env init --name test`,
/// `secret init --name GH_WEBHOOK_SECRET --values test=secretvalue1234`.
#[test]
fn seed_scenario_first_half() {
    on_every_backend(|h| {
        h.run(&["app", "init", "demo"]).success().stdout_is("").stderr_is(
            "✔ Created application demo in account 000000000000 and region us-east-1 as /copilot/applications/demo.\n\
             ✔ Wrote the workspace file copilot/.workspace for application demo.\n\
             Recommended follow-up action:\n  - Run `coffer env init --name test` to add an environment.\n",
        );
        assert_eq!(std::fs::read_to_string(h.project().join("copilot/.workspace")).unwrap(), "application: demo\n");
        let app = h.parameter("/copilot/applications/demo").expect("app stored");
        assert_eq!(app.param_type, "String");
        assert_eq!(app.tags, [("copilot-application".to_owned(), "demo".to_owned())].into());
        assert_eq!(
            json(&app.value),
            serde_json::json!({"name": "demo", "account": ACCOUNT, "domain": "", "domainHostedZone": "", "version": "1.0"})
        );

        h.run(&["env", "init", "--name", "test"]).success().stdout_is("").stderr_is(
            "✔ Execution role arn:aws:iam::000000000000:role/demo-test-ExecutionRole may read the secrets tagged copilot-application=demo and copilot-environment=test.\n\
             ✔ Created environment test in region us-east-1 of application demo as /copilot/applications/demo/environments/test.\n\
             Recommended follow-up action:\n  - Run `coffer secret init --app demo --name NAME --values test=VALUE` to add a secret.\n",
        );
        let env = h.parameter("/copilot/applications/demo/environments/test").expect("env stored");
        assert_eq!(env.param_type, "String");
        assert_eq!(
            json(&env.value),
            serde_json::json!({
                "app": "demo", "name": "test", "region": REGION, "accountID": ACCOUNT, "prod": false,
                "registryURL": "", "executionRoleARN": "arn:aws:iam::000000000000:role/demo-test-ExecutionRole",
                "managerRoleARN": ""
            })
        );
        let (role, policy) = h.inspect(async |b| {
            let role = b.get_role("demo-test-ExecutionRole").await.unwrap().expect("role");
            let policy = b.get_role_policy("demo-test-ExecutionRole", "demo-test-SecretsPolicy").await.unwrap();
            (role, policy.expect("secrets policy"))
        });
        assert_eq!(
            json(&role.trust_policy),
            serde_json::json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole"}]})
        );
        assert_eq!(
            json(&policy),
            serde_json::json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["ssm:GetParameters"],
                 "Resource": ["arn:aws:ssm:us-east-1:000000000000:parameter/*"],
                 "Condition": {"StringEquals": {
                     "ssm:ResourceTag/copilot-application": "demo", "ssm:ResourceTag/copilot-environment": "test"}}},
                {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                 "Resource": ["arn:aws:secretsmanager:us-east-1:000000000000:secret:*"],
                 "Condition": {"StringEquals": {
                     "secretsmanager:ResourceTag/copilot-application": "demo",
                     "secretsmanager:ResourceTag/copilot-environment": "test"}}}
            ]})
        );

        let r = h.run(&["secret", "init", "--name", "GH_WEBHOOK_SECRET", "--values", "test=secretvalue1234"]);
        r.success().stdout_is("").stderr_is(&format!(
            "...Put secret GH_WEBHOOK_SECRET to environment test\n\
             ✔ Successfully put secret GH_WEBHOOK_SECRET in environment test as /copilot/demo/test/secrets/GH_WEBHOOK_SECRET.\n{}",
            snippet(&["GH_WEBHOOK_SECRET"])
        ));
        let s = h.parameter("/copilot/demo/test/secrets/GH_WEBHOOK_SECRET").expect("secret stored");
        assert_eq!(s.name, "/copilot/demo/test/secrets/GH_WEBHOOK_SECRET");
        assert_eq!(s.param_type, "SecureString");
        assert_eq!(s.value, "secretvalue1234");
        assert_eq!(s.version, 1);
        assert_eq!(s.tags, tags("demo", "test"));
    });
}

#[test]
fn existing_secret_is_kept_and_overwrite_reapplies_the_tags() {
    on_every_backend(|h| {
        h.app_and_env("demo", &["test", "prod"]);
        h.run(&["secret", "init", "--name", "db", "--values", "test=one,prod=two"]).success().stderr_is(&format!(
            "...Put secret db to environment prod and test\n\
             ✔ Successfully put secret db in environment prod as /copilot/demo/prod/secrets/db.\n\
             ✔ Successfully put secret db in environment test as /copilot/demo/test/secrets/db.\n{}",
            snippet(&["db"])
        ));

        // Already there, no --overwrite: a success (exit 0) with a hint, value untouched.
        h.run(&["secret", "init", "--name", "db", "--values", "test=changed"]).success().stderr_is(&format!(
            "...Put secret db to environment test\n\
             ✔ Secret db already exists in environment test as /copilot/demo/test/secrets/db. Did not overwrite. \n\
             Note: If you want to overwrite an existing secret, use the `--overwrite` flag.\n{}",
            snippet(&["db"])
        ));
        assert_eq!(h.parameter("/copilot/demo/test/secrets/db").unwrap().value, "one");

        // Someone changed a tag; --overwrite puts the value and the copilot tags back.
        h.inspect(async |b| {
            let wrong = vec![Tag { key: "copilot-environment".into(), value: "other".into() }];
            b.add_tags("/copilot/demo/test/secrets/db", wrong).await.unwrap();
        });
        h.run(&["secret", "init", "--name", "db", "--values", "test=changed", "--overwrite"]).success().stderr_is(&format!(
            "Note: You have specified `--overwrite` flag. Please note that overwriting an existing secret may break your deployed service.\n\
             ...Put secret db to environment test\n\
             ✔ Secret /copilot/demo/test/secrets/db already exists in environment test. Overwritten.\n{}",
            snippet(&["db"])
        ));
        let s = h.parameter("/copilot/demo/test/secrets/db").unwrap();
        assert_eq!((s.value.as_str(), s.version, s.param_type.as_str()), ("changed", 2, "SecureString"));
        assert_eq!(s.tags, tags("demo", "test"));
        assert_eq!(h.parameter("/copilot/demo/prod/secrets/db").unwrap().value, "two");
    });
}

#[test]
fn a_failing_environment_does_not_stop_the_others_and_exits_1() {
    on_every_backend(|h| {
        h.app_and_env("demo", &["test", "prod"]);
        let big = "x".repeat(5000);
        let values = format!("test=small,prod={big}");
        let r = h.run(&["secret", "init", "--name", "big", "--values", &values]);
        r.failure().stdout_is("").stderr_is(
            "...Put secret big to environment prod and test\n\
             ✔ Successfully put secret big in environment test as /copilot/demo/test/secrets/big.\n\
             ✘ Failed to put secret big in environment prod. See error message below.\n\
             ✘ put secret big in environment prod: create parameter /copilot/demo/prod/secrets/big: ValidationException: \
             Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, \
             upgrade the parameter to use the advanced-parameter tier. For more information, see \
             https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html\n",
        );
        assert!(!r.stderr.contains(&big));
        assert_eq!(h.parameter("/copilot/demo/test/secrets/big").unwrap().value, "small");
        assert!(h.parameter("/copilot/demo/prod/secrets/big").is_none());
    });
}

#[test]
fn validation_errors_match_copilot() {
    on_every_backend(|h| {
        h.app_and_env("demo", &["test"]);
        h.write("in.yml", "a:\n  test: x\n");
        let cases: &[(&[&str], &str)] = &[
            (&["--cli-input-yaml", "in.yml", "--name", "a"], "cannot specify `--cli-input-yaml` with `--name`"),
            (
                &["--cli-input-yaml", "in.yml", "--values", "test=1"],
                "cannot specify `--cli-input-yaml` with `--values`",
            ),
            (
                &["--app", "nope", "--name", "a", "--values", "test=1"],
                "get application nope: couldn't find an application named nope in account 000000000000 and region us-east-1",
            ),
            (
                &["--name", "a", "--values", "staging=1"],
                "get environment staging in application demo: couldn't find environment staging in the application demo",
            ),
            (
                &["--name", "bad name", "--values", "test=1"],
                "value must contain only letters, numbers, periods, hyphens and underscores",
            ),
            (&["--cli-input-yaml", "missing.yml"], "stat missing.yml: no such file or directory"),
            (
                &["--name", "a", "--values", "hunter2"],
                "invalid argument for \"--values\" flag: must be formatted as key=value",
            ),
            // Prompts need a terminal; without one the flag to use is named.
            (
                &["--name", "a"],
                "get secret value for a in environment test: entering a secret value needs an interactive terminal; pass --values",
            ),
            (&["--values", "test=1"], "ask for the secret name: answering needs an interactive terminal; pass --name"),
        ];
        for (args, message) in cases {
            let mut full = vec!["secret", "init"];
            full.extend_from_slice(args);
            h.run(&full).failure().stdout_is("").stderr_is(&format!("✘ {message}\n"));
        }
        assert!(h.parameter("/copilot/demo/test/secrets/a").is_none());

        // An environment Copilot made in another region: its secrets belong there.
        h.inspect(async |b| {
            let config = serde_json::json!({"app": "demo", "name": "far", "region": "eu-west-1", "accountID": ACCOUNT});
            b.put_parameter(NewParameter {
                name: "/copilot/applications/demo/environments/far".into(),
                value: SecretString::from(config.to_string()),
                param_type: "String".into(),
                description: None,
                overwrite: false,
                tags: vec![],
                attributes: Default::default(),
            })
            .await
            .unwrap();
        });
        h.run(&["secret", "init", "--name", "a", "--values", "far=1"]).failure().stderr_is(
            "✘ environment far of application demo is in region eu-west-1, not us-east-1: run again with --region eu-west-1\n",
        );

        h.run(&["app", "init", "Demo2"]).failure().stderr_is(
            "✘ application name Demo2 is invalid: value must start with a letter, contain only lower-case letters, numbers, and hyphens, and have no consecutive or trailing hyphen\n",
        );
        h.run(&["env", "init", "--name", "prod-"]).failure().stderr_is(
            "✘ environment name prod- is invalid: value must start with a letter, contain only lower-case letters, numbers, and hyphens, and have no consecutive or trailing hyphen\n",
        );
        h.run(&["env", "init", "--name", "prod", "--app", "nope"]).failure().stderr_is(
            "✘ get application nope: couldn't find an application named nope in account 000000000000 and region us-east-1\n",
        );
        // Another application's workspace is in the way.
        h.run(&["app", "init", "other"]).failure().stderr_is("✘ workspace already registered with demo\n");
    });
}

#[test]
fn no_application_anywhere() {
    on_every_backend(|h| {
        // No workspace, no application: the selector has nothing to offer.
        h.run(&["secret", "init", "--name", "a", "--values", "test=1"]).failure().stdout_is("").stderr_is(
            "Couldn't find any applications in this region and account. Try initializing one with `coffer app init`\n\
             ✘ ask for an application to add the secret to: no apps found\n",
        );
        h.run(&["secret", "init", "--cli-input-yaml", "in.yml"]).failure();
        h.run(&["env", "ls"]).failure().stderr_has("no application given: pass --app");
        h.run(&["app", "ls"]).success().stdout_is("");
        h.run(&["app", "ls", "--json"]).success().stdout_is("{\"applications\":[]}\n");
        h.run(&["secret", "ls"]).success().stdout_is("").stderr_is("No secrets found.\n");
    });
}

#[test]
fn only_one_application_is_chosen_without_asking() {
    on_every_backend(|h| {
        h.app_and_env("demo", &["test"]);
        std::fs::remove_file(h.project().join("copilot/.workspace")).unwrap();
        h.run(&["secret", "init", "--name", "a", "--values", "test=1"]).success().stderr_is(&format!(
            "Only found one application, defaulting to: demo\n\
             ...Put secret a to environment test\n\
             ✔ Successfully put secret a in environment test as /copilot/demo/test/secrets/a.\n{}",
            snippet(&["a"])
        ));
    });
}

#[test]
fn ls_show_and_rm() {
    on_every_backend(|h| {
        h.app_and_env("demo", &["test", "prod"]);
        h.run(&["secret", "init", "-n", "alpha", "--values", "test=alpha-test-value,prod=alpha-prod-value"]).success();
        h.run(&["secret", "init", "--app", "demo", "--name", "beta", "--values", "test=beta-test-value"]).success();

        // ls: JSON with every (secret, environment); a table with one row per secret.
        let all = h.run(&["secret", "ls", "--json"]).success().json();
        let rows = all["secrets"].as_array().unwrap();
        let seen: Vec<(&str, &str)> =
            rows.iter().map(|r| (r["name"].as_str().unwrap(), r["environment"].as_str().unwrap())).collect();
        assert_eq!(seen, [("alpha", "prod"), ("alpha", "test"), ("beta", "test")]);
        for r in rows {
            assert_eq!(r["app"], "demo");
            assert_eq!(r["type"], "SecureString");
            assert_eq!(r["version"], 1);
            assert_eq!(r["lastModifiedBy"], "arn:aws:iam::000000000000:root");
            assert!(r["lastModified"].as_str().unwrap().ends_with('Z'));
            assert_eq!(
                r["parameter"],
                format!("/copilot/demo/{}/secrets/{}", r["environment"].as_str().unwrap(), r["name"].as_str().unwrap())
            );
            assert!(r.get("value").is_none());
        }
        let table = h.run(&["secret", "ls"]).success().stdout.clone();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5, "{table}");
        assert!(
            lines[0].starts_with("Name") && lines[0].contains("Environments") && lines[0].ends_with("By"),
            "{table}"
        );
        assert!(lines[2].starts_with("alpha ") && lines[2].contains(" prod ") && lines[2].ends_with("root"), "{table}");
        assert!(lines[3].starts_with(' ') && lines[3].contains(" test "), "{table}");
        assert!(lines[4].starts_with("beta ") && lines[4].contains(" test "), "{table}");
        assert!(!table.contains("-value"));
        let prod = h.run(&["secret", "ls", "--env", "prod", "--json"]).success().json();
        assert_eq!(prod["secrets"].as_array().unwrap().len(), 1);

        // show: metadata, the value only with --reveal.
        let shown = h.run(&["secret", "show", "alpha", "--env", "test"]).success().stdout.clone();
        assert!(shown.contains("Parameter      /copilot/demo/test/secrets/alpha\n"), "{shown}");
        assert!(shown.contains("Tags           copilot-application=demo, copilot-environment=test\n"), "{shown}");
        assert!(shown.contains("Value          (hidden; pass --reveal to show it)"), "{shown}");
        assert!(!shown.contains("alpha-test-value"));
        let revealed = h.run(&["secret", "show", "alpha", "--env", "test", "--reveal"]).success().stdout.clone();
        assert!(revealed.contains("Value          alpha-test-value\n"), "{revealed}");
        let j = h.run(&["secret", "show", "alpha", "--json"]).success().json();
        assert_eq!(j["environments"].as_array().unwrap().len(), 2);
        assert!(j["environments"][0].get("value").is_none());
        assert_eq!(j["environments"][1]["tags"]["copilot-environment"], "test");
        let j = h.run(&["secret", "show", "alpha", "--env", "prod", "--json", "--reveal"]).success().json();
        assert_eq!(j["environments"][0]["value"], "alpha-prod-value");
        h.run(&["secret", "show", "gamma", "--env", "test"])
            .failure()
            .stderr_is("✘ secret gamma is not set in environment test of application demo\n");

        // rm: needs a confirmation (a terminal) or --yes; one environment or all.
        h.run(&["secret", "rm", "alpha"])
            .failure()
            .stderr_is("✘ confirming needs an interactive terminal; pass --yes\n");
        assert!(h.parameter("/copilot/demo/prod/secrets/alpha").is_some());
        h.run(&["secret", "rm", "alpha", "--env", "prod", "--yes"])
            .success()
            .stdout_is("")
            .stderr_is("✔ Deleted secret alpha from environment prod (/copilot/demo/prod/secrets/alpha).\n");
        assert!(h.parameter("/copilot/demo/prod/secrets/alpha").is_none());
        assert!(h.parameter("/copilot/demo/test/secrets/alpha").is_some());
        h.run(&["secret", "rm", "alpha", "--env", "prod", "--yes"])
            .failure()
            .stderr_is("✘ secret alpha is not set in environment prod of application demo\n");
        h.run(&["secret", "delete", "alpha", "--yes"])
            .success()
            .stderr_is("✔ Deleted secret alpha from environment test (/copilot/demo/test/secrets/alpha).\n");
        assert!(h.parameter("/copilot/demo/test/secrets/alpha").is_none());
    });
}

#[test]
fn app_and_env_listing_and_removal() {
    on_every_backend(|h| {
        h.run(&["app", "init", "demo"]).success();
        h.run(&["env", "init", "--name", "test"]).success();
        h.run(&["env", "init", "--name", "prod", "--prod"]).success();
        h.run(&["secret", "init", "--name", "a", "--values", "test=1,prod=2"]).success();
        h.run(&["secret", "init", "--name", "b", "--values", "test=3"]).success();

        h.run(&["app", "ls"]).success().stdout_is("demo\n");
        let apps = h.run(&["app", "ls", "--json"]).success().json();
        assert_eq!(apps["applications"][0]["name"], "demo");
        assert_eq!(apps["applications"][0]["account"], ACCOUNT);
        // Non-production environments first, as Copilot lists them.
        h.run(&["env", "ls"]).success().stdout_is("test\nprod (prod)\n");
        let envs = h.run(&["env", "ls", "--json"]).success().json();
        assert_eq!(envs["environments"][1]["prod"], true);
        let app = h.run(&["app", "show", "--json"]).success().json();
        assert_eq!(app["environments"][0]["name"], "test");
        assert_eq!(app["environments"][0]["secrets"], 2);
        h.run(&["app", "show", "demo"]).success().stdout_has("Environments\n").stdout_has("prod (prod)");
        let env = h.run(&["env", "show", "--name", "test", "--json"]).success().json();
        assert_eq!(env["executionRoleARN"], "arn:aws:iam::000000000000:role/demo-test-ExecutionRole");
        assert_eq!(env["secrets"], serde_json::json!(["a", "b"]));
        h.run(&["env", "show", "-n", "test"])
            .success()
            .stdout_has("Execution role  arn:aws:iam::000000000000:role/demo-test-ExecutionRole\n")
            .stdout_has("  a  /copilot/demo/test/secrets/a\n");

        // env init again: the environment is kept, its role and policy are made whole.
        h.run(&["env", "init", "--name", "test"]).success().stderr_has(
            "✔ Environment test already exists in application demo as /copilot/applications/demo/environments/test.\n",
        );

        // env rm: its secrets, its role and its record (Copilot leaves the secrets behind).
        h.run(&["env", "rm", "--name", "test"])
            .failure()
            .stderr_is("✘ confirming needs an interactive terminal; pass --yes\n");
        h.run(&["env", "rm", "--name", "test", "--yes"]).success().stdout_is("").stderr_is(
            "✔ Deleted 2 secrets of environment test.\n\
             ✔ Deleted role demo-test-ExecutionRole.\n\
             ✔ Deleted environment test from application demo.\n",
        );
        assert!(h.parameter("/copilot/demo/test/secrets/a").is_none());
        assert!(h.parameter("/copilot/demo/test/secrets/b").is_none());
        assert!(h.parameter("/copilot/applications/demo/environments/test").is_none());
        assert!(h.inspect(async |b| b.get_role("demo-test-ExecutionRole").await.unwrap()).is_none());
        assert!(h.parameter("/copilot/demo/prod/secrets/a").is_some());
        h.run(&["env", "ls"]).success().stdout_is("prod (prod)\n");
        h.run(&["env", "show", "--name", "test"]).failure().stderr_is(
            "✘ get environment test in application demo: couldn't find environment test in the application demo\n",
        );

        // A secret of an environment that another tool deleted, as Copilot leaves them.
        h.inspect(async |b| {
            b.put_parameter(NewParameter {
                name: "/copilot/demo/gone/secrets/x".into(),
                value: SecretString::from("left behind"),
                param_type: "SecureString".into(),
                description: None,
                overwrite: false,
                tags: vec![],
                attributes: Default::default(),
            })
            .await
            .unwrap();
        });
        h.run(&["app", "rm", "--yes"]).success().stdout_is("").stderr_is(&format!(
            "✔ Deleted 1 secret of environment prod.\n\
             ✔ Deleted role demo-prod-ExecutionRole.\n\
             ✔ Deleted environment prod from application demo.\n\
             ✔ Deleted 1 secret left behind by deleted environments.\n\
             ✔ Deleted application demo.\n\
             ✔ Deleted the workspace file {}.\n",
            h.project().join("copilot/.workspace").display()
        ));
        for gone in ["/copilot/demo/prod/secrets/a", "/copilot/demo/gone/secrets/x", "/copilot/applications/demo"] {
            assert!(h.parameter(gone).is_none(), "{gone}");
        }
        assert!(!h.project().join("copilot/.workspace").exists());
        h.run(&["app", "ls"]).success().stdout_is("");
    });
}

#[test]
fn help_exit_codes_and_completions() {
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    h.assert(&["--help"])
        .success()
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("2  usage error"));
    h.assert(&["secret", "init", "--help"])
        .success()
        .stdout(predicate::str::contains("Create or update secrets in SSM Parameter Store."))
        .stdout(predicate::str::contains("-a, --app <APP>"))
        .stdout(predicate::str::contains("-n, --name <NAME>"))
        .stdout(predicate::str::contains("--values <ENV=VALUE,…>"))
        .stdout(predicate::str::contains("--overwrite"))
        .stdout(predicate::str::contains("--cli-input-yaml <FILE>"))
        .stdout(predicate::str::contains("--endpoint-url <URL>"));
    h.assert(&["secret", "init", "--bogus"]).code(2).stdout("");
    for shell in ["bash", "zsh", "fish"] {
        h.assert(&["completions", shell])
            .success()
            .stdout(predicate::str::contains("coffer"))
            .stdout(predicate::str::contains("cli-input-yaml"))
            .stderr("");
    }
}

/// `--profile`/`AWS_PROFILE` and the per-service endpoint variables select the SDK too.
#[test]
fn profiles_and_service_endpoints_select_the_remote_backend() {
    let h = Harness::new(Mode::Remote, common::Db::Sqlite);
    let endpoint = h.endpoint.clone().unwrap();
    h.app_and_env("demo", &["test"]);
    h.run(&["secret", "init", "--name", "a", "--values", "test=1"]).success();

    let config = h.path().join("aws-config");
    std::fs::write(
        &config,
        format!(
            "[profile coffer]\nregion = us-east-1\nendpoint_url = {endpoint}\naws_access_key_id = {}\naws_secret_access_key = {}\n\n\
             [profile exec]\nrole_arn = arn:aws:iam::000000000000:role/demo-test-ExecutionRole\nsource_profile = coffer\n\
             region = us-east-1\nendpoint_url = {endpoint}\n",
            common::ROOT_ACCESS_KEY_ID,
            common::ROOT_SECRET_ACCESS_KEY
        ),
    )
    .unwrap();
    let credentials = h.path().join("aws-credentials");
    std::fs::write(&credentials, "").unwrap();
    let profile_only = |cmd: &mut std::process::Command| {
        for v in ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"] {
            cmd.env_remove(v);
        }
        cmd.env("AWS_CONFIG_FILE", &config).env("AWS_SHARED_CREDENTIALS_FILE", &credentials);
    };
    let listed = h.run_with(&["secret", "ls", "--json", "--profile", "coffer"], profile_only);
    assert_eq!(listed.success().json()["secrets"][0]["name"], "a");
    let listed = h.run_with(&["app", "ls"], |cmd| {
        profile_only(cmd);
        cmd.env("AWS_PROFILE", "coffer");
    });
    listed.success().stdout_is("demo\n");
    // A role_arn profile: the CLI acts as the assumed execution role, which may only read
    // tagged values with GetParameters, so reading the application's record is refused.
    let denied = h.run_with(&["app", "show", "demo", "--profile", "exec"], profile_only);
    denied
        .failure()
        .stderr_has("✘ get application demo: AccessDeniedException: ")
        .stderr_has("assumed-role/demo-test-ExecutionRole/");

    // Per-service endpoint variables, no global one.
    let per_service = h.run_with(&["secret", "ls", "--json"], |cmd| {
        cmd.env_remove("AWS_ENDPOINT_URL");
        for v in ["AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM"] {
            cmd.env(v, &endpoint);
        }
    });
    assert_eq!(per_service.success().json()["secrets"][0]["environment"], "test");
}

#[test]
fn an_unreachable_endpoint_is_a_clear_failure() {
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    // A port nobody listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let r = h.run_with(&["app", "ls", "--endpoint-url", &format!("http://127.0.0.1:{port}")], |cmd| {
        cmd.env("AWS_ACCESS_KEY_ID", "AKIAX").env("AWS_SECRET_ACCESS_KEY", "x").env("AWS_MAX_ATTEMPTS", "1");
    });
    r.failure().stdout_is("").stderr_has("✘ list applications: dispatch failure");
    // Nothing was created in the embedded data directory: the endpoint selected the SDK.
    assert!(!h.data_dir().exists());
}

/// The embedded backend audits each operation as `coffer serve` audits requests: who (the
/// root), what, on which resource, the error code, and never a value.
#[test]
fn embedded_operations_are_audited() {
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    h.app_and_env("demo", &["test"]);
    h.run(&["secret", "init", "--name", "audited", "--values", "test=hush-hush"]).success();
    h.run(&["secret", "init", "--name", "audited", "--values", "test=hush-hush"]).success();
    let arn = "arn:aws:ssm:us-east-1:000000000000:parameter/copilot/demo/test/secrets/audited";
    let (records, chain) = h.store(async |store| {
        let query = coffer_store::audit::AuditQuery {
            resource: Some(arn.to_owned()),
            event_name: Some("PutParameter".to_owned()),
            ..Default::default()
        };
        (store.audit_list(&query).await.unwrap(), store.audit_verify().await.unwrap())
    });
    assert_eq!(records.len(), 2, "{records:?}");
    // Newest first: the second put found the secret there.
    assert_eq!(records[0].event.error_code.as_deref(), Some("ParameterAlreadyExists"));
    assert_eq!(records[1].event.error_code, None);
    for r in &records {
        assert_eq!(r.event.principal_arn.as_deref(), Some("arn:aws:iam::000000000000:root"));
        assert_eq!(r.event.event_source, "ssm.amazonaws.com");
        assert!(r.event.user_agent.as_deref().unwrap().starts_with("coffer-cli/"));
        assert_eq!((r.event.account.as_str(), r.event.region.as_str()), (ACCOUNT, REGION));
        assert!(!format!("{r:?}").contains("hush-hush"));
    }
    assert!(matches!(chain, coffer_store::audit::ChainStatus::Intact { .. }), "{chain:?}");
}

/// `coffer audit ls | head`: a reader that stops early is no error (exit 0, no panic), and
/// the records are there for a reader that reads them.
#[test]
fn audit_listing_into_a_closed_pipe_ends_quietly() {
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    h.app_and_env("demo", &["test"]);
    let listed = h.run(&["audit", "ls"]);
    listed.success();
    assert!(listed.stdout.lines().count() >= 2, "{}", listed.stdout);

    let mut cmd = h.command();
    cmd.args(["audit", "ls"]).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `secret show` of a name no Copilot secret has finds the Secrets Manager secret a manifest's
/// `secretsmanager:` would name, when it is tagged for the application: where it is kept (its
/// primary Region, each replica and its status), its value only with --reveal.
#[test]
fn secret_show_finds_secrets_manager_secrets_with_their_replicas() {
    use coffer_services::operation::SecretsManagerOperation::{CreateSecret, ReplicateSecretToRegions};
    on_every_backend(|h| {
        h.app_and_env("demo", &["test"]);
        h.store(async |store| {
            let services = coffer_services::Services::new(store.clone());
            let sm = &services.secrets_manager;
            let root = |region: &str| {
                coffer_services::RequestContext::root(coffer_aws::Scope::new(ACCOUNT, region), "test setup")
            };
            let tagged =
                r#"[{"Key":"copilot-application","Value":"demo"},{"Key":"copilot-environment","Value":"test"}]"#;
            let create = |name: &str| {
                format!(r#"{{"Name":"{name}","SecretString":"{{\"password\":\"pw-{name}\"}}","Tags":{tagged}}}"#)
            };
            // A secret of the same name already in eu-west-2: that replica fails.
            sm.call(CreateSecret, &root("eu-west-2"), create("mysql").as_bytes()).await.unwrap();
            sm.call(CreateSecret, &root(REGION), create("mysql").as_bytes()).await.unwrap();
            let regions =
                br#"{"SecretId":"mysql","AddReplicaRegions":[{"Region":"eu-west-1"},{"Region":"eu-west-2"}]}"#;
            sm.call(ReplicateSecretToRegions, &root(REGION), regions).await.unwrap();
            sm.call(CreateSecret, &root(REGION), br#"{"Name":"untagged","SecretString":"x"}"#).await.unwrap();
        });

        let shown = h.run(&["secret", "show", "mysql"]).success().stdout.clone();
        assert!(shown.contains("Primary Region       us-east-1\n"), "{shown}");
        assert!(
            shown.contains(
                "Replicas             eu-west-1 InSync: Replication succeeded\n                     eu-west-2 Failed: Secret with this name already exists in this region\n"
            ),
            "{shown}"
        );
        assert!(shown.contains("Environment          test\n"), "{shown}");
        assert!(shown.contains("(hidden; pass --reveal to show it)") && !shown.contains("pw-mysql"), "{shown}");

        let j = h.run(&["secret", "show", "mysql", "--env", "test", "--json", "--reveal"]).success().json();
        let s = &j["secretsManager"];
        assert!(s["arn"].as_str().unwrap().starts_with("arn:aws:secretsmanager:us-east-1:000000000000:secret:mysql-"));
        assert_eq!(s["primaryRegion"], "us-east-1");
        assert_eq!(
            s["replicas"],
            serde_json::json!([
                {"region": "eu-west-1", "status": "InSync", "statusMessage": "Replication succeeded"},
                {"region": "eu-west-2", "status": "Failed", "statusMessage": "Secret with this name already exists in this region"},
            ])
        );
        assert_eq!(s["value"], r#"{"password":"pw-mysql"}"#);

        // Not tagged for the application (or for that environment): not its secret.
        h.run(&["secret", "show", "untagged"])
            .failure()
            .stderr_is("✘ secret untagged is not set in any environment of application demo\n");
        h.run(&["env", "init", "--name", "prod"]).success();
        h.run(&["secret", "show", "mysql", "--env", "prod"])
            .failure()
            .stderr_is("✘ secret mysql is not set in environment prod of application demo\n");
        h.run(&["secret", "show", "no/such"]).failure().stderr_has("secret name no/such is invalid");
    });
}

/// `coffer serve` keeps what it read, yet a secret that the embedded CLI overwrites in another
/// process on the same data directory is what the server's very next read returns (on
/// PostgreSQL, where the embedded CLI is another node: once the change notification arrives,
/// within a second).
#[test]
fn the_server_sees_what_the_embedded_cli_writes() {
    let dbs = common::variants().into_iter().filter(|(mode, _)| *mode == Mode::Remote).map(|(_, db)| db);
    for db in dbs {
        eprintln!("-- {db:?}");
        let h = Harness::new(Mode::Remote, db);
        h.app_and_env("demo", &["test"]);
        h.run(&["secret", "init", "--name", "db", "--values", "test=one"]).success();
        let through_server = || {
            let shown = h.run(&["secret", "show", "db", "--env", "test", "--json", "--reveal"]).success().json();
            shown["environments"][0]["value"].as_str().unwrap().to_owned()
        };
        assert_eq!(through_server(), "one");
        assert_eq!(through_server(), "one", "a read the server may answer from its cache");

        let embedded = |args: &[&str]| {
            h.run_with(args, |cmd| {
                cmd.env_remove("AWS_ENDPOINT_URL").env("COFFER_DATA_DIR", h.data_dir());
                if let Some(url) = h.database_url() {
                    cmd.env("COFFER_DATABASE_URL", url);
                }
            })
        };
        embedded(&["secret", "init", "--name", "db", "--values", "test=two", "--overwrite"]).success();
        let started = std::time::Instant::now();
        loop {
            let seen = through_server();
            if seen == "two" {
                break;
            }
            assert!(
                db == common::Db::Postgres && started.elapsed() < std::time::Duration::from_secs(2),
                "[{db:?}] the server still answers {seen:?} after the embedded CLI wrote \"two\""
            );
        }
    }
}
