//! The error every Coffer service returns on the wire: an AWS error code, an optional
//! message, the member name AWS's model gives that message, and the HTTP status.

use std::borrow::Cow;
use std::fmt;

/// How the service model names the message member of an exception. botocore reads either,
/// but typed SDKs only read the one the model declares, so this must match AWS exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKey {
    /// `message` (most SSM parameter exceptions)
    Lower,
    /// `Message` (all Secrets Manager exceptions, SSM `ValidationException`, …)
    Upper,
    /// The shape has no message member at all (e.g. SSM `InvalidResourceId`).
    Absent,
}

#[derive(Clone, PartialEq, Eq)]
pub struct AwsError {
    pub code: Cow<'static, str>,
    pub message: Option<String>,
    pub key: MessageKey,
    pub status: u16,
}

impl AwsError {
    pub fn new(code: impl Into<Cow<'static, str>>, key: MessageKey, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: Some(message.into()), key, status: 400 }
    }

    /// An error whose shape carries no message (or whose message AWS leaves empty).
    pub fn bare(code: impl Into<Cow<'static, str>>) -> Self {
        Self { code: code.into(), message: None, key: MessageKey::Absent, status: 400 }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The JSON body AWS sends: `{"__type": code, "message"|"Message": text}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert("__type".into(), self.code.as_ref().into());
        if let Some(message) = &self.message {
            match self.key {
                MessageKey::Lower => {
                    body.insert("message".into(), message.as_str().into());
                }
                MessageKey::Upper => {
                    body.insert("Message".into(), message.as_str().into());
                }
                MessageKey::Absent => {}
            }
        }
        serde_json::Value::Object(body)
    }
}

impl fmt::Debug for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AwsError({} {}", self.status, self.code)?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => write!(f, "{}: {m}", self.code),
            None => f.write_str(&self.code),
        }
    }
}

impl std::error::Error for AwsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_casing_follows_the_model() {
        let lower = AwsError::new("ParameterAlreadyExists", MessageKey::Lower, "x");
        assert_eq!(lower.to_json(), serde_json::json!({"__type": "ParameterAlreadyExists", "message": "x"}));
        let upper = AwsError::new("ValidationException", MessageKey::Upper, "y");
        assert_eq!(upper.to_json(), serde_json::json!({"__type": "ValidationException", "Message": "y"}));
        assert_eq!(AwsError::bare("InvalidResourceId").to_json(), serde_json::json!({"__type": "InvalidResourceId"}));
    }
}
