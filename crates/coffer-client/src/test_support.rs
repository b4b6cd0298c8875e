//! What the unit tests' fake sources share.

use crate::ClientError;

/// An AccessDeniedException as a source reports it.
pub fn denied() -> ClientError {
    ClientError::Service {
        status: 400,
        request_id: "r".into(),
        code: "AccessDeniedException".into(),
        message: "not authorized".into(),
    }
}
