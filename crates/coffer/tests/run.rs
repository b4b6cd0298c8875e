//! `coffer run`, `coffer check` and `coffer manifest render`, end to end with the real binary,
//! on the embedded store and against a spawned `coffer serve` (see `common`).
//!
//! The seed scenario (`reference/seed-copilot-secrets.txt`): app `demo`, environment `test`,
//! a BYO SSM parameter `GH_WEBHOOK_SECRET` and the Secrets Manager secrets `mysql` and
//! `demo/test/mysql-dbconf`, all tagged for demo/test, read through the environment's
//! execution role.

mod common;

use coffer_aws::Scope;
use coffer_services::{RequestContext, Service, Services};
use common::{ACCOUNT, Harness, Mode, REGION, on_every_backend};
use serde_json::{Value, json};
use std::io::{BufRead as _, BufReader, Read as _};
use std::process::Stdio;

const GH_VALUE: &str = "secretvalue1234";
const MYSQL_JSON: &str = r#"{"engine": "mysql","username": "user1","password": "i29wwX!%9wFV","host": "","dbname": "myDatabase","port": "3306"}"#;
const MYSQL_PASSWORD: &str = "i29wwX!%9wFV";
const DBCONF_JSON: &str = r#"{"user":"conf","password":"dbconf-pass"}"#;

fn tag_list(app: &str, env: &str) -> Value {
    json!([
        {"Key": "copilot-application", "Value": app},
        {"Key": "copilot-environment", "Value": env},
    ])
}

/// Calls the services in-process on the harness's store, as the account root; returns the
/// JSON answers.
fn as_root(h: &Harness, calls: Vec<(&'static str, &'static str, Value)>) -> Vec<Value> {
    h.store(async |store| {
        let services = Services::new(store.clone());
        let ctx = RequestContext::root(Scope::new(ACCOUNT, REGION), "test-setup");
        let mut out = Vec::new();
        for (service, op, body) in calls {
            let body = body.to_string();
            let operation = match service {
                "ssm" => Service::Ssm,
                _ => Service::SecretsManager,
            }
            .operation(op)
            .expect("an operation Coffer implements");
            let answer = services.call(operation, &ctx, body.as_bytes()).await;
            let answer = answer.unwrap_or_else(|e| panic!("{service} {op}: {e:?}"));
            out.push(serde_json::from_slice(&answer).unwrap());
        }
        out
    })
}

fn put_parameter(name: &str, value: &str, tags: Option<(&str, &str)>) -> (&'static str, &'static str, Value) {
    let mut body = json!({"Name": name, "Value": value, "Type": "SecureString"});
    if let Some((app, env)) = tags {
        body["Tags"] = tag_list(app, env);
    }
    ("ssm", "PutParameter", body)
}

fn create_secret(name: &str, value: &str, tags: Option<(&str, &str)>) -> (&'static str, &'static str, Value) {
    let mut body = json!({"Name": name, "SecretString": value});
    if let Some((app, env)) = tags {
        body["Tags"] = tag_list(app, env);
    }
    ("secretsmanager", "CreateSecret", body)
}

/// ARNs of the seed's Secrets Manager secrets (their 6-character suffixes are random).
struct Seed {
    mysql_arn: String,
    dbconf_arn: String,
}

impl Seed {
    /// `demo/test/mysql-dbconf-AbCdEf`: the full name, suffix included.
    fn dbconf_full_name(&self) -> &str {
        self.dbconf_arn.rsplit_once(":secret:").unwrap().1
    }
}

/// `coffer app init demo`, `coffer env init --name test` (and `prod`), then the seed's BYO
/// secrets, tagged for demo/test.
fn seed(h: &Harness) -> Seed {
    h.run(&["app", "init", "demo"]).success();
    h.run(&["env", "init", "--name", "test"]).success();
    h.run(&["env", "init", "--name", "prod"]).success();
    let out = as_root(
        h,
        vec![
            put_parameter("GH_WEBHOOK_SECRET", GH_VALUE, Some(("demo", "test"))),
            create_secret("mysql", MYSQL_JSON, Some(("demo", "test"))),
            create_secret("demo/test/mysql-dbconf", DBCONF_JSON, Some(("demo", "test"))),
        ],
    );
    Seed {
        mysql_arn: out[1]["ARN"].as_str().unwrap().to_owned(),
        dbconf_arn: out[2]["ARN"].as_str().unwrap().to_owned(),
    }
}

