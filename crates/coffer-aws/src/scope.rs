//! The (account, region) pair every stored resource is partitioned by.

use crate::arn::partition_for_region;

/// Which account and region a request acts in. The region comes from the SigV4 credential
/// scope, the account from the authenticated principal (or `COFFER_ACCOUNT_ID`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Scope {
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Self {
        Self { account: account.into(), region: region.into() }
    }

    pub fn partition(&self) -> &'static str {
        partition_for_region(&self.region)
    }

    /// `arn:<partition>:<service>:<region>:<account>:<resource>`
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:{}:{}:{}:{}:{}", self.partition(), service, self.region, self.account, resource)
    }
}
