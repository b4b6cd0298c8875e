//! `coffer import` and `coffer export` through the real binary: from a second `coffer serve`
//! standing in for AWS (reached with a profile, as AWS would be), `.env` files, chamber's
//! JSON, and every export format read back by import. What was written is checked in the
//! store itself.

mod common;

use coffer_aws::secret::{ExposeSecret as _, SecretString};
use coffer_client::{Backend as _, NewParameter, NewSecret, ParameterAttributes, SecretPayload, Tag};
use common::{Harness, Mode, REGION, ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY, on_every_backend, tags};
use std::os::unix::fs::PermissionsExt as _;

fn tag(key: &str, value: &str) -> Tag {
    Tag { key: key.to_owned(), value: value.to_owned() }
}

fn copilot_tags(app: &str, env: &str) -> Vec<Tag> {
    vec![tag("copilot-application", app), tag("copilot-environment", env)]
}

/// `~/.aws/credentials` and `~/.aws/config` of the CLI's HOME with profile `name`.
fn write_profile(h: &Harness, name: &str) {
    let dir = h.path().join("home/.aws");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("credentials"),
        format!(
            "[{name}]\naws_access_key_id = {ROOT_ACCESS_KEY_ID}\naws_secret_access_key = {ROOT_SECRET_ACCESS_KEY}\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("config"), format!("[profile {name}]\nregion = {REGION}\n")).unwrap();
}

/// The arguments that point `import aws` / `export aws` at `other` (the AWS side) and at
/// `h` for Coffer's side.
fn aws_side_args(h: &Harness, other: &Harness) -> Vec<String> {
    let mut args = vec!["--profile".to_owned(), "aws".to_owned(), "--endpoint-url".to_owned()];
    args.push(other.endpoint.clone().unwrap());
    if h.mode == Mode::Remote {
        args.push("--coffer-endpoint-url".to_owned());
        args.push(h.endpoint.clone().unwrap());
    }
    args
}

fn run_owned(h: &Harness, args: &[String]) -> common::Run {
    h.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn text(s: &str) -> SecretPayload {
    SecretPayload::Text(SecretString::from(s.to_owned()))
}

/// What "AWS" holds: two parameters under /copilot/ (one labelled, one with attributes), one
/// outside it, a secret with two versions, tags and a policy, and a binary secret.
fn populate_source(aws: &Harness) -> (String, String) {
    aws.inspect(async |b| {
        let put = |name: &str, value: &str, param_type: &str, tags: Vec<Tag>, attributes| NewParameter {
            name: name.to_owned(),
            value: SecretString::from(value.to_owned()),
            param_type: param_type.to_owned(),
            description: Some(format!("about {name}")),
            overwrite: false,
            tags,
            attributes,
        };
        b.put_parameter(put("/copilot/demo/test/secrets/DB_PASSWORD", "s3cret", "SecureString", copilot_tags("demo", "test"), ParameterAttributes::default())).await.unwrap();
        b.label_parameter("/copilot/demo/test/secrets/DB_PASSWORD", 1, vec!["release".to_owned()]).await.unwrap();
        let attributes = ParameterAttributes {
            tier: Some("Advanced".to_owned()),
            data_type: Some("text".to_owned()),
            allowed_pattern: Some("^https://.*".to_owned()),
        };
        b.put_parameter(put("/copilot/demo/test/config/URL", "https://example.com", "String", vec![tag("team", "web")], attributes)).await.unwrap();
        b.put_parameter(put("/other/left-out", "x", "String", vec![], ParameterAttributes::default())).await.unwrap();
        let first = b
            .create_secret(NewSecret {
                name: "demo/test/api-key".to_owned(),
                description: Some("the API key".to_owned()),
                payload: text("key-v1"),
                tags: copilot_tags("demo", "test"),
                version_id: None,
            })
            .await
            .unwrap();
        let second = b.put_secret_value("demo/test/api-key", &text("key-v2"), None, None).await.unwrap();
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"secretsmanager:DeleteSecret","Resource":"*"}]}"#;
        b.put_secret_policy("demo/test/api-key", policy).await.unwrap();
        b.create_secret(NewSecret {
            name: "demo/bin".to_owned(),
            description: None,
            payload: SecretPayload::Binary(vec![0u8, 159, 146, 150].into()),
            tags: vec![],
            version_id: None,
        })
        .await
        .unwrap();
        (first, second)
    })
}

