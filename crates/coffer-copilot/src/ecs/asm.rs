//! Secrets Manager references, as the ECS agent resolves them
//! (`agent/taskresource/asmsecret/asmsecret.go`, `agent/asm/asm.go`).
//!
//! Per unique `(valueFrom, region)` one `GetSecretValue` call; the `valueFrom` is parsed with
//! `arn.Parse` semantics and its resource split on `:`:
//! * 2 parts (`secret:<id>`) → `SecretId` = the whole `valueFrom` (full or partial ARN);
//! * 5 parts (`secret:<id>:<json-key>:<version-stage>:<version-id>`) → `SecretId` = the ARN
//!   rebuilt without the suffix, an empty stage or id is not sent, an empty key means the whole
//!   value;
//! * any other count → `an invalid ARN format for the AWS Secrets Manager secret was specified.
//!   Specify a valid ARN and try again.`
//!
//! Error texts are the agent's, including the wrapping; several failures are joined with `;`
//! (the agent joins in goroutine completion order, Coffer in request order).

use std::fmt;

use secrecy::SecretString;

use super::gojson::{GoValue, format_v, unmarshal_object};
use super::{Provider, SecretRequest};
use coffer_aws::arn::{Arn, ArnError};

/// Text of the agent's error for a resource with neither 2 nor 5 parts.
pub const INVALID_ARN_FORMAT: &str =
    "an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again.";

/// What `GetSecretValue` is called with for one `valueFrom`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmParams {
    pub secret_id: String,
    pub json_key: Option<String>,
    pub version_stage: Option<String>,
    pub version_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SmParseError {
    #[error(transparent)]
    Arn(#[from] ArnError),
    #[error("{INVALID_ARN_FORMAT}")]
    InvalidFormat,
}

/// The agent's `getASMParametersFromInput`.
pub fn parse_sm_value_from(value_from: &str) -> Result<SmParams, SmParseError> {
    let arn = Arn::parse(value_from)?;
    let parts: Vec<&str> = arn.resource.split(':').collect();
    match parts.as_slice() {
        [_, _] => {
            Ok(SmParams { secret_id: value_from.to_owned(), json_key: None, version_stage: None, version_id: None })
        }
        [kind, id, key, stage, version] => {
            let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
            Ok(SmParams {
                secret_id: format!("arn:{}:{}:{}:{}:{kind}:{id}", arn.partition, arn.service, arn.region, arn.account),
                json_key: some(key),
                version_stage: some(stage),
                version_id: some(version),
            })
        }
        _ => Err(SmParseError::InvalidFormat),
    }
}

/// `trying to retrieve secret with value <valueFrom> resulted in error: <err>`
pub fn sm_parse_failure(value_from: &str, err: &SmParseError) -> String {
    format!("trying to retrieve secret with value {value_from} resulted in error: {err}")
}

/// `fetching secret data from AWS Secrets Manager in region <region>: <detail>`, the wrapping of
/// every failure of the call itself and of the JSON-key extraction.
pub fn sm_fetch_failure(region: &str, detail: &str) -> String {
    format!("fetching secret data from AWS Secrets Manager in region {region}: {detail}")
}

/// The agent's `errors.Wrap(err, augmentErrMsg(secretID, err))` for a failed `GetSecretValue`.
/// `sdk_error` is the SDK's error text (see [`super::go_sdk_error`]); `code` its error code.
pub fn sm_api_failure_detail(secret_id: &str, code: &str, sdk_error: &str) -> String {
    if code == "ResourceNotFoundException" {
        format!(
            "ResourceNotFoundException: The task can't retrieve the secret with ARN '{secret_id}' from AWS Secrets Manager. Check whether the secret exists in the specified Region: {sdk_error}"
        )
    } else {
        format!("secret {secret_id}: {sdk_error}: {sdk_error}")
    }
}

/// Joins the failures of one task's Secrets Manager fetches, as the agent's terminal reason.
pub fn join_sm_failures(failures: &[String]) -> String {
    failures.join(";")
}

/// One `GetSecretValue` to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmRequest {
    pub value_from: String,
    pub region: String,
    pub params: SmParams,
}

/// The Secrets Manager part of a task: calls to make (unique per `(valueFrom, region)`, in order
/// of first use) and references that failed to parse (already worded as the agent words them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SmPlan {
    pub requests: Vec<SmRequest>,
    pub failures: Vec<String>,
}

