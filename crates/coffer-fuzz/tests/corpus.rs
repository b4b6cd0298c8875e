//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/`) through its target on
//! stable: the inputs libFuzzer kept for reaching new code, and each input that once crashed
//! (added under its target after the fix).

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no corpus", dir.display());
    files.into_iter().map(|path| (path.clone(), std::fs::read(&path).expect("corpus file"))).collect()
}

fn replay<T>(target: &str, run: impl Fn(&[u8]) -> T) {
    for (path, data) in corpus(target) {
        // The file's name says which input failed.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run(&data);
        }));
        assert!(result.is_ok(), "{target}: {} fails", path.display());
    }
}

#[test]
fn policy_document() {
    replay("policy_document", coffer_fuzz::policy_document);
}

#[test]
fn manifest() {
    replay("manifest", coffer_fuzz::manifest);
}

#[test]
fn task_definition() {
    replay("task_definition", coffer_fuzz::task_definition);
}

#[test]
fn go_json() {
    replay("go_json", coffer_fuzz::go_json);
}

#[test]
fn sigv4_request() {
    let server = coffer_fuzz::Server::new();
    replay("sigv4_request", |data| server.sigv4_request(data));
}

#[test]
fn signed_request() {
    let server = coffer_fuzz::Server::new();
    replay("signed_request", |data| server.signed_request(data));
}

/// The harness signs as the server expects: a signed request reaches the operation (without
/// this, fuzzing would only ever meet the signature check).
#[test]
fn signed_requests_reach_the_operations() {
    let server = coffer_fuzz::Server::new();
    let created = server.signed_request(b"secretsmanager.CreateSecret\n{\"Name\":\"fuzz\",\"SecretString\":\"v\"}");
    assert_eq!(created.map(|s| s.as_u16()), Some(200));
    let missing = server.signed_request(b"AmazonSSM.GetParameter\n{\"Name\":\"/missing\"}");
    assert_eq!(missing.map(|s| s.as_u16()), Some(400));
    let whoami = server.signed_request(b"sts\nAction=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(whoami.map(|s| s.as_u16()), Some(200));
    let unsigned = server.sigv4_request(b"x-amz-target: AmazonSSM.GetParameter\n\n{}");
    assert_eq!(unsigned.map(|s| s.as_u16()), Some(400));
}
