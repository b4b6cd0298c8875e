//! The operation registry: every operation Coffer implements, named once.
//!
//! Each service has an enum of its operations; a variant's identifier is the operation's
//! wire name (`X-Amz-Target` suffix, Query `Action`, CloudTrail `eventName`), and its IAM
//! action is `<service prefix>:<name>`. Decoding the input and dispatching to the typed method
//! is an exhaustive `match` over the enum in each service's `call`, so an operation cannot be
//! listed without being dispatched, or dispatched under a second spelling.

/// A service Coffer speaks, as SigV4, IAM and CloudTrail name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    Ssm,
    SecretsManager,
    Iam,
    Sts,
}

impl Service {
    /// The SigV4 signing name, which is also the prefix of the service's IAM actions.
    pub const fn signing_name(self) -> &'static str {
        match self {
            Service::Ssm => "ssm",
            Service::SecretsManager => "secretsmanager",
            Service::Iam => "iam",
            Service::Sts => "sts",
        }
    }

    /// CloudTrail's `eventSource`.
    pub const fn event_source(self) -> &'static str {
        match self {
            Service::Ssm => "ssm.amazonaws.com",
            Service::SecretsManager => "secretsmanager.amazonaws.com",
            Service::Iam => "iam.amazonaws.com",
            Service::Sts => "sts.amazonaws.com",
        }
    }

    /// The service of an AWS JSON 1.1 `X-Amz-Target` prefix (`AmazonSSM`, `secretsmanager`).
    pub fn from_target_prefix(prefix: &str) -> Option<Self> {
        match prefix {
            "AmazonSSM" => Some(Service::Ssm),
            "secretsmanager" => Some(Service::SecretsManager),
            _ => None,
        }
    }

    /// The operation `name` of this service, if Coffer implements it.
    pub fn operation(self, name: &str) -> Option<Operation> {
        match self {
            Service::Ssm => SsmOperation::from_name(name).map(Operation::Ssm),
            Service::SecretsManager => SecretsManagerOperation::from_name(name).map(Operation::SecretsManager),
            Service::Iam => IamOperation::from_name(name).map(Operation::Iam),
            Service::Sts => StsOperation::from_name(name).map(Operation::Sts),
        }
    }
}

macro_rules! operations {
    ($(#[$doc:meta])* $enum:ident: $service:ident($prefix:literal) { $($op:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $enum {
            $($op),*
        }

        impl $enum {
            pub const ALL: &'static [Self] = &[$(Self::$op),*];

            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($op) => Some(Self::$op),)*
                    _ => None,
                }
            }

            /// The wire name.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$op => stringify!($op)),*
                }
            }

            /// The IAM action this operation is authorized as.
            pub const fn action(self) -> &'static str {
                match self {
                    $(Self::$op => concat!($prefix, ":", stringify!($op))),*
                }
            }
        }

        impl From<$enum> for Operation {
            fn from(op: $enum) -> Self {
                Operation::$service(op)
            }
        }
    };
}

operations! {
    /// SSM Parameter Store (`AmazonSSM.*`).
    SsmOperation: Ssm("ssm") {
        PutParameter,
        GetParameter,
        GetParameters,
        GetParametersByPath,
        DeleteParameter,
        DeleteParameters,
        DescribeParameters,
        GetParameterHistory,
        LabelParameterVersion,
        UnlabelParameterVersion,
        AddTagsToResource,
        RemoveTagsFromResource,
        ListTagsForResource,
    }
}

operations! {
    /// Secrets Manager (`secretsmanager.*`).
    SecretsManagerOperation: SecretsManager("secretsmanager") {
        CreateSecret,
        GetSecretValue,
        BatchGetSecretValue,
        PutSecretValue,
        UpdateSecret,
        DescribeSecret,
        ListSecrets,
        ListSecretVersionIds,
        DeleteSecret,
        RestoreSecret,
        TagResource,
        UntagResource,
        UpdateSecretVersionStage,
        GetRandomPassword,
        PutResourcePolicy,
        GetResourcePolicy,
        DeleteResourcePolicy,
        ValidateResourcePolicy,
        RotateSecret,
        CancelRotateSecret,
        ReplicateSecretToRegions,
        RemoveRegionsFromReplication,
        StopReplicationToReplica,
    }
}