pub fn plan_sm_requests<'a>(refs: impl IntoIterator<Item = &'a SecretRequest>) -> SmPlan {
    let mut plan = SmPlan::default();
    let mut seen = std::collections::HashSet::new();
    for r in refs {
        if r.provider != Provider::SecretsManager || !seen.insert((r.value_from.clone(), r.region.clone())) {
            continue;
        }
        match parse_sm_value_from(&r.value_from) {
            Ok(params) => {
                plan.requests.push(SmRequest { value_from: r.value_from.clone(), region: r.region.clone(), params })
            }
            Err(e) => plan.failures.push(sm_parse_failure(&r.value_from, &e)),
        }
    }
    plan
}

/// Why a fetched secret could not give the value asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmValueError {
    /// Go's `encoding/json` error text, unprefixed (as the agent returns it).
    Json(String),
    MissingKey(String),
    /// A JSON key was asked of a secret that has only `SecretBinary`. The agent dereferences a
    /// nil pointer and panics here; Coffer reports it.
    NoSecretString(String),
}

impl fmt::Display for SmValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(m) => f.write_str(m),
            Self::MissingKey(k) => write!(f, "retrieved secret from Secrets Manager did not contain json key {k}"),
            Self::NoSecretString(k) => write!(
                f,
                "retrieved secret from Secrets Manager has no SecretString, so json key {k} cannot be read (binary secrets cannot be used with a json key)"
            ),
        }
    }
}

impl std::error::Error for SmValueError {}

