//! Who signed a request: SigV4 verification against the root credentials or an access key
//! from the store, with the caller's identity policies parsed once and cached briefly.

use crate::sigv4::{self, AuthFailure, Authorization};
use axum::http::{HeaderMap, Method, Uri};
use coffer_aws::Timestamp;
use coffer_services::Principal;
use coffer_services::authz::Identity;
use coffer_store::Store;
use coffer_store::credentials::RootCredentials;
use coffer_store::iam::{AccessKeyRecord, session_token_hash};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
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
    pub identity: Identity,
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
            identity: Identity::root(),
            secret: creds.secret_access_key.clone(),
            session_token_hash: None,
            expires: None,
            active: true,
        }
    }

    fn from_record(record: AccessKeyRecord) -> Self {
        Self {
            identity: Identity::new(Principal::from_access_key(&record), &record.policies, record.tags)
                .with_session_policy(record.session_policy.as_deref()),
            access_key_id: record.access_key_id,
            account: record.account,
            secret: record.secret_access_key,
            session_token_hash: record.session_token_hash,
            expires: record.expires,
            active: record.status == "Active",
        }
    }
}

/// One store lookup of an access key, awaited by every request that needs it meanwhile.
type PendingLookup = Arc<tokio::sync::OnceCell<Option<Arc<Caller>>>>;

pub struct Authenticator {
    store: Store,
    root: Arc<Caller>,
    cache: RwLock<HashMap<String, (Instant, Arc<Caller>)>>,
    /// Lookups under way: a new session's first requests arrive together (`coffer run` and
    /// the ECS agent fetch in parallel), and should cost one read, not one each.
    pending: Mutex<HashMap<String, PendingLookup>>,
}

/// A verified request: who, and the region of its credential scope.
pub struct Verified {
    pub caller: Arc<Caller>,
    pub region: String,
}

impl Authenticator {
    pub fn new(store: Store, root: &RootCredentials, account: &str) -> Self {
        Self { store, root: Arc::new(Caller::root(root, account)), cache: RwLock::default(), pending: Mutex::default() }
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
        let pending = {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending.entry(access_key_id.to_owned()).or_default().clone()
        };
        let found = pending.get_or_try_init(|| self.load(access_key_id)).await.cloned();
        let mut all = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if all.get(access_key_id).is_some_and(|p| Arc::ptr_eq(p, &pending)) {
            all.remove(access_key_id);
        }
        found
    }

    /// Reads an access key (with its principal's policies and tags) and caches it.
    async fn load(&self, access_key_id: &str) -> Result<Option<Arc<Caller>>, AuthFailure> {
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
        sigv4::check_signed_headers(headers, auth)?;
        let time = sigv4::check_time(headers, auth, SystemTime::now())?;
        let caller = self.lookup(auth.access_key_id).await?.ok_or(AuthFailure::UnknownKey)?;
        if !caller.active {
            return Err(AuthFailure::UnknownKey);
        }
        // A session token belongs with temporary (`ASIA…`) credentials only; AWS refuses one
        // sent with a long-term key as an invalid token.
        if caller.session_token_hash.is_none() && headers.contains_key("x-amz-security-token") {
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

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_aws::Scope;
    use coffer_services::RequestContext;
    use coffer_services::iam::Iam;
    use coffer_services::iam::model::{CreateAccessKeyInput, CreateUserInput};
    use coffer_store::{Concurrency, Keyring, MasterKey, StoreOptions};

    /// A new key's first requests arrive together: they share one lookup (one `Caller`), and
    /// nothing is left pending. An unknown key is answered as such, and not remembered.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_first_requests_share_one_lookup() {
        let nanos = SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!("coffer-auth-test-{}-{nanos}", std::process::id()));
        let options = StoreOptions { data_dir: dir.clone(), concurrency: Concurrency::Server, ..Default::default() };
        let store = Store::open(&options, Keyring::new(MasterKey::generate().unwrap())).await.unwrap();
        let iam = Iam::new(store.clone());
        let ctx = RequestContext::root(Scope::new("000000000000", "us-east-1"), "test".to_owned());
        let user = CreateUserInput { user_name: "ci".into(), path: None, tags: Vec::new() };
        iam.create_user(&ctx, user).await.unwrap();
        let key = iam.create_access_key(&ctx, CreateAccessKeyInput { user_name: Some("ci".into()) }).await.unwrap();
        let key_id = key.access_key.access_key_id;

        let root = RootCredentials {
            access_key_id: "AKIAROOTROOTROOTROOT".into(),
            secret_access_key: SecretString::from("root-secret".to_owned()),
        };
        let auth = Arc::new(Authenticator::new(store, &root, "000000000000"));
        let lookups: Vec<_> = (0..8)
            .map(|_| {
                let (auth, key_id) = (auth.clone(), key_id.clone());
                tokio::spawn(async move { auth.lookup(&key_id).await })
            })
            .collect();
        let mut callers = Vec::new();
        for lookup in lookups {
            callers.push(lookup.await.unwrap().ok().flatten().expect("the key is found"));
        }
        assert!(callers.windows(2).all(|w| Arc::ptr_eq(&w[0], &w[1])), "one lookup served all eight");
        assert_eq!(callers[0].access_key_id, key_id);
        assert!(auth.pending.lock().unwrap().is_empty());

        assert!(auth.lookup("AKIANOSUCHKEY0000000").await.ok().flatten().is_none());
        assert!(auth.pending.lock().unwrap().is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }
}
