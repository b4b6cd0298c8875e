//! `coffer run --watch`, end to end with the real binary, on the embedded store and against a
//! spawned `coffer serve` (see `common`): a program that prints its environment and sleeps
//! runs under `coffer run --watch --interval 1s` while the test writes new versions through
//! the store, as the account root.
//!
//! Nothing is timed beyond "eventually, within a generous deadline".

mod common;

use coffer_aws::Scope;
use coffer_services::{RequestContext, Service, Services};
use common::{ACCOUNT, Harness, Mode, REGION, on_every_backend};
use serde_json::{Value, json};
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(60);

const PARAM: &str = "/demo/test/x";
const SECRET: &str = "demo/test/db";
const VALUES: [&str; 5] = ["x-value-one", "x-value-two", "db-pass-one", "db-pass-two", "db-pass-three"];

/// A program that says when it starts (with its PID and variables), reports HUP, USR1 and
/// TERM (exiting 3 on TERM), and sleeps — for a minute at most, should it be left behind.
const PROGRAM: &str = r#"echo "start $$ X=$X DB=$DB"
trap 'echo "hup $$ X=$X"' HUP
trap 'echo "usr1 $$"' USR1
trap 'echo "term $$"; exit 3' TERM
i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done"#;

fn tag_list(app: &str, env: &str) -> Value {
    json!([
        {"Key": "copilot-application", "Value": app},
        {"Key": "copilot-environment", "Value": env},
    ])
}

/// Calls the services in-process on the harness's store, as the account root.
fn as_root(h: &Harness, service: &str, op: &str, body: Value) -> Value {
    h.store(async |store| {
        let services = Services::new(store.clone());
        let ctx = RequestContext::root(Scope::new(ACCOUNT, REGION), "test-setup");
        let service = if service == "ssm" { Service::Ssm } else { Service::SecretsManager };
        let operation = service.operation(op).expect("an operation Coffer implements");
        let answer = services.call(operation, &ctx, body.to_string().as_bytes()).await;
        let answer = answer.unwrap_or_else(|e| panic!("{op}: {e:?}"));
        serde_json::from_slice(&answer).unwrap()
    })
}

/// App `demo`, environment `test`, a parameter and a JSON secret tagged for them, and the
/// manifest of service `api` that reads both.
fn seed(h: &Harness) {
    h.run(&["app", "init", "demo"]).success();
    h.run(&["env", "init", "--name", "test"]).success();
    as_root(
        h,
        "ssm",
        "PutParameter",
        json!({"Name": PARAM, "Value": VALUES[0], "Type": "SecureString", "Tags": tag_list("demo", "test")}),
    );
    as_root(
        h,
        "secretsmanager",
        "CreateSecret",
        json!({"Name": SECRET, "SecretString": json!({"password": VALUES[2]}).to_string(), "Tags": tag_list("demo", "test")}),
    );
    std::fs::create_dir_all(h.project().join("copilot/api")).unwrap();
    h.write(
        "copilot/api/manifest.yml",
        &format!("name: api\ntype: Backend Service\nsecrets:\n  X: {PARAM}\n  DB:\n    secretsmanager: '{SECRET}:password::'\n"),
    );
}

fn put_parameter(h: &Harness, value: &str) {
    as_root(
        h,
        "ssm",
        "PutParameter",
        json!({"Name": PARAM, "Value": value, "Type": "SecureString", "Overwrite": true}),
    );
}

/// Rotation's last two steps, as a rotation function makes them: a new version staged
/// `AWSPENDING` (which changes nothing the program reads), then `AWSCURRENT` moved to it.
fn rotate_secret(h: &Harness, password: &str) {
    let current = as_root(h, "secretsmanager", "GetSecretValue", json!({"SecretId": SECRET}))["VersionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let pending = as_root(
        h,
        "secretsmanager",
        "PutSecretValue",
        json!({"SecretId": SECRET, "SecretString": json!({"password": password}).to_string(), "VersionStages": ["AWSPENDING"]}),
    )["VersionId"]
        .as_str()
        .unwrap()
        .to_owned();
    as_root(
        h,
        "secretsmanager",
        "UpdateSecretVersionStage",
        json!({"SecretId": SECRET, "VersionStage": "AWSCURRENT", "MoveToVersionId": pending, "RemoveFromVersionId": current}),
    );
}