/// The value the agent injects for a fetched secret: the `SecretString` ("" for a binary-only
/// secret) or, with a JSON key, that top-level key of the JSON object rendered with Go's `%v`.
pub fn secret_value(secret_string: Option<&str>, json_key: Option<&str>) -> Result<SecretString, SmValueError> {
    let Some(key) = json_key.filter(|k| !k.is_empty()) else {
        return Ok(SecretString::from(secret_string.unwrap_or_default().to_owned()));
    };
    let Some(text) = secret_string else {
        return Err(SmValueError::NoSecretString(key.to_owned()));
    };
    let map = unmarshal_object(text).map_err(SmValueError::Json)?;
    let value =
        map.as_deref().and_then(|m| GoValue::get(m, key)).ok_or_else(|| SmValueError::MissingKey(key.to_owned()))?;
    let mut out = String::new();
    format_v(value, &mut out);
    Ok(SecretString::from(out))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    const ARN: &str = "arn:aws:secretsmanager:us-west-2:111122223333:secret:demo/test/mysql-Yi6mvL";

    #[test]
    fn value_from_parsing_table() {
        let p = |id: &str, key: Option<&str>, stage: Option<&str>, version: Option<&str>| SmParams {
            secret_id: id.into(),
            json_key: key.map(Into::into),
            version_stage: stage.map(Into::into),
            version_id: version.map(Into::into),
        };
        let cases: Vec<(String, Result<SmParams, SmParseError>)> = vec![
            (ARN.into(), Ok(p(ARN, None, None, None))),
            (
                "arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql".into(),
                Ok(p("arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql", None, None, None)),
            ),
            (
                "arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql:password::".into(),
                Ok(p("arn:aws:secretsmanager:us-west-2:111122223333:secret:mysql", Some("password"), None, None)),
            ),
            (format!("{ARN}:username:AWSPREVIOUS:"), Ok(p(ARN, Some("username"), Some("AWSPREVIOUS"), None))),
            (format!("{ARN}::AWSCURRENT:v-1"), Ok(p(ARN, None, Some("AWSCURRENT"), Some("v-1")))),
            (format!("{ARN}:::"), Ok(p(ARN, None, None, None))),
            // Three and four parts: the colons are mandatory.
            (format!("{ARN}:password"), Err(SmParseError::InvalidFormat)),
            (format!("{ARN}:password:"), Err(SmParseError::InvalidFormat)),
            (format!("{ARN}:a:b:c:d"), Err(SmParseError::InvalidFormat)),
            ("arn:aws:secretsmanager:us-west-2:1:mysql".into(), Err(SmParseError::InvalidFormat)),
            ("mysql".into(), Err(SmParseError::Arn(ArnError::InvalidPrefix))),
            ("arn:aws:secretsmanager:us-west-2".into(), Err(SmParseError::Arn(ArnError::NotEnoughSections))),
        ];
        for (vf, want) in cases {
            assert_eq!(parse_sm_value_from(&vf), want, "{vf}");
        }
    }

    #[test]
    fn agent_error_texts() {
        let vf = format!("{ARN}:password");
        assert_eq!(
            sm_parse_failure(&vf, &parse_sm_value_from(&vf).unwrap_err()),
            format!(
                "trying to retrieve secret with value {vf} resulted in error: an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again."
            )
        );
        assert_eq!(
            sm_parse_failure("mysql", &parse_sm_value_from("mysql").unwrap_err()),
            "trying to retrieve secret with value mysql resulted in error: arn: invalid prefix"
        );
        let sdk = "operation error Secrets Manager: GetSecretValue, https response error StatusCode: 400, RequestID: r1, ResourceNotFoundException: Secrets Manager can't find the specified secret.";
        assert_eq!(
            sm_fetch_failure("us-west-2", &sm_api_failure_detail(ARN, "ResourceNotFoundException", sdk)),
            format!(
                "fetching secret data from AWS Secrets Manager in region us-west-2: ResourceNotFoundException: The task can't retrieve the secret with ARN '{ARN}' from AWS Secrets Manager. Check whether the secret exists in the specified Region: {sdk}"
            )
        );
        assert_eq!(sm_api_failure_detail("id", "AccessDeniedException", "boom"), "secret id: boom: boom");
        assert_eq!(join_sm_failures(&["a".into(), "b".into()]), "a;b");
    }

    #[test]
    fn plan_deduplicates_per_value_from_and_region() {
        let req = |name: &str, vf: &str, region: &str| SecretRequest {
            name: name.into(),
            value_from: vf.into(),
            provider: Provider::SecretsManager,
            region: region.into(),
        };
        let three = format!("{ARN}:password");
        let refs = vec![
            req("A", ARN, "us-west-2"),
            req("B", ARN, "us-west-2"),
            req("C", ARN, "eu-west-1"),
            req("D", &three, "us-west-2"),
            req("E", &three, "us-west-2"),
            SecretRequest { provider: Provider::Ssm, ..req("F", "p", "us-west-2") },
        ];
        let plan = plan_sm_requests(&refs);
        assert_eq!(plan.requests.len(), 2);
        assert_eq!((plan.requests[0].region.as_str(), plan.requests[1].region.as_str()), ("us-west-2", "eu-west-1"));
        assert_eq!(plan.failures.len(), 1, "the 3-part ARN fails once");
        assert!(plan.failures[0].ends_with(INVALID_ARN_FORMAT));
    }

    /// The table of aws-wire-and-ecs.md A4, one row per test case.
    #[test]
    fn json_key_rendering_table() {
        let cases: &[(&str, &str)] = &[
            (r#""abc""#, "abc"),
            ("5432", "5432"),
            ("1.5", "1.5"),
            ("1234567", "1.234567e+06"),
            ("100000", "100000"),
            ("1000000", "1e+06"),
            ("0.00001", "1e-05"),
            ("true", "true"),
            ("false", "false"),
            ("null", "<nil>"),
            (r#"{"a":1,"b":"x"}"#, "map[a:1 b:x]"),
            (r#"[1,"a",true]"#, "[1 a true]"),
            ("12345678901234567890", "1.2345678901234567e+19"),
        ];
        for (json, want) in cases {
            let secret = format!(r#"{{"k": {json}, "other": 1}}"#);
            let got = secret_value(Some(&secret), Some("k")).unwrap();
            assert_eq!(got.expose_secret(), *want, "{json}");
        }
    }

    #[test]
    fn json_key_errors() {
        let err = |s: Option<&str>| secret_value(s, Some("password")).unwrap_err().to_string();
        assert_eq!(err(Some("plaintext")), "invalid character 'p' looking for beginning of value");
        assert_eq!(err(Some("[1]")), "json: cannot unmarshal array into Go value of type map[string]interface {}");
        assert_eq!(err(Some("\"s\"")), "json: cannot unmarshal string into Go value of type map[string]interface {}");
        assert_eq!(err(Some("7")), "json: cannot unmarshal number into Go value of type map[string]interface {}");
        assert_eq!(err(Some("false")), "json: cannot unmarshal bool into Go value of type map[string]interface {}");
        assert_eq!(err(Some("{}x")), "invalid character 'x' after top-level value");
        assert_eq!(err(Some("null")), "retrieved secret from Secrets Manager did not contain json key password");
        assert_eq!(
            err(Some(r#"{"Password":"x"}"#)),
            "retrieved secret from Secrets Manager did not contain json key password"
        );
        assert!(err(None).contains("has no SecretString"));
    }

    #[test]
    fn seed_mysql_secret() {
        let value = r#"{"engine": "mysql","username": "user1","password": "i29wwX!%9wFV","host": "","dbname": "myDatabase","port": "3306"}"#;
        assert_eq!(secret_value(Some(value), Some("password")).unwrap().expose_secret(), "i29wwX!%9wFV");
        assert_eq!(secret_value(Some(value), Some("host")).unwrap().expose_secret(), "");
        assert_eq!(secret_value(Some(value), None).unwrap().expose_secret(), value);
        assert_eq!(secret_value(Some(value), Some("")).unwrap().expose_secret(), value);
        assert_eq!(secret_value(None, None).unwrap().expose_secret(), "");
    }
}
