//! The interactive `coffer secret init`, driven through a pseudo-terminal as a person would:
//! choosing the application with the arrow keys, typing the name (a bad one first), typing
//! hidden values, leaving one blank to skip its environment.

mod common;

use common::{Harness, on_every_backend, tags};
use rexpect::process::WaitStatus;
use rexpect::session::PtySession;
use std::process::Command;

const TIMEOUT_MS: u64 = 30_000;

/// `coffer <args>` on a terminal, with the terminal's echo on (as in a real shell; rexpect
/// turns it off), 40x120, in `dir`.
fn spawn(h: &Harness, dir: &std::path::Path, args: &[&str], no_color: bool) -> PtySession {
    let template = h.command();
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg("stty echo rows 40 cols 120 && exec \"$0\" \"$@\"").arg(template.get_program()).args(args);
    cmd.env_clear().current_dir(dir);
    for (k, v) in template.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.env("TERM", "xterm-256color");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    rexpect::session::spawn_command(cmd, Some(TIMEOUT_MS)).expect("spawn coffer on a pty")
}

/// Reads up to `needle` (ASCII: rexpect reads bytes as Latin-1), keeping everything read
/// in `transcript`.
fn expect(p: &mut PtySession, transcript: &mut String, needle: &str) {
    match p.exp_string(needle) {
        Ok(before) => {
            transcript.push_str(&before);
            transcript.push_str(needle);
        }
        Err(e) => panic!("waiting for {needle:?}: {e}\ntranscript so far:\n{transcript}"),
    }
}

fn finish(p: &mut PtySession, transcript: &mut String) -> i32 {
    transcript.push_str(&p.exp_eof().expect("end of output"));
    match p.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("coffer did not exit normally: {other:?}\n{transcript}"),
    }
}

#[test]
fn prompts_for_application_name_and_hidden_values() {
    on_every_backend(|h| {
        h.run(&["app", "init", "alpha"]).success();
        std::fs::remove_file(h.project().join("copilot/.workspace")).unwrap();
        h.app_and_env("demo", &[]);
        h.run(&["env", "init", "--app", "demo", "--name", "test"]).success();
        h.run(&["env", "init", "--app", "demo", "--name", "prod", "--prod"]).success();
        // Outside any workspace, so the application is asked for.
        let elsewhere = h.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();

        let mut p = spawn(h, &elsewhere, &["secret", "init"], true);
        let mut t = String::new();
        expect(
            &mut p,
            &mut t,
            "The secret can then be versioned by your existing environments inside the application.",
        );
        expect(&mut p, &mut t, "Which application do you want to add the secret to?");
        expect(&mut p, &mut t, "alpha");
        p.send("\x1b[B").unwrap(); // arrow down: demo
        p.send("\r").unwrap();
        p.flush().unwrap();
        expect(&mut p, &mut t, "Application: demo");

        expect(&mut p, &mut t, "What would you like to name this secret?");
        p.send_line("bad name").unwrap();
        expect(
            &mut p,
            &mut t,
            "Sorry, your reply was invalid: value must contain only letters, numbers, periods, hyphens and underscores",
        );
        expect(&mut p, &mut t, "What would you like to name this secret?");
        p.send_line("API_KEY").unwrap();
        expect(&mut p, &mut t, "Secret name: API_KEY");

        // Non-production environments first; values are hidden; blank skips prod.
        expect(
            &mut p,
            &mut t,
            "If you do not wish to add the secret API_KEY to environment test, you can leave this blank by pressing 'Enter' without entering any value.",
        );
        expect(&mut p, &mut t, "What is the value of secret API_KEY in environment test?");
        p.send_line("s3cr3t-typed-value").unwrap();
        expect(&mut p, &mut t, "Test secret value:");
        expect(&mut p, &mut t, "What is the value of secret API_KEY in environment prod?");
        p.send_line("").unwrap();
        expect(&mut p, &mut t, "Prod secret value:");
        expect(&mut p, &mut t, "...Put secret API_KEY to environment test");
        expect(
            &mut p,
            &mut t,
            "Successfully put secret API_KEY in environment test as /copilot/demo/test/secrets/API_KEY.",
        );
        expect(
            &mut p,
            &mut t,
            "API_KEY: /copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/API_KEY",
        );
        let code = finish(&mut p, &mut t);
        assert_eq!(code, 0, "{t}");
        // The terminal echoed what was typed for the name, never the value.
        assert!(t.contains("bad name"), "echo is on: {t}");
        assert!(!t.contains("s3cr3t-typed-value"), "the value was echoed: {t}");

        let s = h.parameter("/copilot/demo/test/secrets/API_KEY").expect("stored");
        assert_eq!((s.param_type.as_str(), s.value.as_str()), ("SecureString", "s3cr3t-typed-value"));
        assert_eq!(s.tags, tags("demo", "test"));
        assert!(h.parameter("/copilot/demo/prod/secrets/API_KEY").is_none());
    });
}

#[test]
fn confirmation_prompts_guard_deletion() {
    let h = Harness::new(common::Mode::Embedded, common::Db::Sqlite);
    h.app_and_env("demo", &["test"]);
    h.run(&["secret", "init", "--name", "a", "--values", "test=1"]).success();

    let mut p = spawn(&h, &h.project(), &["secret", "rm", "a"], true);
    let mut t = String::new();
    expect(&mut p, &mut t, "Are you sure you want to delete secret a from environment test of application demo? (y/N)");
    p.send_line("n").unwrap();
    expect(&mut p, &mut t, "secret delete cancelled - no changes made");
    assert_eq!(finish(&mut p, &mut t), 1, "{t}");
    assert!(h.parameter("/copilot/demo/test/secrets/a").is_some());

    let mut p = spawn(&h, &h.project(), &["env", "rm", "--name", "test"], true);
    let mut t = String::new();
    expect(
        &mut p,
        &mut t,
        "Are you sure you want to delete environment test from application demo, with its 1 secret? (y/N)",
    );
    p.send_line("y").unwrap();
    expect(&mut p, &mut t, "Deleted environment test from application demo.");
    assert_eq!(finish(&mut p, &mut t), 0, "{t}");
    assert!(h.parameter("/copilot/demo/test/secrets/a").is_none());
}

/// Colours on a terminal, none with `NO_COLOR` (and none without a terminal: every
/// non-terminal run in these tests checks for escapes).
#[test]
fn colours_only_on_a_terminal_without_no_color() {
    let sgr = regex::Regex::new("\x1b\\[[0-9;]*m").unwrap();
    let h = Harness::new(common::Mode::Embedded, common::Db::Sqlite);
    h.app_and_env("demo", &["test"]);
    for (no_color, name) in [(false, "coloured"), (true, "plain")] {
        let mut p = spawn(&h, &h.project(), &["secret", "init", "--name", name, "--values", "test=v"], no_color);
        let mut t = String::new();
        let code = finish(&mut p, &mut t);
        assert_eq!(code, 0, "{t}");
        assert!(t.contains(&format!("Successfully put secret {name}")) || t.contains(name), "{t}");
        assert_eq!(sgr.is_match(&t), !no_color, "NO_COLOR={no_color}: {t:?}");
    }
}
