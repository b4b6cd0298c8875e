//! Manifest behaviour end to end: parse → override → render → ECS classification and plans.

use std::collections::HashMap;

use super::*;
use crate::ecs::asm::plan_sm_requests;
use crate::ecs::ssm::plan_ssm_batches;
use crate::ecs::{Provider, classify_secrets};
use coffer_aws::scope::Scope;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn parse_with(text: &str, env_vars: &HashMap<String, String>) -> Result<Manifest, ManifestError> {
    Manifest::parse(text, "copilot/api/manifest.yml", &Interpolator::with_map("demo", "test", env_vars))
}

fn parse(text: &str) -> Manifest {
    parse_with(text, &HashMap::new()).unwrap_or_else(|e| panic!("{e}"))
}

fn scope() -> Scope {
    Scope::new("111122223333", "us-west-2")
}

fn rendered_secrets(w: &Workload) -> Vec<(String, String)> {
    let c = w.render_container(None, &scope()).unwrap_or_else(|e| panic!("{e}"));
    c.secrets.into_iter().map(|s| (s.name, s.value_from)).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

#[test]
fn seed_ssm_parameter_by_name() {
    let m = parse("name: api\ntype: Backend Service\nsecrets:\n  GITHUB_WEBHOOK_SECRET: GH_WEBHOOK_SECRET\n");
    let w = m.for_environment("test");
    assert_eq!(rendered_secrets(&w), pairs(&[("GITHUB_WEBHOOK_SECRET", "GH_WEBHOOK_SECRET")]));
    assert_eq!(w.kind(), Some(WorkloadType::BackendService));
}

#[test]
fn seed_secrets_manager_forms() {
    let text = r#"
name: api
type: Load Balanced Web Service
secrets:
  # Option 1
  DB:
    secretsmanager: 'mysql'
  DB_PASSWORD:
    secretsmanager: 'mysql:password::'
  # Option 2
  DB_CONF:
    secretsmanager: 'demo/test/mysql-dbconf-Vi3nwL'
  # Option 3
  DB_ARN: "'arn:aws:secretsmanager:us-west-2:111122223333:secret:demo/test/mysql-Yi6mvL'"
"#;
    let m = parse(text);
    // What YAML gives for Option 3: the value still carries the inner single quotes ...
    assert_eq!(
        m.main.secrets["DB_ARN"].form,
        SecretForm::Plain("'arn:aws:secretsmanager:us-west-2:111122223333:secret:demo/test/mysql-Yi6mvL'".into())
    );
    assert_eq!(m.main.secrets["DB"].form, SecretForm::SecretsManager("mysql".into()));
    assert_eq!(m.main.secrets["DB"].pos, Some(Pos { line: 7, column: 5 }));
    // ... which Copilot's unquoted template hands to CloudFormation, whose YAML parser strips them.
    let w = m.for_environment("test");
    assert_eq!(
        rendered_secrets(&w),
        pairs(&[
            ("DB", "arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql"),
            ("DB_ARN", "arn:aws:secretsmanager:us-west-2:111122223333:secret:demo/test/mysql-Yi6mvL"),
            ("DB_CONF", "arn:aws:secretsmanager:us-west-2:111122223333:secret:demo/test/mysql-dbconf-Vi3nwL"),
            ("DB_PASSWORD", "arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql:password::"),
        ])
    );
}

#[test]
fn environment_override_replaces_per_key() {
    let text = r#"
name: api
type: Backend Service
variables:
  LOG_LEVEL: info
  PORT: 8080
secrets:
  DB: /copilot/demo/test/secrets/db
  API_KEY: API_KEY_PARAM
env_file: base.env
environments:
  test:
    variables:
      LOG_LEVEL: debug
    secrets:
      DB:
        secretsmanager: 'mysql:password::'
      EXTRA: EXTRA_PARAM
      API_KEY: ~
  prod:
    env_file: prod.env
    secrets:
      API_KEY:
        secretsmanager: prod-key
"#;
    let m = parse(text);
    let test = m.for_environment("test");
    assert_eq!(
        rendered_secrets(&test),
        pairs(&[
            ("API_KEY", "API_KEY_PARAM"),
            ("DB", "arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql:password::"),
            ("EXTRA", "EXTRA_PARAM"),
        ])
    );
    let c = test.render_container(None, &scope()).unwrap();
    assert_eq!(
        c.environment.iter().map(|e| (e.name.as_str(), e.value.as_str())).collect::<Vec<_>>(),
        vec![("LOG_LEVEL", "debug"), ("PORT", "8080")]
    );
    assert_eq!(c.env_file.as_deref(), Some("base.env"));

    let prod = m.for_environment("prod");
    assert_eq!(prod.main.secrets["API_KEY"].form, SecretForm::SecretsManager("prod-key".into()));
    assert_eq!(prod.main.secrets["DB"].form, SecretForm::Plain("/copilot/demo/test/secrets/db".into()));
    assert_eq!(prod.main.env_file.as_deref(), Some("prod.env"));
    // And back: a plain string replaces a secretsmanager form.
    let back =
        parse("name: a\nsecrets:\n  X: {secretsmanager: s}\nenvironments:\n  test:\n    secrets:\n      X: PARAM\n");
    assert_eq!(back.for_environment("test").main.secrets["X"].form, SecretForm::Plain("PARAM".into()));
    // An environment without overrides, or an unknown one, is the base.
    assert_eq!(m.for_environment("staging").main, m.main);
}

#[test]
fn interpolation_of_the_secret_init_snippet() {
    let text = "name: api\nsecrets:\n  DB_PASSWORD: /copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/DB_PASSWORD\n";
    let m = parse(text);
    assert_eq!(m.main.secrets["DB_PASSWORD"].form, SecretForm::Plain("/copilot/demo/test/secrets/DB_PASSWORD".into()));
    let w = load_workload(text, "m.yml", &Interpolator::with_map("shop", "prod", &HashMap::new())).unwrap();
    assert_eq!(rendered_secrets(&w), pairs(&[("DB_PASSWORD", "/copilot/shop/prod/secrets/DB_PASSWORD")]));
}

#[test]
fn interpolation_everywhere_values_only() {
    let env_vars = vars(&[("TAG", "v1"), ("REGION_SUFFIX", "eu"), ("LIST", r#"["a","b"]"#)]);
    let text = r#"
name: api
image:
  location: repo/api:${TAG}
  labels: {"${NOT_A_VALUE_KEY}": x}
variables:
  REGION: ${REGION_SUFFIX}
  LITERAL: \${TAG}
  ${KEY_IS_NOT_INTERPOLATED}: 1
secrets:
  ALIAS_SOURCE: &src /copilot/${COPILOT_APPLICATION_NAME}/x
  ALIASED: *src
  SM:
    secretsmanager: ${COPILOT_ENVIRONMENT_NAME}/db
command: ${LIST}
"#;
    let m = parse_with(text, &env_vars).unwrap();
    assert_eq!(m.main.variables["REGION"].form, VariableForm::Plain("eu".into()));
    assert_eq!(m.main.variables["LITERAL"].form, VariableForm::Plain("${TAG}".into()));
    assert!(m.main.variables.contains_key("${KEY_IS_NOT_INTERPOLATED}"));
    assert_eq!(m.main.secrets["ALIAS_SOURCE"].form, SecretForm::Plain("/copilot/demo/x".into()));
    assert_eq!(m.main.secrets["ALIASED"].form, SecretForm::Plain("/copilot/demo/x".into()));
    assert_eq!(m.main.secrets["SM"].form, SecretForm::SecretsManager("test/db".into()));

    // An undefined variable anywhere (even in a key Coffer ignores) is Copilot's error.
    let err = parse_with("name: api\nimage:\n  location: repo/api:${TAG}\n", &HashMap::new()).unwrap_err();
    assert_eq!(err.to_string(), "copilot/api/manifest.yml:3:13: environment variable \"TAG\" is not defined");
    assert_eq!(err.kind, ManifestErrorKind::Interpolation(InterpolationError::NotDefined("TAG".into())));
    assert_eq!(err.message, "environment variable \"TAG\" is not defined");
}

#[test]
fn variables_keep_source_text_of_numbers_and_booleans() {
    let m = parse(
        "name: a\nvariables:\n  A: 1.0\n  B: 0x10\n  C: true\n  D: yes\n  E: ~\n  F: ''\n  G: 012\n  H: !!str 5\n  I: \"8080\"\n  J: 1e3\n",
    );
    let got: Vec<(&str, &str)> = m
        .main
        .variables
        .iter()
        .map(|(k, v)| match &v.form {
            VariableForm::Plain(s) => (k.as_str(), s.as_str()),
            VariableForm::FromCfn(_) => panic!(),
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("A", "1.0"),
            ("B", "0x10"),
            ("C", "true"),
            ("D", "yes"),
            ("E", ""),
            ("F", ""),
            ("G", "012"),
            ("H", "5"),
            ("I", "8080"),
            ("J", "1e3"),
        ]
    );
    // A numeric SSM parameter name also keeps its text.
    let m = parse("name: a\nsecrets:\n  N: 0012\n");
    assert_eq!(m.main.secrets["N"].form, SecretForm::Plain("0012".into()));
}

#[test]
fn sidecars_and_logging() {
    let text = r#"
name: api
type: Load Balanced Web Service
http:
  path: '/'
sidecars:
  nginx:
    image: nginx
    port: 80
    variables:
      NGINX_PORT: 80
    secrets:
      TLS_KEY: /copilot/demo/test/secrets/tls
  xray:
    image: public.ecr.aws/xray/aws-xray-daemon
logging:
  destination:
    Name: datadog
  secretOptions:
    apikey: DD_API_KEY
  secrets:
    FB_TOKEN: FB_TOKEN_PARAM
environments:
  test:
    sidecars:
      nginx:
        secrets:
          TLS_KEY:
            secretsmanager: tls
      envoy:
        secrets:
          E: E_PARAM
"#;
    let w = parse(text).for_environment("test");
    let rendered = w.render(&scope()).unwrap();
    let names: Vec<&str> = rendered.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["api", "envoy", "nginx", "xray", FIRELENS_CONTAINER_NAME]);
    assert_eq!(
        rendered[0].log_secret_options,
        vec![EcsSecret { name: "apikey".into(), value_from: "DD_API_KEY".into() }]
    );
    assert_eq!(rendered[2].secrets[0].value_from, "arn:aws:secretsmanager:us-west-2:111122223333:secret:tls");
    assert_eq!(rendered[2].environment[0], EcsKeyValue { name: "NGINX_PORT".into(), value: "80".into() });
    assert_eq!(rendered[1].secrets[0].value_from, "E_PARAM");
    assert_eq!(rendered[4].secrets[0].value_from, "FB_TOKEN_PARAM");
    assert_eq!(w.render_container(Some("nginx"), &scope()).unwrap().name, "nginx");
    assert_eq!(
        w.container(Some("db")).unwrap_err(),
        "copilot/api/manifest.yml: no container named \"db\"; the containers are: api, envoy, nginx, xray, firelens_log_router"
    );
}

#[test]
fn every_workload_type_parses_and_ignores_unknown_keys() {
    for (kind, extra) in [
        (
            "Load Balanced Web Service",
            "http:\n  path: '/'\n  healthcheck: /_health\ncount: {range: 1-10, cpu_percentage: 70}\n",
        ),
        ("Backend Service", "image:\n  port: 8080\nnetwork:\n  connect: true\n"),
        ("Worker Service", "subscribe:\n  topics:\n    - name: events\n      service: api\n"),
        ("Scheduled Job", "on:\n  schedule: \"@daily\"\nretries: 3\ntimeout: 1h\n"),
        ("Request-Driven Web Service", "instance:\n  cpu: 1024\nobservability:\n  tracing: awsxray\n"),
    ] {
        let text = format!("name: w\ntype: {kind}\n{extra}secrets:\n  S: P\n");
        let w = parse(&text).for_environment("test");
        assert_eq!(rendered_secrets(&w), pairs(&[("S", "P")]), "{kind}");
    }
    let site = parse("name: site\ntype: Static Site\nfiles:\n  - source: dist\n").for_environment("test");
    assert_eq!(site.kind(), Some(WorkloadType::StaticSite));
    assert!(site.render(&scope()).unwrap().is_empty());
}

#[test]
fn yaml_errors_name_file_line_and_column() {
    let err = parse_with("name: api\nsecrets:\n  DB: a: b\n", &HashMap::new()).unwrap_err();
    assert_eq!(err.kind, ManifestErrorKind::Syntax);
    assert_eq!(err.pos, Some(Pos { line: 3, column: 8 }));
    assert!(err.to_string().starts_with("copilot/api/manifest.yml:3:8: mapping values are not allowed"), "{err}");

    let err = parse_with("name: api\nsecrets:\n  - DB\n", &HashMap::new()).unwrap_err();
    assert_eq!(err.kind, ManifestErrorKind::Invalid);
    assert_eq!(err.pos.map(|p| p.line), Some(3), "{err}");

    let err = parse_with("name: api\nsecrets:\n  DB: x\n  DB: y\n", &HashMap::new()).unwrap_err();
    assert_eq!(err.pos, Some(Pos { line: 4, column: 3 }), "{err}");
    assert!(err.message.contains("duplicate mapping key"), "{err}");

    // Unclosed flow mapping: caught by the scanner.
    let err = parse_with("name: api\nsecrets: {DB: x\n", &HashMap::new()).unwrap_err();
    assert_eq!(err.kind, ManifestErrorKind::Syntax);
    assert!(err.pos.is_some());
}

#[test]
fn copilot_shape_errors() {
    let err = parse_with("name: a\nsecrets:\n  DB: [x]\n", &HashMap::new()).unwrap_err();
    assert_eq!(err.to_string(), format!("copilot/api/manifest.yml:3:7: {SECRET_SHAPE_ERROR}"));
    let err = parse_with("name: a\nsecrets:\n  DB: {key: value}\n", &HashMap::new()).unwrap_err();
    assert_eq!(err.message, r#"cannot marshal "secret" field to a string or "secretsmanager" object"#);
    assert_eq!(err.pos, Some(Pos { line: 3, column: 7 }));
    let err = parse_with("name: a\nvariables:\n  V:\n    nested: 1\n", &HashMap::new()).unwrap_err();
    assert_eq!(err.message, VARIABLE_SHAPE_ERROR);
    assert_eq!(err.pos, Some(Pos { line: 4, column: 5 }));
    let err = parse_with("name: [a]\n", &HashMap::new()).unwrap_err();
    assert_eq!(err.to_string(), "copilot/api/manifest.yml:1:7: cannot unmarshal !!seq into string");
    // Copilot's JSON-array quirk turns the scalar into a sequence.
    let err = parse_with("name: a\nsecrets:\n  DB: '[\"x\"]'\n", &HashMap::new()).unwrap_err();
    assert_eq!(err.message, SECRET_SHAPE_ERROR);
    // A secretsmanager key that is not a string falls back to from_cfn, then fails.
    let err = parse_with("name: a\nsecrets:\n  DB: {secretsmanager: [x]}\n", &HashMap::new()).unwrap_err();
    assert_eq!(err.message, SECRET_SHAPE_ERROR);
    // Both keys: secretsmanager wins; other keys are ignored.
    let m = parse("name: a\nsecrets:\n  DB: {secretsmanager: s, from_cfn: c, other: 1}\n");
    assert_eq!(m.main.secrets["DB"].form, SecretForm::SecretsManager("s".into()));
}

#[test]
fn from_cfn_and_empty_values_are_render_errors() {
    let text = "name: a\nsecrets:\n  GIT_USERNAME:\n    from_cfn: stack-SSMGHUserName\n  EMPTY: ~\n  OK: P\nvariables:\n  V: {from_cfn: export}\n";
    let w = parse(text).for_environment("test");
    let err = w.render(&scope()).unwrap_err();
    assert_eq!(
        err.problems,
        vec![
            "copilot/api/manifest.yml:8:6: variable V uses from_cfn: Coffer has no CloudFormation exports; give the value itself",
            "copilot/api/manifest.yml:5:10: secret EMPTY has an empty value",
            "copilot/api/manifest.yml:4:5: secret GIT_USERNAME uses from_cfn: Coffer has no CloudFormation exports; refer to the secret by name or ARN",
        ]
    );
    // A null in an override keeps the base value (mergo skips zero values).
    let m = parse("name: a\nsecrets:\n  X: BASE\nenvironments:\n  test:\n    secrets:\n      X:\n");
    assert_eq!(m.for_environment("test").main.secrets["X"].form, SecretForm::Plain("BASE".into()));
}

#[test]
fn empty_manifest_and_non_mapping_root() {
    let m = parse("");
    assert_eq!(m.name, None);
    assert!(m.main.secrets.is_empty());
    let err = parse_with("- a\n- b\n", &HashMap::new()).unwrap_err();
    assert_eq!(err.kind, ManifestErrorKind::Invalid);
}

/// From manifest to the agent's fetch plan: 25 SSM references in 3 batches, duplicates sent
/// once, a Secrets Manager reference with a 3-part resource rejected with the agent's text.
#[test]
fn rendered_manifest_to_fetch_plan() {
    let mut text = String::from("name: api\nsecrets:\n");
    for i in 0..25 {
        text.push_str(&format!(
            "  P{i:02}: /copilot/${{COPILOT_APPLICATION_NAME}}/${{COPILOT_ENVIRONMENT_NAME}}/secrets/p{i:02}\n"
        ));
    }
    text.push_str("  DUP_A: SHARED\n  DUP_B: SHARED\n");
    text.push_str(
        "  SM_OK:\n    secretsmanager: 'mysql:password::'\n  SM_DUP:\n    secretsmanager: 'mysql:password::'\n",
    );
    text.push_str("  SM_BAD: \"'arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql:password'\"\n");
    text.push_str("  CROSS: arn:aws:ssm:eu-west-1:111122223333:parameter/shared/x\n");
    let w = parse(&text).for_environment("test");
    let c = w.render_container(None, &scope()).unwrap();
    let refs =
        classify_secrets(c.secrets.iter().map(|s| (s.name.as_str(), s.value_from.as_str())), "us-west-2").unwrap();
    assert_eq!(refs.iter().filter(|r| r.provider == Provider::SecretsManager).count(), 3);

    let batches = plan_ssm_batches(&refs);
    let shape: Vec<(&str, usize)> = batches.iter().map(|b| (b.region.as_str(), b.names.len())).collect();
    // Regions in order of first use (CROSS sorts first); 25 + SHARED once = 26 names in
    // us-west-2 → 10, 10, 6.
    assert_eq!(shape, vec![("eu-west-1", 1), ("us-west-2", 10), ("us-west-2", 10), ("us-west-2", 6)]);
    assert_eq!(batches[1].names[..2], ["SHARED".to_owned(), "/copilot/demo/test/secrets/p00".to_owned()]);
    assert_eq!(batches.iter().flat_map(|b| &b.names).filter(|n| *n == "SHARED").count(), 1);

    let sm = plan_sm_requests(&refs);
    assert_eq!(sm.requests.len(), 1, "SM_OK and SM_DUP share one call");
    assert_eq!(sm.requests[0].params.secret_id, "arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql");
    assert_eq!(sm.requests[0].params.json_key.as_deref(), Some("password"));
    assert_eq!(
        sm.failures,
        vec![
            "trying to retrieve secret with value arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql:password resulted in error: an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again."
        ]
    );
}

#[test]
fn interpolated_block_and_multiline_scalars_are_substituted() {
    let env_vars = vars(&[("A", "alpha")]);
    let text = "name: a\nvariables:\n  FOLDED: >-\n    x ${A}\n    y\n  LITERAL: |\n    ${A}\n  DQ: \"one ${A}\n    two\"\n  TAGGED: !!str ${A}\n";
    let m = parse_with(text, &env_vars).unwrap();
    let v = |k: &str| match &m.main.variables[k].form {
        VariableForm::Plain(s) => s.clone(),
        VariableForm::FromCfn(_) => panic!(),
    };
    assert_eq!(v("FOLDED"), "x alpha y");
    assert_eq!(v("LITERAL"), "alpha\n");
    assert_eq!(v("DQ"), "one alpha two");
    assert_eq!(v("TAGGED"), "alpha");
}

#[test]
fn lookup_closure_like_std_env() {
    let lookup = |k: &str| (k == "STAGE").then(|| "blue".to_owned());
    let itp = Interpolator::new("demo", "test", lookup);
    let m = Manifest::parse("name: a\nsecrets:\n  S: /p/${STAGE}\n", "m.yml", &itp).unwrap();
    assert_eq!(m.main.secrets["S"].form, SecretForm::Plain("/p/blue".into()));
}
