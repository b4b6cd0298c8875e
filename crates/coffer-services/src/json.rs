//! Decoding request bodies and encoding responses in the AWS JSON 1.1 protocol.

use coffer_aws::{AwsError, MessageKey};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Parses a request body into an operation's input shape. An empty body is `{}`.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, AwsError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    serde_json::from_slice(body).map_err(|e| {
        // serde's message names the field and expected type, never the offending value.
        let message = if e.is_data() {
            format!("Start of structure or map found where not expected, or a member had the wrong type ({e})")
        } else {
            "Malformed request body: not valid JSON".to_owned()
        };
        AwsError::new("SerializationException", MessageKey::Upper, message)
    })
}

/// Encodes an operation's output shape. Output shapes hold strings, numbers and maps with
/// string keys only, so this cannot fail in practice; if it did, it is the JSON protocol's
/// generic `InternalFailure`.
pub fn encode<T: Serialize>(output: &T) -> Result<Vec<u8>, crate::OpError> {
    serde_json::to_vec(output).map_err(|_| {
        AwsError::new("InternalFailure", MessageKey::Upper, "An internal error occurred.").with_status(500).into()
    })
}

/// `N validation error(s) detected: ...` as AWS phrases constraint violations.
pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new("ValidationException", MessageKey::Upper, message)
}

pub fn constraint(value: impl std::fmt::Display, at: &str, constraint: &str) -> AwsError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: {constraint}"
    ))
}
