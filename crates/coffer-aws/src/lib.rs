//! The AWS vocabulary every Coffer layer shares: SSM parameter and Secrets Manager secret
//! names, ARNs, the (account, region) scope, timestamps, the wire error, and the wrappers that
//! keep secret values out of logs. Nothing here performs I/O, evaluates policy or reads YAML.

pub mod arn;
pub mod error;
pub mod parameter_type;
pub mod rotation_schedule;
pub mod scope;
pub mod secret;
pub mod sm_name;
pub mod ssm_name;
pub mod time;

pub use arn::{Arn, partition_for_region};
pub use error::{AwsError, MessageKey};
pub use parameter_type::ParameterType;
pub use scope::Scope;
pub use secret::SecretBytes;
pub use time::Timestamp;