fn write_manifest(h: &Harness, svc: &str, text: &str) {
    std::fs::create_dir_all(h.project().join("copilot").join(svc)).unwrap();
    h.write(&format!("copilot/{svc}/manifest.yml"), text);
}

/// The seed's manifest, every documented reference form.
fn api_manifest(h: &Harness, seed: &Seed) {
    let text = format!(
        r#"name: api
type: Backend Service
env_file: api.env
variables:
  LOG_LEVEL: info
  GITHUB_WEBHOOK_SECRET: a-variable-the-secret-overrides
secrets:
  GITHUB_WEBHOOK_SECRET: GH_WEBHOOK_SECRET
  DB_PASSWORD:
    secretsmanager: 'mysql:password::'
  DB_JSON:
    secretsmanager: 'mysql'
  DB_ARN: "'{mysql}'"
  DB_USER: "'{mysql}:username::'"
  DB_CONF:
    secretsmanager: '{dbconf}'
"#,
        mysql = seed.mysql_arn,
        dbconf = seed.dbconf_full_name(),
    );
    write_manifest(h, "api", &text);
    h.write("api.env", "FROM_FILE=file\nLOG_LEVEL=from-the-file\n");
}

fn printenv(h: &Harness, names: &[&str]) -> common::Run {
    let mut args = vec!["run", "--env", "test", "--svc", "api", "--", "printenv"];
    args.extend_from_slice(names);
    h.run(&args)
}

#[test]
fn seed_scenario_on_both_backends() {
    on_every_backend(|h| {
        let seed = seed(h);
        api_manifest(h, &seed);
        printenv(h, &["GITHUB_WEBHOOK_SECRET"]).success().stdout_is(&format!("{GH_VALUE}\n"));
        printenv(h, &["DB_PASSWORD"]).success().stdout_is(&format!("{MYSQL_PASSWORD}\n"));
        printenv(h, &["DB_JSON"]).success().stdout_is(&format!("{MYSQL_JSON}\n"));
        printenv(h, &["DB_ARN"]).success().stdout_is(&format!("{MYSQL_JSON}\n"));
        printenv(h, &["DB_USER"]).success().stdout_is("user1\n");
        printenv(h, &["DB_CONF"]).success().stdout_is(&format!("{DBCONF_JSON}\n"));
        // Secrets override variables, which override the env_file.
        printenv(h, &["LOG_LEVEL", "FROM_FILE"]).success().stdout_is("info\nfile\n");
        // The current environment is inherited.
        printenv(h, &["HOME"]).success().stdout_has("home");
    });
}

#[test]
fn dry_run_names_sources_never_values() {
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    let seed = seed(&h);
    api_manifest(&h, &seed);
    let run = h.run(&["run", "--env", "test", "--svc", "api", "--dry-run"]);
    run.success();
    let line = |name: &str| {
        run.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name}: {run:?}"))
            .to_owned()
    };
    assert_eq!(
        line("GITHUB_WEBHOOK_SECRET").split_whitespace().collect::<Vec<_>>(),
        ["GITHUB_WEBHOOK_SECRET", "ssm:GH_WEBHOOK_SECRET", "(us-east-1)"]
    );
    assert!(line("DB_PASSWORD").contains(&format!(
        "secretsmanager:arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:mysql:password:: (us-east-1)"
    )));
    assert!(line("LOG_LEVEL").ends_with("variable"));
    assert!(line("FROM_FILE").ends_with("env_file:api.env"));
    assert_eq!(run.stdout.lines().count(), 8, "{}", run.stdout);
    for value in [GH_VALUE, MYSQL_PASSWORD, "user1", "dbconf-pass", "from-the-file"] {
        assert!(!run.stdout.contains(value) && !run.stderr.contains(value), "{value} shown: {run:?}");
    }
    run.stderr_has("not started");
}

