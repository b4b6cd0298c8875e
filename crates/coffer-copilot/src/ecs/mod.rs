//! How the ECS agent (and the ECS control plane in front of it) turns a container's `secrets`
//! into environment variables at task start — the pure parts, for `coffer run` / `coffer check`.
//!
//! A launcher:
//! 1. [`classify_secrets`]: provider and region of every `valueFrom`;
//! 2. [`ssm::plan_ssm_batches`] → `GetParameters` per batch → [`ssm::match_ssm_results`];
//! 3. [`asm::plan_sm_requests`] → `GetSecretValue` per request → [`asm::secret_value`];
//! 4. [`env::assemble_environment`]; any failure: do not start, report the agent's text
//!    (optionally through [`terminal_reason`], the form ECS shows as the stopped reason).
//!
//! The agent itself receives provider and region from the ECS backend; the rules in
//! [`classify_value_from`] are the backend's documented ones.

pub mod asm;
pub mod env;
mod gojson;
pub mod ssm;

use std::fmt;

use coffer_aws::arn::{Arn, is_arn};

pub use gojson::format_float_g;

/// Where a secret is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    /// SSM Parameter Store (the agent's `ssm` provider).
    Ssm,
    /// Secrets Manager (the agent's `asm` provider).
    SecretsManager,
}

/// One container secret, classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretRequest {
    /// The environment variable (or log option) name.
    pub name: String,
    pub value_from: String,
    pub provider: Provider,
    pub region: String,
}

/// A `valueFrom` that ECS would not accept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassifyError {
    pub name: String,
    pub value_from: String,
    pub reason: String,
}

impl fmt::Display for ClassifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "secret {}: valueFrom \"{}\": {}", self.name, self.value_from, self.reason)
    }
}

impl std::error::Error for ClassifyError {}

/// The ECS backend's rule (ECS `Secret.valueFrom` docs):
/// * not an ARN → an SSM parameter name in `default_region`;
/// * `arn:<p>:ssm:<region>:<account>:parameter/<name>` → SSM in that region;
/// * `arn:<p>:secretsmanager:<region>:…` → Secrets Manager in that region;
/// * any other ARN → error. An ARN with an empty region uses `default_region`.
pub fn classify_value_from(value_from: &str, default_region: &str) -> Result<(Provider, String), String> {
    if value_from.is_empty() {
        return Err("empty valueFrom".into());
    }
    if !is_arn(value_from) {
        return Ok((Provider::Ssm, default_region.to_owned()));
    }
    let arn = Arn::parse(value_from).map_err(|e| e.to_string())?;
    let region = if arn.region.is_empty() { default_region } else { arn.region }.to_owned();
    match arn.service {
        "ssm" if arn.resource.starts_with("parameter/") => Ok((Provider::Ssm, region)),
        "ssm" => Err("an SSM ARN that is not of a parameter (arn:…:ssm:<region>:<account>:parameter/<name>)".into()),
        "secretsmanager" => Ok((Provider::SecretsManager, region)),
        other => Err(format!(
            "an ARN of service \"{other}\"; secrets come from SSM Parameter Store (arn:…:ssm:…:parameter/…) or Secrets Manager (arn:…:secretsmanager:…:secret:…)"
        )),
    }
}

/// Classifies `(name, valueFrom)` pairs; every invalid one is reported.
pub fn classify_secrets<'a>(
    secrets: impl IntoIterator<Item = (&'a str, &'a str)>,
    default_region: &str,
) -> Result<Vec<SecretRequest>, Vec<ClassifyError>> {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for (name, value_from) in secrets {
        match classify_value_from(value_from, default_region) {
            Ok((provider, region)) => {
                ok.push(SecretRequest { name: name.to_owned(), value_from: value_from.to_owned(), provider, region })
            }
            Err(reason) => {
                errors.push(ClassifyError { name: name.to_owned(), value_from: value_from.to_owned(), reason })
            }
        }
    }
    if errors.is_empty() { Ok(ok) } else { Err(errors) }
}

/// `Task.SetTerminalReason`: whitespace runs collapse to one space (Go `strings.Fields`) and the
/// first word is title-cased the way Go's `strings.Title` does it (every letter following a
/// separator), e.g. `Fetching secret data …`, `Json: cannot unmarshal …`.
pub fn terminal_reason(reason: &str) -> String {
    let mut words: Vec<String> = reason.split_whitespace().map(str::to_owned).collect();
    if let Some(first) = words.first_mut() {
        let mut prev_sep = true;
        *first = first
            .chars()
            .map(|c| {
                let out = if prev_sep { c.to_uppercase().collect::<String>() } else { c.to_string() };
                prev_sep = is_go_title_separator(c);
                out
            })
            .collect();
    }
    words.join(" ")
}

fn is_go_title_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphanumeric() {
        return false;
    }
    c.is_whitespace()
}

/// Copilot's hint when a task cannot pull its secrets for lack of the tags its execution role's
/// policy requires (`task_run.go`).
pub const COPILOT_TAG_HINT: &str = "It looks like your task is not able to pull the secrets.\nDid you tag your secrets with the \"copilot-application\" and \"copilot-environment\" tags?";

/// [`COPILOT_TAG_HINT`] when a failure text shows an access denial (Copilot shows it for
/// `AccessDeniedException` when app and env are known).
pub fn copilot_tag_hint(failure: &str) -> Option<&'static str> {
    failure.contains("AccessDeniedException").then_some(COPILOT_TAG_HINT)
}

