//! The request context: what is being done (action), to what (resource ARN), by whom
//! (principal), and the condition keys with their values. The caller fills it; nothing here
//! reads the clock or the network.

use std::collections::HashMap;
use std::net::IpAddr;

use super::date::format_iso8601;
use super::glob::{Resolve, Var};
use coffer_aws::arn::Arn;
use coffer_aws::time::Timestamp;

/// Who makes the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// An IAM identity by ARN: `arn:aws:iam::123456789012:user/alice`,
    /// `arn:aws:sts::123456789012:assumed-role/Role/session`, `arn:aws:iam::123456789012:root`.
    Aws(String),
    /// An AWS service principal, such as `ecs-tasks.amazonaws.com`.
    Service(String),
    /// A federated identity provider (`cognito-identity.amazonaws.com`, a SAML/OIDC provider ARN).
    Federated(String),
    /// An unauthenticated caller. Matches only `"Principal": "*"`.
    Anonymous,
}

impl Principal {
    pub fn aws(arn: impl Into<String>) -> Self {
        Self::Aws(arn.into())
    }

    pub fn service(name: impl Into<String>) -> Self {
        Self::Service(name.into())
    }

    /// The principal's ARN, for IAM identities.
    pub fn arn(&self) -> Option<&str> {
        match self {
            Self::Aws(arn) => Some(arn),
            _ => None,
        }
    }

    /// The account an IAM identity belongs to.
    pub fn account(&self) -> Option<&str> {
        self.parsed().map(|a| a.account).filter(|a| !a.is_empty())
    }

    /// Is this the account's root user (`arn:…:iam::<account>:root`)?
    pub fn is_account_root(&self) -> bool {
        self.parsed().is_some_and(|a| a.service == "iam" && a.resource == "root")
    }

    /// For an assumed-role session `arn:P:sts::A:assumed-role/Role/session`: `(P, A, Role)`.
    pub(crate) fn assumed_role(&self) -> Option<(&str, &str, &str)> {
        let a = self.parsed()?;
        let rest = a.resource.strip_prefix("assumed-role/").filter(|_| a.service == "sts")?;
        let (role, _session) = rest.split_once('/')?;
        Some((a.partition, a.account, role))
    }

    fn parsed(&self) -> Option<Arn<'_>> {
        Arn::parse(self.arn()?).ok()
    }
}

/// One request, as policies see it.
///
/// Condition keys are case-insensitive (`aws:SourceIp` = `AWS:SOURCEIP`); every key holds a
/// list of values (one for single-valued keys, a set for keys such as `aws:TagKeys`). A key
/// with no values is the same as an absent key.
#[derive(Clone, Debug)]
pub struct RequestContext {
    action: String,
    resource: String,
    principal: Principal,
    keys: HashMap<String, Vec<String>>,
}