#[test]
fn tag_rule_decides_and_the_program_is_not_started() {
    on_every_backend(|h| {
        seed(h);
        as_root(
            h,
            vec![
                put_parameter("UNTAGGED", "untagged-value", None),
                put_parameter("PROD_ONLY", "prod-value", Some(("demo", "prod"))),
                create_secret("prod-db", "prod-db-value", Some(("demo", "prod"))),
            ],
        );
        for (name, reference) in
            [("untagged", "X: UNTAGGED"), ("wrongenv", "X: PROD_ONLY"), ("wrongsm", "X:\n    secretsmanager: prod-db")]
        {
            write_manifest(h, name, &format!("name: {name}\ntype: Backend Service\nsecrets:\n  {reference}\n"));
            let run = h.run(&["run", "--env", "test", "--svc", name, "--", "sh", "-c", "echo started"]);
            run.failure().stdout_is("");
            run.stderr_has("AccessDeniedException")
                .stderr_has("is not authorized to perform")
                .stderr_has("assumed-role/demo-test-ExecutionRole/coffer-run-")
                .stderr_has(coffer_copilot::ecs::COPILOT_TAG_HINT)
                .stderr_has("may read only the secrets tagged copilot-application=demo and copilot-environment=test")
                .stderr_has(&format!("coffer check --env test --svc {name}"));
            for value in ["untagged-value", "prod-value", "prod-db-value"] {
                assert!(!run.stderr.contains(value), "{run:?}");
            }
        }
        // The prod role reads what prod may read, and nothing of test.
        write_manifest(h, "prodsvc", "name: prodsvc\ntype: Backend Service\nsecrets:\n  X: PROD_ONLY\n");
        h.run(&["run", "--env", "prod", "--svc", "prodsvc", "--", "printenv", "X"]).success().stdout_is("prod-value\n");
        write_manifest(h, "prodgh", "name: prodgh\ntype: Backend Service\nsecrets:\n  X: GH_WEBHOOK_SECRET\n");
        h.run(&["run", "--env", "prod", "--svc", "prodgh", "--", "true"])
            .failure()
            .stderr_has("demo-prod-ExecutionRole");
    });
}

#[test]
fn agent_failures_are_all_reported_in_its_words() {
    on_every_backend(|h| {
        seed(h);
        as_root(
            h,
            vec![
                create_secret("not-json", "just text", Some(("demo", "test"))),
                create_secret("an-array", "[1,2]", Some(("demo", "test"))),
                (
                    "secretsmanager",
                    "CreateSecret",
                    json!({"Name": "binary", "SecretBinary": "AAEC", "Tags": tag_list("demo", "test")}),
                ),
            ],
        );
        // The caller's own identity (no --env): what fails is the reference itself.
        let arn = |id: &str| format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{id}");
        let td = json!({"containerDefinitions": [{"name": "app", "secrets": [
            {"name": "MISSING", "valueFrom": "NO_SUCH_PARAMETER"},
            {"name": "NOKEY", "valueFrom": arn("mysql:nokey::")},
            {"name": "NOTJSON", "valueFrom": arn("not-json:k::")},
            {"name": "ARRAY", "valueFrom": arn("an-array:k::")},
            {"name": "THREE", "valueFrom": arn("mysql:password")},
            {"name": "BINARY", "valueFrom": arn("binary:k::")},
            {"name": "GONE", "valueFrom": arn("no-such-secret")},
            {"name": "OK", "valueFrom": "GH_WEBHOOK_SECRET"},
        ]}]});
        h.write("td.json", &td.to_string());
        let run = h.run(&["run", "--task-def", "td.json", "--", "sh", "-c", "echo started"]);
        run.failure().stdout_is("");
        run.stderr_has("fetching secret data from SSM Parameter Store in us-east-1: invalid parameters: NO_SUCH_PARAMETER")
            .stderr_has(
                "fetching secret data from AWS Secrets Manager in region us-east-1: retrieved secret from Secrets Manager did not contain json key nokey",
            )
            .stderr_has(
                "fetching secret data from AWS Secrets Manager in region us-east-1: invalid character 'j' looking for beginning of value",
            )
            .stderr_has("json: cannot unmarshal array into Go value of type map[string]interface {}")
            .stderr_has(&format!(
                "trying to retrieve secret with value {} resulted in error: an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again.",
                arn("mysql:password")
            ))
            .stderr_has("has no SecretString, so json key k cannot be read")
            .stderr_has(&format!(
                "ResourceNotFoundException: The task can't retrieve the secret with ARN '{}' from AWS Secrets Manager.",
                arn("no-such-secret")
            ));
        assert!(!run.stderr.contains(GH_VALUE) && !run.stderr.contains("just text"), "{run:?}");
        assert!(!run.stderr.contains(coffer_copilot::ecs::COPILOT_TAG_HINT), "no access denied here: {run:?}");
        // One reason per line, after the heading.
        assert_eq!(run.stderr.lines().filter(|l| l.starts_with("  ")).count(), 7, "{}", run.stderr);

        // Through the execution role, a missing parameter is denied (no tags to match).
        h.write(
            "td2.json",
            &json!({"containerDefinitions": [{"name": "app", "secrets": [{"name": "M", "valueFrom": "NO_SUCH_PARAMETER"}]}]})
                .to_string(),
        );
        h.run(&["run", "--task-def", "td2.json", "--env", "test", "--app", "demo", "--", "true"])
            .failure()
            .stderr_has("api error AccessDeniedException");
    });
}