/// The error codes the SSM and Secrets Manager models declare for the calls the agent makes;
/// smithy-go prints other (generic) API errors with an `api error ` prefix.
fn is_modeled(service_id: &str, code: &str) -> bool {
    match service_id {
        "SSM" => matches!(code, "InternalServerError" | "InvalidKeyId"),
        "Secrets Manager" => matches!(
            code,
            "ResourceNotFoundException"
                | "InvalidParameterException"
                | "InvalidRequestException"
                | "DecryptionFailure"
                | "InternalServiceError"
        ),
        _ => false,
    }
}

/// An API error as aws-sdk-go-v2 prints it (the agent's SDK):
/// `operation error SSM: GetParameters, https response error StatusCode: 400, RequestID: <id>,
/// api error ValidationException: <message>` — without `api error ` for modeled exceptions.
/// `service_id` is `SSM` or `Secrets Manager`.
pub fn go_sdk_error(
    service_id: &str,
    operation: &str,
    status: u16,
    request_id: &str,
    code: &str,
    message: &str,
) -> String {
    let api = if is_modeled(service_id, code) {
        format!("{code}: {message}")
    } else {
        format!("api error {code}: {message}")
    };
    format!(
        "operation error {service_id}: {operation}, https response error StatusCode: {status}, RequestID: {request_id}, {api}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        type Case<'a> = (&'a str, Result<(Provider, &'a str), &'a str>);
        let d = "us-east-1";
        let cases: &[Case] = &[
            ("GH_WEBHOOK_SECRET", Ok((Provider::Ssm, d))),
            ("/copilot/demo/test/secrets/db", Ok((Provider::Ssm, d))),
            ("arn:aws:ssm:eu-west-1:111122223333:parameter/copilot/x", Ok((Provider::Ssm, "eu-west-1"))),
            ("arn:aws:ssm:eu-west-1:111122223333:parameter/x:3", Ok((Provider::Ssm, "eu-west-1"))),
            ("arn:aws:ssm::111122223333:parameter/x", Ok((Provider::Ssm, d))),
            (
                "arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql:password::",
                Ok((Provider::SecretsManager, "us-west-2")),
            ),
            ("arn:aws-cn:secretsmanager:cn-north-1:1:secret:x", Ok((Provider::SecretsManager, "cn-north-1"))),
            // Classified as Secrets Manager; the agent's own parsing then rejects it.
            ("arn:aws:secretsmanager:us-west-2:1:secret:mysql:password", Ok((Provider::SecretsManager, "us-west-2"))),
            ("arn:aws:s3:::bucket/key", Err("an ARN of service \"s3\"")),
            ("arn:aws:ssm:us-east-1:1:document/x", Err("an SSM ARN that is not of a parameter")),
            ("arn:aws:ssm", Err("arn: not enough sections")),
            ("", Err("empty valueFrom")),
        ];
        for (vf, want) in cases {
            let got = classify_value_from(vf, d);
            match (got, want) {
                (Ok((p, r)), Ok((wp, wr))) => assert_eq!((p, r.as_str()), (*wp, *wr), "{vf}"),
                (Err(e), Err(w)) => assert!(e.starts_with(w), "{vf}: {e}"),
                (got, want) => panic!("{vf}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn classify_secrets_reports_every_bad_reference() {
        let errs = classify_secrets([("A", "ok"), ("B", "arn:aws:s3:::b/k"), ("C", "")], "us-east-1").unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs[0].to_string().starts_with("secret B: valueFrom \"arn:aws:s3:::b/k\": an ARN of service \"s3\""));
        let ok = classify_secrets([("A", "ok")], "us-east-1").unwrap();
        assert_eq!(
            ok[0],
            SecretRequest {
                name: "A".into(),
                value_from: "ok".into(),
                provider: Provider::Ssm,
                region: "us-east-1".into()
            }
        );
    }

    #[test]
    fn terminal_reason_normalisation() {
        let cases: &[(&str, &str)] = &[
            (
                "fetching secret data from SSM Parameter Store in us-east-1: invalid parameters: /a,/b",
                "Fetching secret data from SSM Parameter Store in us-east-1: invalid parameters: /a,/b",
            ),
            (
                "json: cannot unmarshal array into Go value of type map[string]interface {}",
                "Json: cannot unmarshal array into Go value of type map[string]interface {}",
            ),
            ("AccessDeniedException: User:\n\tstatus code: 400", "AccessDeniedException: User: status code: 400"),
            ("foo-bar baz", "Foo-Bar baz"),
            ("snake_case x", "Snake_case x"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(terminal_reason(input), *want);
        }
    }

    #[test]
    fn copilot_hint() {
        assert_eq!(
            COPILOT_TAG_HINT,
            "It looks like your task is not able to pull the secrets.\nDid you tag your secrets with the \"copilot-application\" and \"copilot-environment\" tags?"
        );
        assert!(copilot_tag_hint("fetching secret data from SSM Parameter Store in r: operation error SSM: GetParameters, https response error StatusCode: 400, RequestID: x, api error AccessDeniedException: no").is_some());
        assert!(copilot_tag_hint("invalid parameters: a").is_none());
    }

    #[test]
    fn sdk_error_texts() {
        assert_eq!(
            go_sdk_error("SSM", "GetParameters", 400, "req-1", "ValidationException", "bad"),
            "operation error SSM: GetParameters, https response error StatusCode: 400, RequestID: req-1, api error ValidationException: bad"
        );
        assert_eq!(
            go_sdk_error(
                "Secrets Manager",
                "GetSecretValue",
                400,
                "r",
                "ResourceNotFoundException",
                "Secrets Manager can't find the specified secret."
            ),
            "operation error Secrets Manager: GetSecretValue, https response error StatusCode: 400, RequestID: r, ResourceNotFoundException: Secrets Manager can't find the specified secret."
        );
    }
}