impl RequestContext {
    /// `action` as `service:Operation` (`ssm:GetParameters`), `resource` as an ARN (or `*`).
    /// The principal starts as [`Principal::Anonymous`].
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self { action: action.into(), resource: resource.into(), principal: Principal::Anonymous, keys: HashMap::new() }
    }

    /// The request `principal` makes to assume the role `role_arn` (`sts:AssumeRole`).
    pub fn assume_role(principal: Principal, role_arn: impl Into<String>) -> Self {
        Self::new("sts:AssumeRole", role_arn).with_principal(principal)
    }

    pub fn action(&self) -> &str {
        &self.action
    }

    pub fn resource(&self) -> &str {
        &self.resource
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The service prefix of the action (`ssm` for `ssm:GetParameters`).
    pub fn service(&self) -> Option<&str> {
        self.action.split_once(':').map(|(service, _)| service)
    }

    /// The values of a condition key (any case), `None` if absent or empty.
    pub fn values(&self, key: &str) -> Option<&[String]> {
        if key.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
            self.values_lower(key)
        } else {
            self.values_lower(&key.to_lowercase())
        }
    }

    /// Lookup with a key already lower-cased (what compiled policies hold): no allocation.
    pub(crate) fn values_lower(&self, key: &str) -> Option<&[String]> {
        self.keys.get(key).map(Vec::as_slice).filter(|v| !v.is_empty())
    }

    /// Sets the principal and the global keys AWS derives from it: `aws:PrincipalArn` (the
    /// role's ARN for a role session), `aws:PrincipalAccount`, `aws:PrincipalType`,
    /// `aws:username` (IAM users), `aws:PrincipalServiceName` (services).
    pub fn with_principal(mut self, principal: Principal) -> Self {
        self.set_principal(principal);
        self
    }

    pub fn set_principal(&mut self, principal: Principal) {
        for key in ["aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:username"] {
            self.keys.remove(key);
        }
        self.keys.remove("aws:principalservicename");
        if let Principal::Service(name) = &principal {
            self.insert("aws:PrincipalServiceName", [name.clone()]);
        }
        if let Some(arn) = principal.arn().and_then(|a| Arn::parse(a).ok()) {
            let (kind, principal_arn, username) = match arn.resource.split_once('/') {
                _ if arn.resource == "root" => ("Account", arn_string(&arn), None),
                Some(("user", path)) => ("User", arn_string(&arn), path.rsplit('/').next()),
                Some(("assumed-role", rest)) => {
                    let role = rest.split_once('/').map_or(rest, |(role, _)| role);
                    let role_arn = format!("arn:{}:iam::{}:role/{role}", arn.partition, arn.account);
                    ("AssumedRole", role_arn, None)
                }
                Some(("role", _)) => ("AssumedRole", arn_string(&arn), None),
                Some(("federated-user", _)) => ("FederatedUser", arn_string(&arn), None),
                _ => ("", arn_string(&arn), None),
            };
            self.insert("aws:PrincipalArn", [principal_arn]);
            if !arn.account.is_empty() {
                self.insert("aws:PrincipalAccount", [arn.account.to_string()]);
            }
            if !kind.is_empty() {
                self.insert("aws:PrincipalType", [kind.to_string()]);
            }
            if let Some(name) = username {
                self.insert("aws:username", [name.to_string()]);
            }
        }
        self.principal = principal;
    }

    /// Sets a condition key to one value (replacing what it had).
    pub fn with_key(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, [value.into()]);
        self
    }

    /// Sets a condition key to several values (a multivalued key such as `aws:TagKeys`).
    pub fn with_values<I, S>(mut self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.insert(key, values);
        self
    }

    /// Sets (replaces) a condition key's values.
    pub fn insert<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.keys.insert(key.to_lowercase(), values.into_iter().map(Into::into).collect());
    }

    /// Removes a condition key.
    pub fn remove(&mut self, key: &str) {
        self.keys.remove(&key.to_lowercase());
    }

    /// The tags of the resource acted on, as both `aws:ResourceTag/<k>` and the action's
    /// service form (`ssm:ResourceTag/<k>`, `secretsmanager:ResourceTag/<k>`).
    pub fn with_resource_tags<I, K, V>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let service = self.service().filter(|s| *s != "aws").map(str::to_owned);
        for (k, v) in tags {
            let v = v.into();
            if let Some(service) = &service {
                self.insert(&format!("{service}:ResourceTag/{}", k.as_ref()), [v.clone()]);
            }
            self.insert(&format!("aws:ResourceTag/{}", k.as_ref()), [v]);
        }
        self
    }

    /// The tags a request carries (`aws:RequestTag/<k>`), and their keys as `aws:TagKeys`.
    pub fn with_request_tags<I, K, V>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut keys = Vec::new();
        for (k, v) in tags {
            self.insert(&format!("aws:RequestTag/{}", k.as_ref()), [v.into()]);
            keys.push(k.as_ref().to_string());
        }
        self.insert("aws:TagKeys", keys);
        self
    }

    /// The caller's own tags (`aws:PrincipalTag/<k>`).
    pub fn with_principal_tags<I, K, V>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        for (k, v) in tags {
            self.insert(&format!("aws:PrincipalTag/{}", k.as_ref()), [v.into()]);
        }
        self
    }

    /// `aws:SourceIp`.
    pub fn with_source_ip(self, ip: IpAddr) -> Self {
        self.with_key("aws:SourceIp", ip.to_string())
    }

    /// `aws:CurrentTime` (ISO 8601) and `aws:EpochTime` (seconds), from a time the caller read.
    pub fn with_current_time(self, now: Timestamp) -> Self {
        let secs = now.millis().div_euclid(1000);
        self.with_key("aws:CurrentTime", format_iso8601(now.millis())).with_key("aws:EpochTime", secs.to_string())
    }

    /// `aws:SecureTransport`: whether the request came over TLS.
    pub fn with_secure_transport(self, secure: bool) -> Self {
        self.with_key("aws:SecureTransport", if secure { "true" } else { "false" })
    }
}

