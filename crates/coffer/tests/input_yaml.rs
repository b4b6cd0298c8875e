//! `coffer secret init --cli-input-yaml`: several secrets and environments in one file.

mod common;

use common::{on_every_backend, tags};

const TOO_BIG: &str = "create parameter /copilot/demo/prod/secrets/db_password: ValidationException: \
    Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, \
    upgrade the parameter to use the advanced-parameter tier. For more information, see \
    https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html";

#[test]
fn several_secrets_and_environments_with_one_environment_failing() {
    on_every_backend(|h| {
        h.app_and_env("demo", &["dev", "test", "prod"]);
        // Copilot's documented example; db_password's prod value is too large for SSM.
        let big = "p".repeat(5000);
        h.write(
            "input.yml",
            &format!(
                "db_host:\n  dev: dev.db.host.com\n  test: test.db.host.com\n  prod: prod.db.host.com\n\
                 db_password:\n  dev: dev-db-pwd\n  test: test-db-pwd\n  prod: {big}\n\
                 notification_email:          # not created in prod: no value for prod\n  dev: dev@email.com\n  test: test@email.com\n"
            ),
        );
        let r = h.run(&["secret", "init", "--cli-input-yaml", "input.yml"]);
        r.failure().stdout_is("").stderr_is(&format!(
            "...Put secret db_host to environment dev, prod and test\n\
             ✔ Successfully put secret db_host in environment dev as /copilot/demo/dev/secrets/db_host.\n\
             ✔ Successfully put secret db_host in environment prod as /copilot/demo/prod/secrets/db_host.\n\
             ✔ Successfully put secret db_host in environment test as /copilot/demo/test/secrets/db_host.\n\
             \n\
             ...Put secret db_password to environment dev, prod and test\n\
             ✔ Successfully put secret db_password in environment dev as /copilot/demo/dev/secrets/db_password.\n\
             ✔ Successfully put secret db_password in environment test as /copilot/demo/test/secrets/db_password.\n\
             ✘ Failed to put secret db_password in environment prod. See error message below.\n\
             \n\
             ...Put secret notification_email to environment dev and test\n\
             ✔ Successfully put secret notification_email in environment dev as /copilot/demo/dev/secrets/notification_email.\n\
             ✔ Successfully put secret notification_email in environment test as /copilot/demo/test/secrets/notification_email.\n\
             \n\
             ✘ batch put secrets:\n\
             put secret db_password in environment prod: {TOO_BIG}\n"
        ));
        let expected = [
            ("db_host", "dev", "dev.db.host.com"),
            ("db_host", "test", "test.db.host.com"),
            ("db_host", "prod", "prod.db.host.com"),
            ("db_password", "dev", "dev-db-pwd"),
            ("db_password", "test", "test-db-pwd"),
            ("notification_email", "dev", "dev@email.com"),
            ("notification_email", "test", "test@email.com"),
        ];
        for (name, env, value) in expected {
            let s = h
                .parameter(&format!("/copilot/demo/{env}/secrets/{name}"))
                .unwrap_or_else(|| panic!("{name} in {env}"));
            assert_eq!((s.param_type.as_str(), s.value.as_str(), s.version), ("SecureString", value, 1));
            assert_eq!(s.tags, tags("demo", env));
        }
        assert!(h.parameter("/copilot/demo/prod/secrets/db_password").is_none());
        assert!(h.parameter("/copilot/demo/prod/secrets/notification_email").is_none());

        // Again with --overwrite and a value that fits: overwritten where it existed,
        // created where it did not.
        h.write("input.yml", "db_password:\n  prod: prod-db-pwd\n  test: new-test-pwd\n");
        h.run(&["secret", "init", "--cli-input-yaml", "input.yml", "--overwrite"]).success().stderr_is(
            "Note: You have specified `--overwrite` flag. Please note that overwriting an existing secret may break your deployed service.\n\
             ...Put secret db_password to environment prod and test\n\
             ✔ Successfully put secret db_password in environment prod as /copilot/demo/prod/secrets/db_password.\n\
             ✔ Secret /copilot/demo/test/secrets/db_password already exists in environment test. Overwritten.\n\
             \n\
             You can refer to these secrets from your manifest file by editing the `secrets` section.\n\
             ```\nsecrets:\n    db_password: /copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/db_password\n```\n",
        );
        assert_eq!(h.parameter("/copilot/demo/test/secrets/db_password").unwrap().value, "new-test-pwd");
    });
}

#[test]
fn the_file_is_checked_before_anything_is_written() {
    on_every_backend(|h| {
        h.app_and_env("demo", &["test"]);
        // Names from the file are validated too (Copilot leaves that to SSM, one call at a time).
        h.write("bad-name.yml", "good:\n  test: 1\n\"bad name\":\n  test: 2\n");
        h.run(&["secret", "init", "--cli-input-yaml", "bad-name.yml"]).failure().stdout_is("").stderr_is(
            "✘ secret name bad name in input file bad-name.yml is invalid: value must contain only letters, numbers, periods, hyphens and underscores\n",
        );
        // Every environment must exist.
        h.write("bad-env.yml", "good:\n  test: 1\n  staging: 2\n");
        h.run(&["secret", "init", "--cli-input-yaml", "bad-env.yml"]).failure().stderr_is(
            "✘ get environment staging in application demo: couldn't find environment staging in the application demo\n",
        );
        // Not the expected shape.
        h.write("bad-shape.yml", "- a\n- b\n");
        h.run(&["secret", "init", "--cli-input-yaml", "bad-shape.yml"])
            .failure()
            .stderr_has("✘ unmarshal input file: ");
        assert!(h.parameter("/copilot/demo/test/secrets/good").is_none());
        // The application comes from --app or the workspace; no prompts in this mode.
        std::fs::remove_file(h.project().join("copilot/.workspace")).unwrap();
        h.write("ok.yml", "good:\n  test: 1\n");
        h.run(&["secret", "init", "--cli-input-yaml", "ok.yml"])
            .failure()
            .stderr_has("no application given: pass --app");
        h.run(&["secret", "init", "--cli-input-yaml", "ok.yml", "--app", "demo"]).success();
        assert_eq!(h.parameter("/copilot/demo/test/secrets/good").unwrap().value, "1");
    });
}
