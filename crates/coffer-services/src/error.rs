//! Why an operation failed, mapped to the wire once, at the edge ([`OpError::into_aws`]).
//!
//! Operations return service errors already worded as AWS words them ([`AwsError`], built by
//! each service's `errors` module), refusals by policy as a typed [`Denial`], and store
//! failures as they are; `?` converts all three. Only the edge knows the service and its
//! protocol, so only it decides a denial's code and status and the internal error's code.

use crate::operation::Service;
use coffer_aws::{AwsError, MessageKey};
use coffer_policy::Denial;
use coffer_store::StoreError;

#[derive(Debug)]
pub enum OpError {
    /// An answer for the client, in the service's own codes and wording.
    Aws(AwsError),
    /// No policy allowed the action, or one denied it: `AccessDeniedException` (400) from the
    /// JSON services, `AccessDenied` (403) from the Query services.
    AccessDenied(Denial),
    /// The store failed: logged with its cause, answered as the service's internal error
    /// without detail.
    Store(StoreError),
}

pub type OpResult<T> = Result<T, OpError>;

impl From<AwsError> for OpError {
    fn from(e: AwsError) -> Self {
        OpError::Aws(e)
    }
}

impl From<Denial> for OpError {
    fn from(d: Denial) -> Self {
        OpError::AccessDenied(d)
    }
}

impl From<StoreError> for OpError {
    fn from(e: StoreError) -> Self {
        OpError::Store(e)
    }
}

impl OpError {
    /// The error as `service` answers it on the wire.
    pub fn into_aws(self, service: Service) -> AwsError {
        match self {
            OpError::Aws(e) => e,
            OpError::AccessDenied(denial) => match service {
                Service::Ssm | Service::SecretsManager => {
                    AwsError::new("AccessDeniedException", MessageKey::Upper, denial.to_string())
                }
                Service::Iam | Service::Sts => {
                    AwsError::new("AccessDenied", MessageKey::Upper, denial.to_string()).with_status(403)
                }
            },
            OpError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                internal(service)
            }
        }
    }

    /// Whether the service failed (rather than the request): such errors end a batch
    /// operation instead of being reported per item.
    pub fn is_internal(&self) -> bool {
        matches!(self, OpError::Store(_))
    }
}

/// `service`'s internal error, without detail for the client (details go to the log, with
/// the request id).
pub fn internal(service: Service) -> AwsError {
    let code = match service {
        Service::Ssm => "InternalServerError",
        Service::SecretsManager => "InternalServiceError",
        Service::Iam => "ServiceFailure",
        Service::Sts => "InternalFailure",
    };
    AwsError::new(code, MessageKey::Upper, "An internal error occurred.").with_status(500)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_per_service() {
        let denial = Denial::implicit("arn:aws:iam::1:user/u", "iam:GetUser", "arn:aws:iam::1:user/v");
        let query = OpError::from(denial.clone()).into_aws(Service::Iam);
        assert_eq!((query.code.as_ref(), query.status, query.key), ("AccessDenied", 403, MessageKey::Upper));
        assert_eq!(
            query.message.as_deref(),
            Some(
                "User: arn:aws:iam::1:user/u is not authorized to perform: iam:GetUser on resource: arn:aws:iam::1:user/v because no identity-based policy allows the iam:GetUser action"
            )
        );
        let json = OpError::from(denial.naming("v")).into_aws(Service::SecretsManager);
        assert_eq!((json.code.as_ref(), json.status), ("AccessDeniedException", 400));
        assert!(json.message.unwrap().contains("on resource: v because"));
        for (service, code) in [
            (Service::Ssm, "InternalServerError"),
            (Service::SecretsManager, "InternalServiceError"),
            (Service::Iam, "ServiceFailure"),
            (Service::Sts, "InternalFailure"),
        ] {
            let e = OpError::Store(StoreError::Corrupt("x".into())).into_aws(service);
            assert_eq!(
                (e.code.as_ref(), e.status, e.message.as_deref()),
                (code, 500, Some("An internal error occurred."))
            );
        }
        let other = OpError::from(AwsError::bare("InvalidResourceId")).into_aws(Service::Ssm);
        assert_eq!(other, AwsError::bare("InvalidResourceId"));
    }
}
