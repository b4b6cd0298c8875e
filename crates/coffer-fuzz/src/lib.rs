//! The bodies of Coffer's fuzz targets, one function per parser a client or an operator can
//! feed. `fuzz/fuzz_targets/*.rs` hand libFuzzer's input to them (cargo fuzz, nightly); this
//! crate's `tests/corpus.rs` replays every committed corpus file through them on stable, so a
//! crash once found stays fixed.
//!
//! Each body checks what must hold for any input — not just "no panic": a request the server
//! cannot authenticate is refused with a 4xx, and no input makes it answer a 5xx.

mod server;

pub use server::Server;

use coffer_copilot::ecs::asm;
use coffer_copilot::manifest::{Interpolator, TaskDefinition, load_workload};
use coffer_policy::{Policy, PolicyKind, Principal, RequestContext, evaluate, evaluate_assume_role};

/// Policy documents (IAM JSON policy language) of each kind, evaluated when they parse.
pub fn policy_document(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let ctx = RequestContext::new(
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:us-east-1:000000000000:secret:demo/db-AbCdEf",
    )
    .with_principal(Principal::aws("arn:aws:sts::000000000000:assumed-role/demo-test-ExecutionRole/task"))
    .with_resource_tags([("copilot-application", "demo"), ("copilot-environment", "test")])
    .with_key("aws:username", "alice");
    for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust] {
        let Ok(policy) = Policy::parse(text, kind) else { continue };
        match kind {
            PolicyKind::Identity => {
                let _ = evaluate(std::slice::from_ref(&policy), None, &ctx).access_denied_message(&ctx);
            }
            PolicyKind::Resource => {
                let _ = evaluate(&[], Some(&policy), &ctx).access_denied_message(&ctx);
            }
            PolicyKind::Trust => {
                let assume = RequestContext::assume_role(
                    Principal::aws("arn:aws:iam::000000000000:root"),
                    "arn:aws:iam::000000000000:role/demo-test-ExecutionRole",
                );
                let _ = evaluate_assume_role(&policy, &[], &assume).is_allowed();
            }
        }
    }
}

/// Copilot workload manifests: interpolation, YAML decoding and the environment's overrides.
pub fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let vars = std::collections::HashMap::from([("TAG".to_owned(), "v1".to_owned())]);
    let itp = Interpolator::with_map("demo", "test", &vars);
    let _ = load_workload(text, "copilot/api/manifest.yml", &itp);
}

/// ECS task definitions (`coffer run --task-definition`).
pub fn task_definition(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = TaskDefinition::parse(text, "taskdef.json");
}

/// The ECS agent's Go-JSON handling of a secret's `SecretString` when a JSON key is asked for:
/// the first line is the key, the rest the secret string.
pub fn go_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (key, secret_string) = text.split_once('\n').unwrap_or(("password", text));
    let _ = asm::secret_value(Some(secret_string), Some(key));
    let _ = asm::parse_sm_value_from(text);
}