#[test]
fn twenty_five_references_in_three_batches_with_duplicates() {
    on_every_backend(|h| {
        seed(h);
        let puts =
            (0..25).map(|i| put_parameter(&format!("/demo/p{i:02}"), &format!("value-{i:02}"), Some(("demo", "test"))));
        as_root(h, puts.collect());
        let mut text = String::from("name: many\ntype: Worker Service\nsecrets:\n");
        for i in 0..25 {
            text.push_str(&format!("  V{i:02}: /demo/p{i:02}\n"));
        }
        // Duplicates: the same parameter under other names, by name and by ARN.
        text.push_str("  DUP_A: /demo/p00\n  DUP_B: /demo/p24\n");
        text.push_str(&format!("  DUP_ARN: arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/demo/p13\n"));
        write_manifest(h, "many", &text);
        let run = h.run(&["run", "--env", "test", "--svc", "many", "--pristine", "--", "env"]);
        run.success();
        let mut lines: Vec<&str> = run.stdout.lines().collect();
        lines.sort_unstable();
        let mut want: Vec<String> = (0..25).map(|i| format!("V{i:02}=value-{i:02}")).collect();
        want.extend(["DUP_A=value-00".to_owned(), "DUP_B=value-24".to_owned(), "DUP_ARN=value-13".to_owned()]);
        want.sort_unstable();
        assert_eq!(lines, want);

        if h.mode == Mode::Embedded {
            // 26 distinct references (the ARN is one more) → batches of 10, 10 and 6,
            // each audited as the execution role's session.
            let records = h.store(async |store| {
                let query = coffer_store::audit::AuditQuery {
                    principal_arn: Some(format!(
                        "arn:aws:sts::{ACCOUNT}:assumed-role/demo-test-ExecutionRole/coffer-run-many"
                    )),
                    event_name: Some("GetParameters".to_owned()),
                    limit: 100,
                    ..Default::default()
                };
                store.audit_list(&query).await.unwrap()
            });
            let mut sizes: Vec<usize> = records.iter().map(|r| r.event.resources.len()).collect();
            sizes.sort_unstable();
            assert_eq!(sizes, [6, 10, 10], "{records:?}");
            assert!(records.iter().all(|r| r.event.error_code.is_none()));
        }

        // One missing name in the last batch fails the run, naming it.
        write_manifest(h, "many", &format!("{text}  LAST: /demo/p99\n"));
        h.run(&["run", "--env", "test", "--svc", "many", "--", "true"]).failure().stderr_has("parameter/demo/p99");
    });
}

#[test]
fn exit_status_passes_through() {
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    let seed = seed(&h);
    api_manifest(&h, &seed);
    let run = h.run(&["run", "--env", "test", "--svc", "api", "--", "sh", "-c", "exit 7"]);
    assert_eq!(run.code, 7, "{run:?}");
    let run = h.run(&["run", "--env", "test", "--svc", "api", "--", "no-such-program-anywhere"]);
    assert_eq!(run.code, 127, "{run:?}");
    run.stderr_has("cannot run no-such-program-anywhere");
}

#[test]
fn the_program_replaces_coffer_and_gets_signals() {
    on_every_backend(|h| {
        let seed = seed(h);
        api_manifest(h, &seed);
        let mut cmd = h.command();
        cmd.args(["run", "--env", "test", "--svc", "api", "--", "sh", "-c"])
            .arg(r#"trap 'echo got-term; kill $! 2>/dev/null; exit 0' TERM; echo $$; sleep 30 >/dev/null 2>&1 & wait"#)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        assert_eq!(first.trim(), child.id().to_string(), "the program runs as coffer's own PID");
        let kill = std::process::Command::new("kill").args(["-TERM", first.trim()]).status().unwrap();
        assert!(kill.success());
        let status = child.wait().unwrap();
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "got-term\n");
        assert_eq!(status.code(), Some(0));
    });
}

