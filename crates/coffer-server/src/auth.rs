//! Who signed a request: SigV4 verification against the root credentials or an access key
//! from the store, with the caller's identity policies parsed once and cached briefly.

use crate::sigv4::{self, AuthFailure, Authorization};
use axum::http::{HeaderMap, Method, Uri};
use coffer_api::Principal;
use coffer_api::authz::identity_policies;
use coffer_core::Timestamp;
use coffer_core::policy::Policy;
use coffer_store::Store;
use coffer_store::credentials::RootCredentials;
use coffer_store::iam::{AccessKeyRecord, session_token_hash};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

/// How long a looked-up access key (with its policies) is reused. Like IAM itself, changes
/// to keys and policies take effect within seconds rather than instantly.
pub const CACHE_TTL: Duration = Duration::from_secs(5);
const CACHE_MAX: usize = 10_000;

/// An authenticated caller.
#[derive(Debug)]
pub struct Caller {
    pub access_key_id: String,
    pub account: String,
    pub principal: Principal,
    pub policies: Arc<Vec<Policy>>,
    pub tags: Arc<Vec<(String, String)>>,
    secret: SecretString,
    session_token_hash: Option<String>,
    expires: Option<Timestamp>,
    active: bool,
}

impl Caller {
    fn root(creds: &RootCredentials, account: &str) -> Self {
        Self {
            access_key_id: creds.access_key_id.clone(),
            account: account.to_owned(),
            principal: Principal::Root,
            policies: Arc::default(),
            tags: Arc::default(),
            secret: creds.secret_access_key.clone(),
            session_token_hash: None,
            expires: None,
            active: true,
        }
    }

    fn from_record(record: AccessKeyRecord) -> Self {
        let policies = identity_policies(&record.policies);
        Self {
            principal: Principal::from_access_key(&record),
            access_key_id: record.access_key_id,
            account: record.account,
            policies: Arc::new(policies),
            tags: Arc::new(record.tags),
            secret: record.secret_access_key,
            session_token_hash: record.session_token_hash,
            expires: record.expires,
            active: record.status == "Active",
        }
    }
}

pub struct Authenticator {
    store: Store,
    root: Arc<Caller>,
    cache: RwLock<HashMap<String, (Instant, Arc<Caller>)>>,
}

/// A verified request: who, and the region of its credential scope.
pub struct Verified {
    pub caller: Arc<Caller>,
    pub region: String,
}

impl Authenticator {
    pub fn new(store: Store, root: &RootCredentials, account: &str) -> Self {
        Self { store, root: Arc::new(Caller::root(root, account)), cache: RwLock::default() }
    }

    async fn lookup(&self, access_key_id: &str) -> Result<Option<Arc<Caller>>, AuthFailure> {
        if access_key_id == self.root.access_key_id {
            return Ok(Some(self.root.clone()));
        }
        if let Some((at, caller)) = self.cache.read().ok().and_then(|c| c.get(access_key_id).cloned())
            && at.elapsed() < CACHE_TTL
        {
            return Ok(Some(caller));
        }
        let record = self.store.access_key(access_key_id).await.map_err(|e| {
            tracing::error!(error = %e, "access key lookup failed");
            AuthFailure::Unavailable
        })?;
        let Some(record) = record else { return Ok(None) };
        let caller = Arc::new(Caller::from_record(record));
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
            cache.insert(access_key_id.to_owned(), (Instant::now(), caller.clone()));
        }
        Ok(Some(caller))
    }

    /// Verifies the request's signature for `service` (`ssm`, `secretsmanager`, `sts`, `iam`).
    pub async fn authenticate(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        service: &str,
    ) -> Result<Verified, (AuthFailure, Option<String>)> {
        let auth = sigv4::parse_authorization(headers).map_err(|f| (f, None))?;
        let claimed = Some(auth.access_key_id.to_owned());
        self.verify(method, uri, headers, body, service, &auth).await.map_err(|f| (f, claimed))
    }

    async fn verify(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        service: &str,
        auth: &Authorization<'_>,
    ) -> Result<Verified, AuthFailure> {
        if auth.service != service {
            return Err(AuthFailure::WrongService(service.to_owned()));
        }
        let time = sigv4::check_time(headers, auth, SystemTime::now())?;
        let caller = self.lookup(auth.access_key_id).await?.ok_or(AuthFailure::UnknownKey)?;
        if !caller.active {
            return Err(AuthFailure::UnknownKey);
        }
        if let Some(expected) = &caller.session_token_hash {
            let token =
                headers.get("x-amz-security-token").and_then(|v| v.to_str().ok()).ok_or(AuthFailure::UnknownKey)?;
            if aws_lc_rs::constant_time::verify_slices_are_equal(
                session_token_hash(token).as_bytes(),
                expected.as_bytes(),
            )
            .is_err()
            {
                return Err(AuthFailure::UnknownKey);
            }
        }
        sigv4::verify_signature(method, uri, headers, body, auth, time, &caller.secret)?;
        if caller.expires.is_some_and(|e| e <= Timestamp::now()) {
            return Err(AuthFailure::ExpiredToken);
        }
        Ok(Verified { caller, region: auth.region.to_owned() })
    }
}