operations! {
    /// IAM (Query protocol).
    IamOperation: Iam("iam") {
        CreateUser,
        GetUser,
        ListUsers,
        DeleteUser,
        CreateAccessKey,
        ListAccessKeys,
        DeleteAccessKey,
        CreateRole,
        GetRole,
        ListRoles,
        DeleteRole,
        PutUserPolicy,
        GetUserPolicy,
        DeleteUserPolicy,
        ListUserPolicies,
        PutRolePolicy,
        GetRolePolicy,
        DeleteRolePolicy,
        ListRolePolicies,
        TagUser,
        TagRole,
        UntagUser,
        UntagRole,
        ListUserTags,
        ListRoleTags,
    }
}

operations! {
    /// STS (Query protocol), the part SDK profiles need.
    StsOperation: Sts("sts") {
        GetCallerIdentity,
        AssumeRole,
    }
}

/// Any operation of any service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    Ssm(SsmOperation),
    SecretsManager(SecretsManagerOperation),
    Iam(IamOperation),
    Sts(StsOperation),
}

impl Operation {
    pub const fn service(self) -> Service {
        match self {
            Operation::Ssm(_) => Service::Ssm,
            Operation::SecretsManager(_) => Service::SecretsManager,
            Operation::Iam(_) => Service::Iam,
            Operation::Sts(_) => Service::Sts,
        }
    }

    /// The wire name (and CloudTrail `eventName`).
    pub const fn name(self) -> &'static str {
        match self {
            Operation::Ssm(op) => op.name(),
            Operation::SecretsManager(op) => op.name(),
            Operation::Iam(op) => op.name(),
            Operation::Sts(op) => op.name(),
        }
    }

    /// The IAM action: `ssm:GetParameters`, `secretsmanager:GetSecretValue`, ….
    pub const fn action(self) -> &'static str {
        match self {
            Operation::Ssm(op) => op.action(),
            Operation::SecretsManager(op) => op.action(),
            Operation::Iam(op) => op.action(),
            Operation::Sts(op) => op.action(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_actions() {
        let op = Service::Ssm.operation("GetParameters").unwrap();
        assert_eq!(op, Operation::Ssm(SsmOperation::GetParameters));
        assert_eq!(
            (op.name(), op.action(), op.service().event_source()),
            ("GetParameters", "ssm:GetParameters", "ssm.amazonaws.com")
        );
        assert_eq!(SecretsManagerOperation::GetSecretValue.action(), "secretsmanager:GetSecretValue");
        assert_eq!(Operation::from(IamOperation::PutRolePolicy).action(), "iam:PutRolePolicy");
        assert_eq!(StsOperation::AssumeRole.action(), "sts:AssumeRole");
        // Names are exact: no case folding, no other service's operations.
        assert_eq!(Service::Ssm.operation("getparameters"), None);
        assert_eq!(Service::Sts.operation("GetParameters"), None);
        assert_eq!(Service::from_target_prefix("AmazonSSM"), Some(Service::Ssm));
    }

    #[test]
    fn every_name_parses_back() {
        for op in SsmOperation::ALL {
            assert_eq!(SsmOperation::from_name(op.name()), Some(*op));
        }
        for op in SecretsManagerOperation::ALL {
            assert_eq!(SecretsManagerOperation::from_name(op.name()), Some(*op));
        }
        for op in IamOperation::ALL {
            assert_eq!(IamOperation::from_name(op.name()), Some(*op));
        }
        for op in StsOperation::ALL {
            assert_eq!(StsOperation::from_name(op.name()), Some(*op));
        }
    }
}