#[test]
fn import_aws_carries_every_attribute_and_a_second_run_changes_nothing() {
    let aws = Harness::new(Mode::Remote, common::Db::Sqlite);
    let (first, second) = populate_source(&aws);
    aws.inspect(async |b| {
        assert_eq!(b.parameter_labels("/copilot/demo/test/secrets/DB_PASSWORD").await.unwrap(), ["release"]);
    });
    on_every_backend(|h| {
        write_profile(h, "aws");
        let mut args = vec!["import".to_owned(), "aws".to_owned()];
        args.extend(aws_side_args(h, &aws));
        args.extend(["--path", "/copilot/", "--all-versions"].map(String::from));

        // A dry run lists what would change and writes nothing.
        let mut dry = args.clone();
        dry.push("--dry-run".to_owned());
        run_owned(h, &dry)
            .success()
            .stderr_has("Would create parameter /copilot/demo/test/secrets/DB_PASSWORD.\n")
            .stderr_has("Would create secret demo/test/api-key.\n")
            .stderr_has(
                "Dry run, nothing written. 4 entries: 4 created, 0 overwritten, 0 updated, 0 unchanged, 0 skipped.\n",
            );
        assert!(h.parameter("/copilot/demo/test/secrets/DB_PASSWORD").is_none());

        let run = run_owned(h, &args);
        run.success()
            .stderr_has("✔ Created parameter /copilot/demo/test/secrets/DB_PASSWORD.\n")
            .stderr_has("✔ Created parameter /copilot/demo/test/config/URL.\n")
            .stderr_has("✔ Created secret demo/test/api-key.\n")
            .stderr_has("✔ Created secret demo/bin.\n")
            .stderr_has("✔ Done. 4 entries: 4 created, 0 overwritten, 0 updated, 0 unchanged, 0 skipped.\n");
        assert!(!run.stderr.contains("s3cret") && !run.stderr.contains("key-v"), "{}", run.stderr);

        let db = h.parameter("/copilot/demo/test/secrets/DB_PASSWORD").unwrap();
        assert_eq!((db.param_type.as_str(), db.value.as_str(), db.version), ("SecureString", "s3cret", 1));
        assert_eq!(db.tags, tags("demo", "test"));
        assert!(h.parameter("/other/left-out").is_none(), "outside --path");
        h.inspect(async |b| {
            assert_eq!(b.parameter_labels("/copilot/demo/test/secrets/DB_PASSWORD").await.unwrap(), ["release"]);
            let infos = b.describe_parameters("/copilot/demo/test/config", false).await.unwrap();
            assert_eq!(infos.len(), 1);
            assert_eq!(infos[0].description.as_deref(), Some("about /copilot/demo/test/config/URL"));
            assert_eq!(infos[0].attributes.tier.as_deref(), Some("Advanced"));
            assert_eq!(infos[0].attributes.allowed_pattern.as_deref(), Some("^https://.*"));
            assert_eq!(b.list_tags("/copilot/demo/test/config/URL").await.unwrap(), [tag("team", "web")]);

            let secret = b.describe_secret("demo/test/api-key").await.unwrap().unwrap();
            assert_eq!(secret.description.as_deref(), Some("the API key"));
            assert_eq!(secret.tags, copilot_tags("demo", "test"));
            let mut versions: Vec<(String, Vec<String>)> = b
                .secret_versions("demo/test/api-key")
                .await
                .unwrap()
                .into_iter()
                .map(|v| (v.version_id, v.stages))
                .collect();
            versions.sort();
            let mut expected =
                vec![(first.clone(), vec!["AWSPREVIOUS".to_owned()]), (second.clone(), vec!["AWSCURRENT".to_owned()])];
            expected.sort();
            assert_eq!(versions, expected, "same version ids, same labels");
            let current = b.get_secret_value("demo/test/api-key", None).await.unwrap();
            assert!(matches!(&current.payload, SecretPayload::Text(t) if t.expose_secret() == "key-v2"));
            let previous = b.get_secret_value("demo/test/api-key", Some(&first)).await.unwrap();
            assert!(matches!(&previous.payload, SecretPayload::Text(t) if t.expose_secret() == "key-v1"));
            let policy = b.secret_policy("demo/test/api-key").await.unwrap().unwrap();
            assert!(policy.contains("secretsmanager:DeleteSecret"), "{policy}");
            let binary = b.get_secret_value("demo/bin", None).await.unwrap();
            assert!(matches!(&binary.payload, SecretPayload::Binary(bytes) if bytes.expose() == [0u8, 159, 146, 150]));
        });

        // Again: nothing changes, no new version anywhere.
        run_owned(h, &args)
            .success()
            .stderr_is("✔ Done. 4 entries: 0 created, 0 overwritten, 0 updated, 4 unchanged, 0 skipped.\n");
        assert_eq!(h.parameter("/copilot/demo/test/secrets/DB_PASSWORD").unwrap().version, 1);
        assert_eq!(h.inspect(async |b| b.secret_versions("demo/test/api-key").await.unwrap().len()), 2);

        // A value that changed at the source is reported, and replaced only with --overwrite.
        aws.inspect(async |b| {
            let mut put = NewParameter {
                name: "/copilot/demo/test/secrets/DB_PASSWORD".to_owned(),
                value: SecretString::from("rotated"),
                param_type: "SecureString".to_owned(),
                description: None,
                overwrite: true,
                tags: vec![],
                attributes: ParameterAttributes::default(),
            };
            put.description = Some("about /copilot/demo/test/secrets/DB_PASSWORD".to_owned());
            b.put_parameter(put).await.unwrap();
        });
        run_owned(h, &args)
            .success()
            .stderr_has("Note: parameter /copilot/demo/test/secrets/DB_PASSWORD differs; not overwritten.\n")
            .stderr_has("✔ Done. 4 entries: 0 created, 0 overwritten, 0 updated, 3 unchanged, 1 skipped.\n")
            .stderr_has("Note: If you want to overwrite the values that differ, use the `--overwrite` flag.\n");
        assert_eq!(h.parameter("/copilot/demo/test/secrets/DB_PASSWORD").unwrap().value, "s3cret");
        let mut overwrite = args.clone();
        overwrite.push("--overwrite".to_owned());
        run_owned(h, &overwrite)
            .success()
            .stderr_has("✔ Overwrote parameter /copilot/demo/test/secrets/DB_PASSWORD.\n")
            .stderr_has("✔ Done. 4 entries: 0 created, 1 overwritten, 0 updated, 3 unchanged, 0 skipped.\n");
        let db = h.parameter("/copilot/demo/test/secrets/DB_PASSWORD").unwrap();
        assert_eq!((db.value.as_str(), db.version), ("rotated", 2));
        assert_eq!(db.tags, tags("demo", "test"));
        // Put the source back (value and label) for the next backend.
        aws.inspect(async |b| {
            let version = b
                .put_parameter(NewParameter {
                    name: "/copilot/demo/test/secrets/DB_PASSWORD".to_owned(),
                    value: SecretString::from("s3cret"),
                    param_type: "SecureString".to_owned(),
                    description: None,
                    overwrite: true,
                    tags: vec![],
                    attributes: ParameterAttributes::default(),
                })
                .await
                .unwrap();
            b.label_parameter("/copilot/demo/test/secrets/DB_PASSWORD", version, vec!["release".to_owned()])
                .await
                .unwrap();
        });
    });
}