fn arn_string(arn: &Arn<'_>) -> String {
    format!("arn:{}:{}:{}:{}:{}", arn.partition, arn.service, arn.region, arn.account, arn.resource)
}

/// Policy variables resolve from single-valued keys; an absent or multivalued key falls back
/// to the variable's default, if it has one.
impl Resolve for RequestContext {
    fn resolve<'a>(&'a self, var: &'a Var) -> Option<&'a str> {
        match self.values_lower(&var.key) {
            Some([one]) => Some(one),
            _ => var.default.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_principal_keys() {
        let ctx = RequestContext::new("ssm:GetParameters", "*")
            .with_principal(Principal::aws("arn:aws:sts::000000000000:assumed-role/demo-test-ExecutionRole/task-1"));
        assert_eq!(ctx.values("aws:PrincipalArn").unwrap(), ["arn:aws:iam::000000000000:role/demo-test-ExecutionRole"]);
        assert_eq!(ctx.values("AWS:PRINCIPALACCOUNT").unwrap(), ["000000000000"]);
        assert_eq!(ctx.values("aws:PrincipalType").unwrap(), ["AssumedRole"]);
        assert!(ctx.values("aws:username").is_none());

        let ctx = ctx.with_principal(Principal::aws("arn:aws:iam::000000000000:user/team/alice"));
        assert_eq!(ctx.values("aws:username").unwrap(), ["alice"]);
        assert_eq!(ctx.values("aws:PrincipalType").unwrap(), ["User"]);
        assert!(!ctx.principal().is_account_root());
        assert!(Principal::aws("arn:aws:iam::000000000000:root").is_account_root());
    }

    #[test]
    fn tag_and_environment_builders() {
        let ctx = RequestContext::new("secretsmanager:CreateSecret", "*")
            .with_resource_tags([("copilot-application", "demo")])
            .with_request_tags([("a", "1"), ("b", "2")])
            .with_source_ip("10.1.2.3".parse().unwrap())
            .with_current_time(Timestamp(1_767_225_600_000))
            .with_secure_transport(true);
        assert_eq!(ctx.values("secretsmanager:ResourceTag/copilot-application").unwrap(), ["demo"]);
        assert_eq!(ctx.values("aws:ResourceTag/copilot-application").unwrap(), ["demo"]);
        assert_eq!(ctx.values("aws:TagKeys").unwrap(), ["a", "b"]);
        assert_eq!(ctx.values("aws:RequestTag/b").unwrap(), ["2"]);
        assert_eq!(ctx.values("aws:SourceIp").unwrap(), ["10.1.2.3"]);
        assert_eq!(ctx.values("aws:CurrentTime").unwrap(), ["2026-01-01T00:00:00Z"]);
        assert_eq!(ctx.values("aws:EpochTime").unwrap(), ["1767225600"]);
        assert_eq!(ctx.values("aws:SecureTransport").unwrap(), ["true"]);
        let empty = RequestContext::new("a:b", "*").with_values("aws:TagKeys", Vec::<String>::new());
        assert!(empty.values("aws:TagKeys").is_none());
    }
}