/// A running `coffer run --watch`, its output collected line by line.
struct Supervised {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

fn collect(stream: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

impl Supervised {
    fn start(h: &Harness, extra: &[&str]) -> Self {
        Self::start_program(h, extra, &["sh", "-c", PROGRAM])
    }

    fn start_program(h: &Harness, extra: &[&str], program: &[&str]) -> Self {
        let mut cmd = h.command();
        cmd.args(["run", "--env", "test", "--svc", "api", "--watch", "--interval", "1s"])
            .args(extra)
            .arg("--")
            .args(program)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        Self { child, stdout, stderr }
    }

    fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    #[track_caller]
    fn fail(&self, what: &str) -> ! {
        panic!("{what}\nstdout:\n{}\nstderr:\n{}", self.stdout().join("\n"), self.stderr())
    }

    /// The first line of the program's output, from line `from` on, that `matches`.
    #[track_caller]
    fn wait_line(&self, from: usize, what: &str, matches: impl Fn(&str) -> bool) -> (usize, String) {
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            let lines = self.stdout();
            if let Some((i, line)) = lines.iter().enumerate().skip(from).find(|(_, l)| matches(l)) {
                return (i, line.clone());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.fail(&format!("no {what} within {DEADLINE:?}"))
    }

    #[track_caller]
    fn wait_stderr(&self, part: &str) {
        self.wait_stderr_times(part, 1);
    }

    /// Until coffer's stderr holds `part` `times` times.
    #[track_caller]
    fn wait_stderr_times(&self, part: &str, times: usize) {
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            if self.stderr().matches(part).count() >= times {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.fail(&format!("stderr lacks {part:?} ({times} times) after {DEADLINE:?}"))
    }

    fn signal(&self, name: &str) {
        let ok = std::process::Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status();
        assert!(ok.unwrap().success());
    }

    #[track_caller]
    fn wait_exit(&mut self) -> i32 {
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the readers take the last lines.
                std::thread::sleep(Duration::from_millis(200));
                return status.code().expect("coffer exits, is not killed");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.fail(&format!("coffer did not exit within {DEADLINE:?}"))
    }

    fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// coffer's own messages (the program writes to stdout only) hold no value.
    #[track_caller]
    fn no_values_on_stderr(&self) {
        let stderr = self.stderr();
        for value in VALUES {
            assert!(!stderr.contains(value), "{value} on coffer's stderr:\n{stderr}");
        }
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        if self.running() {
            // TERM is forwarded: the program ends too.
            self.signal("TERM");
            let start = Instant::now();
            while self.running() && start.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `start <pid> X=… DB=…` → `(pid, rest)`.
fn started(line: &str) -> (String, String) {
    let rest = line.strip_prefix("start ").unwrap();
    let (pid, vars) = rest.split_once(' ').unwrap();
    (pid.to_owned(), vars.to_owned())
}

#[test]
fn restart_picks_up_new_values_on_both_backends() {
    on_every_backend(|h| {
        seed(h);
        let mut run = Supervised::start(h, &[]);
        let (at, first) = run.wait_line(0, "first start", |l| l.starts_with("start "));
        let (pid1, vars) = started(&first);
        assert_eq!(vars, format!("X={} DB={}", VALUES[0], VALUES[2]));

        put_parameter(h, VALUES[1]);
        let (at, second) = run.wait_line(at + 1, "a restart with the new parameter", |l| l.starts_with("start "));
        let (pid2, vars) = started(&second);
        assert_eq!(vars, format!("X={} DB={}", VALUES[1], VALUES[2]));
        assert_ne!(pid1, pid2);
        // Gracefully: the old program had its SIGTERM.
        assert!(run.stdout().contains(&format!("term {pid1}")), "{:?}", run.stdout());
        run.wait_stderr("X has a new version: restarting sh.");

        rotate_secret(h, VALUES[3]);
        let (_, third) = run.wait_line(at + 1, "a restart with the rotated secret", |l| l.starts_with("start "));
        assert_eq!(started(&third).1, format!("X={} DB={}", VALUES[1], VALUES[3]));
        run.wait_stderr("DB has a new version: restarting sh.");

        // TERM to coffer reaches the program, whose status coffer passes on.
        let (pid3, _) = started(&third);
        run.signal("TERM");
        assert_eq!(run.wait_exit(), 3);
        assert!(run.stdout().contains(&format!("term {pid3}")), "{:?}", run.stdout());
        let starts = run.stdout().iter().filter(|l| l.starts_with("start ")).count();
        assert_eq!(starts, 3, "one restart per change: {:?}", run.stdout());
        run.no_values_on_stderr();
    });
}

#[test]
fn signal_hup_signals_without_restarting() {
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    seed(&h);
    let mut run = Supervised::start(&h, &["--on-change", "signal:HUP"]);
    let (at, first) = run.wait_line(0, "the start", |l| l.starts_with("start "));
    let (pid, _) = started(&first);
    rotate_secret(&h, VALUES[3]);
    let (_, hup) = run.wait_line(at + 1, "a HUP", |l| l.starts_with("hup "));
    // The same process, its environment as it was: it reads new values itself.
    assert_eq!(hup, format!("hup {pid} X={}", VALUES[0]));
    run.wait_stderr("DB has a new version: sending SIGHUP to sh.");
    assert!(run.running());
    assert_eq!(run.stdout().iter().filter(|l| l.starts_with("start ")).count(), 1, "{:?}", run.stdout());
    // Other signals coffer gets are the program's too.
    run.signal("USR1");
    run.wait_line(0, "a forwarded USR1", |l| l == format!("usr1 {pid}"));
    run.signal("TERM");
    assert_eq!(run.wait_exit(), 3);
    run.no_values_on_stderr();
}

#[test]
fn exit_stops_the_program_and_exits_75() {
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    seed(&h);
    let mut run = Supervised::start(&h, &["--on-change", "exit"]);
    let (_, first) = run.wait_line(0, "the start", |l| l.starts_with("start "));
    let (pid, _) = started(&first);
    put_parameter(&h, VALUES[1]);
    assert_eq!(run.wait_exit(), 75);
    assert!(run.stdout().contains(&format!("term {pid}")), "{:?}", run.stdout());
    assert!(run.stderr().contains("X has a new version: stopping sh and exiting with status 75."), "{}", run.stderr());
    run.no_values_on_stderr();
}

#[test]
fn the_program_status_is_passed_on() {
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    seed(&h);
    let mut run = Supervised::start_program(&h, &[], &["sh", "-c", "echo \"X=$X\"; exit 7"]);
    assert_eq!(run.wait_exit(), 7);
    assert_eq!(run.stdout(), [format!("X={}", VALUES[0])]);
    let mut run = Supervised::start_program(&h, &[], &["sh", "-c", "kill -KILL $$"]);
    assert_eq!(run.wait_exit(), 128 + 9);
    let mut run = Supervised::start_program(&h, &[], &["no-such-program-anywhere"]);
    assert_eq!(run.wait_exit(), 127);
    assert!(run.stderr().contains("cannot run no-such-program-anywhere"), "{}", run.stderr());
    // What cannot be resolved is not started, as without --watch.
    as_root(
        &h,
        "ssm",
        "RemoveTagsFromResource",
        json!({"ResourceType": "Parameter", "ResourceId": PARAM, "TagKeys": ["copilot-environment"]}),
    );
    let mut run = Supervised::start(&h, &[]);
    assert_eq!(run.wait_exit(), 1);
    assert!(run.stdout().is_empty(), "{:?}", run.stdout());
    assert!(run.stderr().contains("cannot start sh: a secret of container api"), "{}", run.stderr());
}

#[test]
fn an_unreadable_reference_keeps_the_program_running_on_both_backends() {
    on_every_backend(|h| {
        seed(h);
        let mut run = Supervised::start(h, &[]);
        let (at, first) = run.wait_line(0, "the start", |l| l.starts_with("start "));
        let (pid, _) = started(&first);
        // No longer tagged for demo/test: the execution role may not read it.
        as_root(
            h,
            "ssm",
            "RemoveTagsFromResource",
            json!({"ResourceType": "Parameter", "ResourceId": PARAM, "TagKeys": ["copilot-environment"]}),
        );
        run.wait_stderr("cannot check the secrets of container api");
        run.wait_stderr("AccessDeniedException");
        run.wait_stderr("sh keeps running with the values it has");
        // A new value it may not read changes nothing either.
        put_parameter(h, VALUES[1]);
        std::thread::sleep(Duration::from_secs(3));
        assert!(run.running());
        assert_eq!(run.stdout().iter().filter(|l| l.starts_with("start ")).count(), 1, "{:?}", run.stdout());
        assert_eq!(
            run.stderr().matches("cannot check the secrets").count(),
            1,
            "a lasting failure is reported once: {}",
            run.stderr()
        );
        // Readable again: noticed, and the new value is picked up.
        as_root(
            h,
            "ssm",
            "AddTagsToResource",
            json!({"ResourceType": "Parameter", "ResourceId": PARAM, "Tags": tag_list("demo", "test")}),
        );
        run.wait_stderr("can be read by demo-test-ExecutionRole again");
        let (_, second) = run.wait_line(at + 1, "a restart", |l| l.starts_with("start "));
        assert_eq!(started(&second).1, format!("X={} DB={}", VALUES[1], VALUES[2]));
        assert_ne!(started(&second).0, pid);
        // A deleted secret: reported, the program keeps running.
        as_root(h, "secretsmanager", "DeleteSecret", json!({"SecretId": SECRET, "ForceDeleteWithoutRecovery": true}));
        run.wait_stderr_times("cannot check the secrets", 2);
        assert!(run.running());
        assert!(run.stderr().contains(SECRET), "{}", run.stderr());
        run.no_values_on_stderr();
    });
}

#[test]
fn a_new_version_that_cannot_be_resolved_keeps_the_program_running() {
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    seed(&h);
    let mut run = Supervised::start(&h, &[]);
    run.wait_line(0, "the start", |l| l.starts_with("start "));
    // Readable, but without the JSON key the manifest asks for.
    as_root(
        &h,
        "secretsmanager",
        "PutSecretValue",
        json!({"SecretId": SECRET, "SecretString": json!({"user": VALUES[4]}).to_string()}),
    );
    run.wait_stderr("cannot restart sh: a secret of container api");
    run.wait_stderr("did not contain json key password");
    run.wait_stderr("sh keeps running with the values it has.");
    std::thread::sleep(Duration::from_secs(3));
    assert!(run.running());
    assert_eq!(run.stderr().matches("cannot restart sh").count(), 1, "reported once: {}", run.stderr());
    // Fixed: the program restarts with it.
    rotate_secret(&h, VALUES[3]);
    let (_, second) = run.wait_line(1, "a restart", |l| l.starts_with("start "));
    assert_eq!(started(&second).1, format!("X={} DB={}", VALUES[0], VALUES[3]));
    run.no_values_on_stderr();
}

/// As with `exec`: nothing of coffer's (store, lock, sockets, signal pipes) leaks into the
/// program, and it gets the core limit coffer was started with, while coffer dumps none.
#[test]
fn the_program_gets_no_descriptor_and_its_core_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let hard = getrlimit(Resource::Core).maximum;
    setrlimit(Resource::Core, Rlimit { current: Some(1 << 20), maximum: hard }).unwrap();
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    seed(&h);
    let script =
        "for f in /proc/$$/fd/*; do printf '%s ' ${f##*/}; done; echo; grep 'Max core file size' /proc/self/limits";
    let mut run = Supervised::start_program(&h, &[], &["sh", "-c", script]);
    assert_eq!(run.wait_exit(), 0);
    let out = run.stdout();
    let direct = std::process::Command::new("sh")
        .args(["-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let direct = String::from_utf8(direct.stdout).unwrap();
    assert_eq!(out[0].trim(), direct.lines().next().unwrap().trim(), "inherited descriptors");
    assert_eq!(out[1].split_whitespace().nth(4), Some("1048576"), "{out:?}");
}

#[test]
fn a_program_that_ignores_sigterm_gets_sigkill_after_the_stop_timeout() {
    let h = Harness::new(Mode::Embedded, common::Db::Sqlite);
    seed(&h);
    let stubborn = r#"echo "start $$ X=$X"; trap '' TERM; i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done"#;
    let mut run = Supervised::start_program(&h, &["--stop-timeout", "1s"], &["sh", "-c", stubborn]);
    let (at, first) = run.wait_line(0, "the start", |l| l.starts_with("start "));
    put_parameter(&h, VALUES[1]);
    let (_, second) = run.wait_line(at + 1, "a restart", |l| l.starts_with("start "));
    assert_ne!(started(&first).0, started(&second).0);
    assert_eq!(started(&second).1, format!("X={}", VALUES[1]));
    run.wait_stderr("sh did not end within 1s of SIGTERM: sending SIGKILL");
    // INT, forwarded, ends it: its status is passed on as 128+2.
    run.signal("INT");
    assert_eq!(run.wait_exit(), 130);
    run.no_values_on_stderr();
}