#[test]
fn import_aws_selects_by_copilot_tags_and_secrets_filters() {
    let aws = Harness::new(Mode::Remote, common::Db::Sqlite);
    populate_source(&aws);
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    write_profile(&h, "aws");
    let mut args = vec!["import".to_owned(), "aws".to_owned()];
    args.extend(aws_side_args(&h, &aws));
    args.extend(["--app", "demo", "--env", "test", "--secrets-filter", "name=demo/test/"].map(String::from));
    run_owned(&h, &args)
        .success()
        .stderr_has("✔ Done. 2 entries: 2 created, 0 overwritten, 0 updated, 0 unchanged, 0 skipped.\n");
    assert!(h.parameter("/copilot/demo/test/secrets/DB_PASSWORD").is_some());
    assert!(h.parameter("/copilot/demo/test/config/URL").is_none(), "not tagged for demo/test");
    h.inspect(async |b| {
        assert!(b.describe_secret("demo/test/api-key").await.unwrap().is_some());
        assert!(b.describe_secret("demo/bin").await.unwrap().is_none());
        // Without --all-versions, only the current version is brought.
        assert_eq!(b.secret_versions("demo/test/api-key").await.unwrap().len(), 1);
    });
    let mut bad = args.clone();
    bad.extend(["--secrets-filter", "oops"].map(String::from));
    run_owned(&h, &bad).failure().stderr_is("✘ --secrets-filter \"oops\": expected KEY=VALUE (e.g. name=prod/)\n");
}

