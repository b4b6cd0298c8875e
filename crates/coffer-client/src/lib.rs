//! The client side of Coffer, as traits with two implementations each: in-process on the
//! local store (`coffer-local`) and aws-sdk-rust against any endpoint, real AWS included
//! (`coffer-remote`).
//!
//! - [`Backend`]: the AWS operations the Copilot workflow performs (PutParameter, CreateRole, …);
//! - [`SecretSource`]: the reads the ECS agent makes at task start, and [`resolve`] over it;
//! - [`VersionWatch`]: which version each reference names now, without its value (for
//!   `coffer run --watch`);
//! - [`ClientError`]: how either failed — an AWS error answer, or no answer.
//!
//! Secret values travel as [`SecretString`](coffer_aws::secret::SecretString): nothing here
//! prints one.

mod backend;
mod error;
mod resolve;
mod secrets;
mod versions;

#[cfg(test)]
mod test_support;

pub use backend::{Backend, Identity, NewParameter, NewRole, Parameter, ParameterAttributes, ParameterInfo, Role, Tag};
pub use error::{ClientError, SM_SERVICE_ID, SSM_SERVICE_ID};
pub use resolve::{
    FetchedParameters, FetchedSecret, ParameterValue, ParameterVersions, Resolution, SecretSource, Tags,
    parameter_name_of, resolve, sm_request_outcome, ssm_batch_outcome,
};
pub use secrets::{NewSecret, ReplicaInfo, RotationInfo, SecretInfo, SecretPayload, SecretValue, SecretVersion};
pub use versions::{VersionCheck, VersionWatch, Versions};
