//! Why a client call failed: an AWS error answer, or no answer at all.

use coffer_copilot::ecs::go_sdk_error;
use std::fmt;

/// The SDK service ids the agent's error texts name.
pub const SSM_SERVICE_ID: &str = "SSM";
pub const SM_SERVICE_ID: &str = "Secrets Manager";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientError {
    /// The service answered with an AWS error (`ParameterNotFound`, `NoSuchEntity`, …).
    Service {
        status: u16,
        request_id: String,
        code: String,
        /// Empty when the error carried none.
        message: String,
    },
    /// No answer: the endpoint could not be reached, or the request could not be made (no
    /// credentials, no region, a timeout…); the cause chain as text.
    Transport(String),
}

impl ClientError {
    /// The AWS error code, for service errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Service { code, .. } => Some(code),
            ClientError::Transport(_) => None,
        }
    }

    pub fn is(&self, code: &str) -> bool {
        self.code() == Some(code)
    }

    pub fn is_access_denied(&self) -> bool {
        self.is("AccessDeniedException")
    }

    /// The error as the ECS agent's SDK (aws-sdk-go-v2) prints it.
    pub fn sdk_text(&self, service_id: &str, operation: &str) -> String {
        match self {
            ClientError::Service { status, request_id, code, message } => {
                go_sdk_error(service_id, operation, *status, request_id, code, message)
            }
            ClientError::Transport(m) => format!("operation error {service_id}: {operation}, {m}"),
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Service { code, message, .. } if message.is_empty() => f.write_str(code),
            ClientError::Service { code, message, .. } => write!(f, "{code}: {message}"),
            ClientError::Transport(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ClientError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_texts() {
        let e = ClientError::Service {
            status: 400,
            request_id: "r".into(),
            code: "AccessDeniedException".into(),
            message: "no".into(),
        };
        assert_eq!(
            e.sdk_text(SSM_SERVICE_ID, "GetParameters"),
            "operation error SSM: GetParameters, https response error StatusCode: 400, RequestID: r, api error AccessDeniedException: no"
        );
        assert!(e.is_access_denied());
        assert_eq!(e.to_string(), "AccessDeniedException: no");
        let t = ClientError::Transport("connection refused".into());
        assert_eq!(
            t.sdk_text(SM_SERVICE_ID, "GetSecretValue"),
            "operation error Secrets Manager: GetSecretValue, connection refused"
        );
        assert_eq!(t.code(), None);
    }
}
