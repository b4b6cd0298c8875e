//! SSM Parameter Store references, as the ECS agent resolves them
//! (`agent/taskresource/ssmsecret/ssmsecret.go`, `agent/ssm/ssm.go`): per region, batches of at
//! most 10 names for `GetParameters{Names, WithDecryption: true}`; any `InvalidParameters` fails
//! the task with `invalid parameters: a,b`, wrapped as `fetching secret data from SSM Parameter
//! Store in <region>: …`.
//!
//! Divergences, deliberate:
//! * Names are de-duplicated per region (the agent sends duplicates as they come).
//! * Results are mapped back to the *requested* identifier — by the request string, the returned
//!   `Name` or the returned `ARN`, with `/p` ≡ `p` for single-level names and `name:version` /
//!   `name:label` selectors matched through the returned `Selector` — not by the returned `Name`
//!   alone as the agent does (which silently yields "" for ARN and selector requests).
//! * A requested name that is neither returned nor listed invalid is an error, where the agent
//!   would inject "".
//! * Of several failing batches the agent reports whichever finished first; Coffer reports the
//!   first in plan order.

use std::collections::HashMap;
use std::fmt;

use super::{Provider, SecretRequest};
use coffer_aws::arn::Arn;

/// `GetParameters` accepts at most this many names.
pub const MAX_BATCH: usize = 10;

/// One `GetParameters` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsmBatch {
    pub region: String,
    pub names: Vec<String>,
}

/// The SSM calls for a task: regions in order of first use, names de-duplicated per region in
/// order of first use, chunks of at most [`MAX_BATCH`].
pub fn plan_ssm_batches<'a>(refs: impl IntoIterator<Item = &'a SecretRequest>) -> Vec<SsmBatch> {
    let mut regions: Vec<(String, Vec<String>)> = Vec::new();
    for r in refs.into_iter().filter(|r| r.provider == Provider::Ssm) {
        let idx = match regions.iter().position(|(reg, _)| *reg == r.region) {
            Some(i) => i,
            None => {
                regions.push((r.region.clone(), Vec::new()));
                regions.len() - 1
            }
        };
        let names = &mut regions[idx].1;
        if !names.contains(&r.value_from) {
            names.push(r.value_from.clone());
        }
    }
    let mut out = Vec::new();
    for (region, names) in regions {
        for chunk in names.chunks(MAX_BATCH) {
            out.push(SsmBatch { region: region.clone(), names: chunk.to_vec() });
        }
    }
    out
}

/// One entry of `GetParametersResult.Parameters`, with the value type left to the caller.
#[derive(Clone, Debug)]
pub struct SsmParameter<V> {
    pub name: String,
    pub arn: Option<String>,
    /// `:3` or `:label` when the request carried a selector.
    pub selector: Option<String>,
    pub value: V,
}

/// Why a batch failed, before the region wrapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SsmBatchError {
    /// The agent's `invalid parameters: a,b` (no space after the comma).
    InvalidParameters(Vec<String>),
    /// Requested but neither returned nor reported invalid (Coffer's own check).
    NotReturned(Vec<String>),
}

impl fmt::Display for SsmBatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidParameters(n) => write!(f, "invalid parameters: {}", n.join(",")),
            Self::NotReturned(n) => write!(f, "parameters requested but not returned: {}", n.join(",")),
        }
    }
}

impl std::error::Error for SsmBatchError {}

/// `fetching secret data from SSM Parameter Store in <region>: <err>`
pub fn ssm_fetch_failure(region: &str, err: &dyn fmt::Display) -> String {
    format!("fetching secret data from SSM Parameter Store in {region}: {err}")
}

/// `unable to create SSM client in <region>: <err>`
pub fn ssm_client_failure(region: &str, err: &dyn fmt::Display) -> String {
    format!("unable to create SSM client in {region}: {err}")
}

/// A parameter reference reduced to what identifies it: the name without leading `/` when
/// single-level, and the selector without its `:`.
#[derive(Debug, PartialEq, Eq)]
struct Key {
    name: String,
    selector: Option<String>,
}

fn canonical_name(name: &str) -> String {
    let bare = name.strip_prefix('/').unwrap_or(name);
    if bare.contains('/') { format!("/{bare}") } else { bare.to_owned() }
}