#[test]
fn pristine_environment_is_exactly_the_resolved_set() {
    on_every_backend(|h| {
        let seed = seed(h);
        api_manifest(h, &seed);
        let run = h.run(&["run", "--env", "test", "--svc", "api", "--pristine", "--", "env"]);
        run.success();
        let mut lines: Vec<&str> = run.stdout.lines().collect();
        lines.sort_unstable();
        let mut want = vec![
            format!("DB_ARN={MYSQL_JSON}"),
            format!("DB_CONF={DBCONF_JSON}"),
            format!("DB_JSON={MYSQL_JSON}"),
            format!("DB_PASSWORD={MYSQL_PASSWORD}"),
            "DB_USER=user1".to_owned(),
            "FROM_FILE=file".to_owned(),
            format!("GITHUB_WEBHOOK_SECRET={GH_VALUE}"),
            "LOG_LEVEL=info".to_owned(),
        ];
        want.sort_unstable();
        assert_eq!(lines, want);
    });
}

#[test]
fn the_program_inherits_no_descriptor_of_coffer() {
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    let seed = seed(&h);
    api_manifest(&h, &seed);
    // The shell's descriptors under `coffer run` are those it has when this test starts it
    // directly (stdin, stdout, stderr, and whatever this test process lets children inherit):
    // nothing of coffer's (no store, no lock, no socket). The glob opens nothing that stays.
    let script = "for f in /proc/$$/fd/*; do echo ${f##*/}; done";
    let run = h.run(&["run", "--env", "test", "--svc", "api", "--", "sh", "-c", script]);
    let fds: Vec<&str> = run.success().stdout.split_whitespace().collect();
    let direct = std::process::Command::new("sh").args(["-c", script]).stdin(Stdio::null()).output().unwrap();
    let direct = String::from_utf8(direct.stdout).unwrap();
    let baseline: Vec<&str> = direct.split_whitespace().collect();
    assert!(fds.starts_with(&["0", "1"]) && fds.contains(&"2"), "{fds:?}");
    assert_eq!(fds, baseline, "inherited descriptors");
}

#[test]
fn missing_role_asks_for_env_init() {
    on_every_backend(|h| {
        let seed = seed(h);
        api_manifest(h, &seed);
        let run = h.run(&["run", "--env", "staging", "--svc", "api", "--", "sh", "-c", "echo started"]);
        run.failure().stdout_is("");
        run.stderr_has("demo-staging-ExecutionRole").stderr_has("coffer env init --app demo --name staging");
    });
}

#[test]
fn embedded_run_is_audited_before_exec_without_values() {
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    let seed = seed(&h);
    api_manifest(&h, &seed);
    printenv(&h, &["DB_PASSWORD"]).success();
    let principal = format!("arn:aws:sts::{ACCOUNT}:assumed-role/demo-test-ExecutionRole/coffer-run-api");
    let (records, chain) = h.store(async |store| {
        let query = coffer_store::audit::AuditQuery {
            principal_arn: Some(principal.clone()),
            limit: 100,
            ..Default::default()
        };
        (store.audit_list(&query).await.unwrap(), store.audit_verify().await.unwrap())
    });
    let mut names: Vec<&str> = records.iter().map(|r| r.event.event_name.as_str()).collect();
    names.sort_unstable();
    // One GetParameters batch and one GetSecretValue per distinct secret reference.
    assert_eq!(
        names,
        ["GetParameters", "GetSecretValue", "GetSecretValue", "GetSecretValue", "GetSecretValue", "GetSecretValue"]
    );
    for r in &records {
        assert!(r.event.user_agent.as_deref().unwrap().starts_with("coffer-cli/"));
        let shown = format!("{r:?}");
        assert!(!shown.contains(GH_VALUE) && !shown.contains(MYSQL_PASSWORD));
    }
    assert!(matches!(chain, coffer_store::audit::ChainStatus::Intact { .. }), "{chain:?}");
}