#[test]
fn export_aws_writes_coffer_into_an_aws_endpoint() {
    on_every_backend(|h| {
        let aws = Harness::new(Mode::Remote, common::Db::Sqlite);
        h.app_and_env("demo", &["test"]);
        populate_source(h);
        write_profile(h, "aws");
        let mut args = vec!["export".to_owned(), "aws".to_owned()];
        args.extend(aws_side_args(h, &aws));
        args.extend(
            ["--path", "/copilot/demo/", "--secrets-filter", "name=demo/test/", "--all-versions"].map(String::from),
        );
        run_owned(h, &args).success().stderr_has("✔ Done. 3 entries: ");
        let db = aws.parameter("/copilot/demo/test/secrets/DB_PASSWORD").unwrap();
        assert_eq!((db.value.as_str(), db.tags.clone()), ("s3cret", tags("demo", "test")));
        aws.inspect(async |b| {
            let current = b.get_secret_value("demo/test/api-key", None).await.unwrap();
            assert!(matches!(&current.payload, SecretPayload::Text(t) if t.expose_secret() == "key-v2"));
            assert_eq!(b.secret_versions("demo/test/api-key").await.unwrap().len(), 2);
        });
        run_owned(h, &args)
            .success()
            .stderr_is("✔ Done. 3 entries: 0 created, 0 overwritten, 0 updated, 3 unchanged, 0 skipped.\n");
    });
}

const DOTENV: &str = "# the web service's secrets\n\
export API_KEY=abc123\n\
DB_PASSWORD=\"p@ss \\\"word\\\" $HOME\"\n\
SINGLE='a # b'\n\
MULTI=\"-----BEGIN KEY-----\n\
line2\n\
-----END KEY-----\"\n\
EMPTY=\n\
API_KEY=replaced-later # the later line wins\n";

