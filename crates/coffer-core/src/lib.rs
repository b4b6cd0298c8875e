//! Coffer's pure domain: names and ARNs, the AWS error type, timestamps and the wrappers
//! that keep secret values out of logs. Nothing here performs I/O.

pub mod arn;
pub mod ecs;
pub mod error;
pub mod manifest;
pub mod policy;
pub mod scope;
pub mod secret;
pub mod sm_name;
pub mod ssm_name;
pub mod time;

pub use arn::{Arn, partition_for_region};
pub use error::{AwsError, MessageKey};
pub use scope::Scope;
pub use secret::SecretBytes;
pub use time::Timestamp;