#[test]
fn check_passes_and_explains_failures() {
    on_every_backend(|h| {
        let seed = seed(h);
        api_manifest(h, &seed);
        let run = h.run(&["check", "--env", "test", "--svc", "api"]);
        run.success().stderr_has("All 6 secret references can be read by demo-test-ExecutionRole.");
        run.stdout_has("✔ GH_WEBHOOK_SECRET: readable by demo-test-ExecutionRole");

        as_root(
            h,
            vec![
                put_parameter("UNTAGGED", "untagged-value", None),
                put_parameter("PROD_ONLY", "prod-value", Some(("demo", "prod"))),
            ],
        );
        write_manifest(
            h,
            "bad",
            "name: bad\ntype: Backend Service\nsecrets:\n  GITHUB_WEBHOOK_SECRET: GH_WEBHOOK_SECRET\n  P: PROD_ONLY\n  U: UNTAGGED\n  M: MISSING_PARAM\n  K:\n    secretsmanager: 'mysql:nokey::'\n",
        );
        let run = h.run(&["check", "--env", "test", "--svc", "bad"]);
        run.failure().stderr_has("4 of 5 secret references cannot be read by demo-test-ExecutionRole");
        let hint = "(is it tagged copilot-application=demo and copilot-environment=test?)";
        run.stdout_has("✔ GH_WEBHOOK_SECRET: readable by demo-test-ExecutionRole")
            .stdout_has("✘ PROD_ONLY: not readable by demo-test-ExecutionRole: AccessDeniedException: ")
            .stdout_has(hint)
            .stdout_has("    exists but tagged copilot-environment=prod")
            .stdout_has("✘ UNTAGGED: not readable by demo-test-ExecutionRole: AccessDeniedException")
            .stdout_has("    exists but has no copilot-application or copilot-environment tag")
            .stdout_has("✘ MISSING_PARAM: not readable")
            .stdout_has("    does not exist")
            .stdout_has("did not contain json key nokey")
            .stdout_has("    used by P (SSM Parameter Store, us-east-1)");
        for value in [GH_VALUE, "prod-value", "untagged-value", MYSQL_PASSWORD] {
            assert!(!run.stdout.contains(value) && !run.stderr.contains(value), "{value}: {run:?}");
        }
    });
}

#[test]
fn manifest_render_prints_what_ecs_receives() {
    on_every_backend(|h| {
        let seed = seed(h);
        api_manifest(h, &seed);
        let run = h.run(&["manifest", "render", "--env", "test", "--svc", "api", "--json"]);
        let json = run.success().json();
        let secrets = &json["containerDefinitions"][0]["secrets"];
        let sm = |id: &str| format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{id}");
        assert_eq!(
            secrets,
            &json!([
                {"name": "DB_ARN", "valueFrom": seed.mysql_arn},
                {"name": "DB_CONF", "valueFrom": sm(seed.dbconf_full_name())},
                {"name": "DB_JSON", "valueFrom": sm("mysql")},
                {"name": "DB_PASSWORD", "valueFrom": sm("mysql:password::")},
                {"name": "DB_USER", "valueFrom": format!("{}:username::", seed.mysql_arn)},
                {"name": "GITHUB_WEBHOOK_SECRET", "valueFrom": "GH_WEBHOOK_SECRET"},
            ])
        );
        assert_eq!(json["containerDefinitions"][0]["name"], "api");
        let run = h.run(&["manifest", "render", "--env", "test", "--svc", "api"]);
        run.success().stdout_has("api        GITHUB_WEBHOOK_SECRET  GH_WEBHOOK_SECRET");
        assert!(run.stdout.starts_with("Container  Name"), "{}", run.stdout);

        // The JSON is a task definition `coffer run --task-def` takes.
        h.write("rendered.json", &json.to_string());
        h.run(&["run", "--task-def", "rendered.json", "--env", "test", "--", "printenv", "DB_PASSWORD"])
            .success()
            .stdout_is(&format!("{MYSQL_PASSWORD}\n"));
    });
}

/// `coffer run` holds secrets before it `exec`s: it dumps no core meanwhile, and the program
/// gets the core limit `coffer run` was started with back.
#[test]
fn no_core_dump_while_resolving_and_the_program_gets_its_limit_back() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    // A soft limit of 1 MiB for this test process, inherited by the `coffer run` it starts.
    let hard = getrlimit(Resource::Core).maximum;
    setrlimit(Resource::Core, Rlimit { current: Some(1 << 20), maximum: hard }).unwrap();
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    let seed = seed(&h);
    api_manifest(&h, &seed);
    let run = h.run(&["run", "--env", "test", "--svc", "api", "--", "grep", "Max core file size", "/proc/self/limits"]);
    let line = run.success().stdout.clone();
    assert_eq!(line.split_whitespace().nth(4), Some("1048576"), "{line}");
}