#[test]
fn import_dotenv_reads_the_conventions_and_names_a_malformed_line() {
    on_every_backend(|h| {
        h.app_and_env("demo", &["test"]);
        h.write(".env", DOTENV);
        let run = h.run(&["import", "dotenv", ".env", "--app", "demo", "--env", "test"]);
        run.success()
            .stderr_has("Note: .env:8: EMPTY is empty, and SSM cannot store an empty value: skipped.\n")
            .stderr_has("✔ Done. 4 entries: 4 created, 0 overwritten, 0 updated, 0 unchanged, 0 skipped.\n");
        let get = |name: &str| h.parameter(&format!("/copilot/demo/test/secrets/{name}")).unwrap();
        assert_eq!(get("API_KEY").value, "replaced-later");
        assert_eq!(get("DB_PASSWORD").value, "p@ss \"word\" $HOME");
        assert_eq!(get("SINGLE").value, "a # b");
        assert_eq!(get("MULTI").value, "-----BEGIN KEY-----\nline2\n-----END KEY-----");
        assert!(h.parameter("/copilot/demo/test/secrets/EMPTY").is_none());
        let api = get("API_KEY");
        assert_eq!((api.param_type.as_str(), api.tags.clone()), ("SecureString", tags("demo", "test")));

        h.run(&["import", "dotenv", ".env", "--app", "demo", "--env", "test"])
            .success()
            .stderr_has("✔ Done. 4 entries: 0 created, 0 overwritten, 0 updated, 4 unchanged, 0 skipped.\n");
        assert_eq!(get("API_KEY").version, 1);

        // A failure midway (SSM refuses a Standard value over 4 KB) leaves what came before
        // whole, and says how far it got.
        h.write("long.env", &format!("A1=first\nA2=second\nA3={}\nA4=never\n", "x".repeat(4097)));
        let run = h.run(&["import", "dotenv", "long.env", "--app", "demo", "--env", "test"]);
        run.failure()
            .stderr_has("✔ Created parameter /copilot/demo/test/secrets/A2.\n")
            .stderr_has("✘ parameter /copilot/demo/test/secrets/A3 in ")
            .stderr_has("Stopped after 2 of 4 entries: those are complete; run again to continue.\n");
        assert!(!run.stderr.contains("xxxx"), "{}", run.stderr);
        assert_eq!(get("A1").value, "first");
        assert!(h.parameter("/copilot/demo/test/secrets/A4").is_none());

        h.write("bad.env", "GOOD=fine\nBROKEN=\"never closed-secret-value\n");
        h.run(&["import", "dotenv", "bad.env", "--app", "demo", "--env", "test"])
            .failure()
            .stderr_is("✘ bad.env: line 2: the double-quoted value of BROKEN has no closing quote\n");
        assert!(h.parameter("/copilot/demo/test/secrets/GOOD").is_none(), "nothing written from a malformed file");

        h.write("name.env", "OK=1\nbad/name=2\n");
        h.run(&["import", "dotenv", "name.env", "--app", "demo", "--env", "test"])
            .failure()
            .stderr_is("✘ name.env: line 2: expected `=` after bad\n");
        h.run(&["import", "dotenv", ".env", "--app", "demo", "--env", "nope"])
            .failure()
            .stderr_has("✘ get environment nope in application demo: ");
    });
}

#[test]
fn secret_init_from_env_file_puts_each_key_in_each_environment() {
    on_every_backend(|h| {
        h.app_and_env("demo", &["test", "prod"]);
        h.write(".env", "A=1\nB=\"two\"\n");
        h.run(&["secret", "init", "--app", "demo", "--from-env-file", ".env", "--env", "test", "--env", "prod"])
            .success()
            .stderr_has("...Put secret A to environment prod and test\n")
            .stderr_has("✔ Successfully put secret B in environment test as /copilot/demo/test/secrets/B.\n")
            .stderr_has("    A: /copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/A\n");
        assert_eq!(h.parameter("/copilot/demo/prod/secrets/B").unwrap().value, "two");
        assert_eq!(h.parameter("/copilot/demo/test/secrets/A").unwrap().tags, tags("demo", "test"));
        h.run(&["secret", "init", "--app", "demo", "--from-env-file", ".env", "--name", "x"])
            .failure()
            .stderr_is("✘ cannot specify `--from-env-file` with `--name`\n");
        h.run(&["secret", "init", "--app", "demo", "--from-env-file", ".env"])
            .failure()
            .stderr_is("✘ ask for an environment: choosing needs an interactive terminal; pass --env\n");
    });
}