fn key_of(reference: &str) -> Key {
    let (name, selector) = match Arn::parse(reference).ok().and_then(|a| a.resource.strip_prefix("parameter/")) {
        Some(rest) => match rest.split_once(':') {
            Some((n, s)) => (format!("/{n}"), Some(s)),
            None => (format!("/{rest}"), None),
        },
        None => match reference.split_once(':') {
            Some((n, s)) => (n.to_owned(), Some(s)),
            None => (reference.to_owned(), None),
        },
    };
    Key { name: canonical_name(&name), selector: selector.map(str::to_owned) }
}

/// Maps one batch's `GetParameters` answer back to the requested identifiers.
pub fn match_ssm_results<V: Clone>(
    batch: &SsmBatch,
    parameters: &[SsmParameter<V>],
    invalid: &[String],
) -> Result<HashMap<String, V>, SsmBatchError> {
    if !invalid.is_empty() {
        return Err(SsmBatchError::InvalidParameters(invalid.to_vec()));
    }
    // Per returned parameter: its name key, its ARN's name key, and its selector (the `Selector`
    // member, or one echoed inside `Name`).
    let returned: Vec<(Key, Option<Key>, Option<String>)> = parameters
        .iter()
        .map(|p| {
            let key = key_of(&p.name);
            let sel = match p.selector.as_deref() {
                Some(s) => Some(s.trim_start_matches(':').to_owned()).filter(|s| !s.is_empty()),
                None => key.selector.clone(),
            };
            (key, p.arn.as_deref().map(key_of), sel)
        })
        .collect();
    let mut out = HashMap::new();
    let mut missing = Vec::new();
    for requested in &batch.names {
        let want = key_of(requested);
        let candidates = |strict: bool| -> Vec<usize> {
            (0..parameters.len())
                .filter(|&i| {
                    let (k, arn, sel) = &returned[i];
                    let same_name = k.name == want.name || arn.as_ref().is_some_and(|a| a.name == want.name);
                    same_name && if strict { *sel == want.selector } else { sel.is_none() }
                })
                .collect()
        };
        let strict = candidates(true);
        let found = strict
            .iter()
            .copied()
            .find(|&i| parameters[i].name == *requested || parameters[i].arn.as_deref() == Some(requested.as_str()))
            .or_else(|| strict.first().copied())
            .or_else(|| {
                // A server that does not echo `Selector`: accept the bare name if unambiguous.
                let loose = if want.selector.is_some() { candidates(false) } else { Vec::new() };
                (loose.len() == 1).then(|| loose[0])
            });
        match found {
            Some(i) => {
                out.insert(requested.clone(), parameters[i].value.clone());
            }
            None => missing.push(requested.clone()),
        }
    }
    if missing.is_empty() { Ok(out) } else { Err(SsmBatchError::NotReturned(missing)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssm(name: &str, vf: &str, region: &str) -> SecretRequest {
        SecretRequest { name: name.into(), value_from: vf.into(), provider: Provider::Ssm, region: region.into() }
    }

    #[test]
    fn twenty_five_references_make_three_batches() {
        let refs: Vec<SecretRequest> =
            (0..25).map(|i| ssm(&format!("V{i}"), &format!("/app/p{i}"), "us-east-1")).collect();
        let batches = plan_ssm_batches(&refs);
        assert_eq!(batches.iter().map(|b| b.names.len()).collect::<Vec<_>>(), vec![10, 10, 5]);
        assert!(batches.iter().all(|b| b.region == "us-east-1"));
        assert_eq!(batches[2].names[0], "/app/p20");
    }

    #[test]
    fn duplicates_and_regions() {
        let mut refs = vec![
            ssm("A", "shared", "us-east-1"),
            ssm("B", "shared", "us-east-1"),
            ssm("C", "arn:aws:ssm:eu-west-1:1:parameter/x", "eu-west-1"),
            ssm("D", "other", "us-east-1"),
            ssm("E", "shared", "eu-west-1"),
        ];
        refs.push(SecretRequest {
            provider: Provider::SecretsManager,
            ..ssm("F", "arn:aws:secretsmanager:x", "us-east-1")
        });
        let batches = plan_ssm_batches(&refs);
        assert_eq!(
            batches,
            vec![
                SsmBatch { region: "us-east-1".into(), names: vec!["shared".into(), "other".into()] },
                SsmBatch {
                    region: "eu-west-1".into(),
                    names: vec!["arn:aws:ssm:eu-west-1:1:parameter/x".into(), "shared".into()]
                },
            ]
        );
    }

    fn param(name: &str, arn: &str, selector: Option<&str>, value: &str) -> SsmParameter<String> {
        SsmParameter {
            name: name.into(),
            arn: (!arn.is_empty()).then(|| arn.into()),
            selector: selector.map(Into::into),
            value: value.into(),
        }
    }

    #[test]
    fn results_map_back_to_the_requested_identifier() {
        let batch = SsmBatch {
            region: "us-east-1".into(),
            names: vec![
                "GH_WEBHOOK_SECRET".into(),
                "arn:aws:ssm:us-east-1:1:parameter/copilot/demo/test/secrets/db".into(),
                "/single".into(),
                "plain".into(),
                "/app/key:2".into(),
                "/app/key:prod".into(),
                "/app/key".into(),
            ],
        };
        let returned = vec![
            param("GH_WEBHOOK_SECRET", "arn:aws:ssm:us-east-1:1:parameter/GH_WEBHOOK_SECRET", None, "gh"),
            // AWS answers an ARN request with the bare name.
            param(
                "/copilot/demo/test/secrets/db",
                "arn:aws:ssm:us-east-1:1:parameter/copilot/demo/test/secrets/db",
                None,
                "db",
            ),
            // ... and echoes `/single` for the single-level alias, or not.
            param("single", "arn:aws:ssm:us-east-1:1:parameter/single", None, "s"),
            param("/plain", "", None, "p"),
            param("/app/key", "arn:aws:ssm:us-east-1:1:parameter/app/key", Some(":2"), "v2"),
            param("/app/key", "arn:aws:ssm:us-east-1:1:parameter/app/key", Some(":prod"), "vprod"),
            param("/app/key", "arn:aws:ssm:us-east-1:1:parameter/app/key", None, "latest"),
        ];
        let got = match_ssm_results(&batch, &returned, &[]).unwrap();
        let want: HashMap<String, String> = [
            ("GH_WEBHOOK_SECRET", "gh"),
            ("arn:aws:ssm:us-east-1:1:parameter/copilot/demo/test/secrets/db", "db"),
            ("/single", "s"),
            ("plain", "p"),
            ("/app/key:2", "v2"),
            ("/app/key:prod", "vprod"),
            ("/app/key", "latest"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn selector_without_echo_and_missing_results() {
        let batch = SsmBatch { region: "r".into(), names: vec!["/a:3".into(), "gone".into()] };
        let returned = vec![param("/a", "", None, "three")];
        assert_eq!(
            match_ssm_results(&batch, &returned, &[]).unwrap_err(),
            SsmBatchError::NotReturned(vec!["gone".into()])
        );
        let batch = SsmBatch { region: "r".into(), names: vec!["/a:3".into()] };
        assert_eq!(match_ssm_results(&batch, &returned, &[]).unwrap()["/a:3"], "three");
    }

    #[test]
    fn invalid_parameters_message() {
        let batch = SsmBatch { region: "us-west-2".into(), names: vec!["/a".into(), "/b".into()] };
        let err = match_ssm_results::<String>(&batch, &[], &["/a".into(), "/b".into()]).unwrap_err();
        assert_eq!(
            ssm_fetch_failure("us-west-2", &err),
            "fetching secret data from SSM Parameter Store in us-west-2: invalid parameters: /a,/b"
        );
        let one = match_ssm_results::<String>(&batch, &[], &["secret-name".into()]).unwrap_err();
        assert_eq!(
            ssm_fetch_failure("us-west-2", &one),
            "fetching secret data from SSM Parameter Store in us-west-2: invalid parameters: secret-name"
        );
        assert_eq!(ssm_client_failure("r", &"boom"), "unable to create SSM client in r: boom");
    }
}