#[test]
fn import_chamber_lower_cases_keys_under_the_service() {
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    h.write("chamber.json", r#"{"DB_URL": "postgres://db/x", "api_key": "k"}"#);
    h.run(&["import", "chamber", "chamber.json", "--service", "web"])
        .success()
        .stderr_has("✔ Created parameter /web/db_url.\n")
        .stderr_has("✔ Done. 2 entries: 2 created, 0 overwritten, 0 updated, 0 unchanged, 0 skipped.\n");
    let p = h.parameter("/web/db_url").unwrap();
    assert_eq!((p.param_type.as_str(), p.value.as_str()), ("SecureString", "postgres://db/x"));
    assert_eq!(h.parameter("/web/api_key").unwrap().value, "k");
    h.run(&["import", "chamber", "chamber.json", "--service", "web"]).success().stderr_has(" 2 unchanged, ");

    // Audited per item, as any client's calls, and without the values.
    let audit = h.run(&["audit", "ls", "--event", "PutParameter", "--json"]);
    audit.success();
    assert_eq!(audit.stdout.lines().count(), 2, "{}", audit.stdout);
    assert!(audit.stdout.contains("parameter/web/db_url") && audit.stdout.contains("parameter/web/api_key"));
    assert!(!audit.stdout.contains("postgres://db/x"), "{}", audit.stdout);
}

#[test]
fn every_export_format_round_trips_or_refers_to_the_secrets() {
    on_every_backend(|h| {
        h.app_and_env("demo", &["test", "copy"]);
        h.write(".env", DOTENV);
        h.run(&["import", "dotenv", ".env", "--app", "demo", "--env", "test"]).success();
        let test_values = |env: &str| {
            ["API_KEY", "DB_PASSWORD", "SINGLE", "MULTI"]
                .map(|k| h.parameter(&format!("/copilot/demo/{env}/secrets/{k}")).map(|p| p.value))
        };
        for format in ["dotenv", "json", "yaml", "tfvars"] {
            h.run(&["export", "--app", "demo", "--env", "test", "--format", format])
                .failure()
                .stderr_is(&format!("✘ --format {format} writes secret values: pass --with-values to confirm (and --output FILE to keep them off the terminal)\n"));
            let file = format!("out.{format}");
            h.run(&[
                "export",
                "--app",
                "demo",
                "--env",
                "test",
                "--format",
                format,
                "--with-values",
                "--output",
                &file,
            ])
            .success()
            .stdout_is("")
            .stderr_is(&format!("✔ Wrote 4 secrets of environment test of application demo to {file}.\n"));
            let mode = std::fs::metadata(h.project().join(&file)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{format}");
            h.run(&["import", "dotenv", &file, "--format", format, "--app", "demo", "--env", "copy"]).success();
            assert_eq!(test_values("copy"), test_values("test"), "{format}");
        }
        h.run(&["export", "--app", "demo", "--env", "test", "--format", "dotenv", "--with-values"])
            .success()
            .stdout_has("API_KEY=\"replaced-later\"\n")
            .stdout_has("MULTI=\"-----BEGIN KEY-----\\nline2\\n-----END KEY-----\"\n");
        h.run(&["export", "--app", "demo", "--env", "test", "--format", "manifest"]).success().stdout_is(
            "secrets:\n\
             \x20 API_KEY: /copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/API_KEY\n\
             \x20 DB_PASSWORD: /copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/DB_PASSWORD\n\
             \x20 MULTI: /copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/MULTI\n\
             \x20 SINGLE: /copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/SINGLE\n",
        );
        let ecs = h.run(&["export", "--app", "demo", "--env", "test", "--format", "ecs-secrets"]).success().json();
        assert_eq!(
            ecs["secrets"][0],
            serde_json::json!({"name": "API_KEY", "valueFrom": "arn:aws:ssm:us-east-1:000000000000:parameter/copilot/demo/test/secrets/API_KEY"})
        );
        assert_eq!(ecs["secrets"].as_array().unwrap().len(), 4);
    });
}
