//! The agents' HTTP protocol, to the byte: locally made refusals are plain text, upstream
//! errors pass through with their status as `{"__type": …, "message": …}`, answers are the
//! services' JSON.

use crate::Agent;
use crate::cache::{Entry, Key};
use crate::token;
use crate::upstream::{Body, UpstreamError};
use axum::Router;
use axum::body::Body as HttpBody;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::sync::atomic::Ordering;

const AWSCURRENT: &str = "AWSCURRENT";

pub(crate) fn router(agent: Arc<Agent>) -> Router {
    Router::new().fallback(handle).with_state(agent)
}

async fn handle(State(agent): State<Arc<Agent>>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let Ok(_permit) = agent.permits.try_acquire() else {
        return text(StatusCode::TOO_MANY_REQUESTS, "Connection limit exceeded");
    };
    if method != Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "Not allowed");
    }
    let path = uri.path();
    if path == "/ping" {
        return text(StatusCode::OK, "healthy");
    }
    if headers.contains_key("x-forwarded-for") {
        return text(StatusCode::BAD_REQUEST, "Forwarded");
    }
    let given = agent.config.ssrf_headers.iter().find_map(|name| headers.get(name.as_str()));
    if !given.is_some_and(|v| token::matches(&agent.token, v.as_bytes())) {
        return text(StatusCode::FORBIDDEN, "Bad Token");
    }
    let query = uri.query().unwrap_or("");
    let result = match path {
        "/metrics" => return metrics(&agent),
        "/secretsmanager/get" => match SecretRequest::parse(None, query) {
            Ok(request) => secret(&agent, request).await,
            Err(refusal) => return refusal.into_response(),
        },
        "/systemsmanager/parameters/get" => match ParameterRequest::parse(query) {
            Ok(request) => parameter(&agent, request).await,
            Err(refusal) => return refusal.into_response(),
        },
        _ => match path.strip_prefix(agent.config.path_prefix.as_str()) {
            Some(id) => {
                // A path, not a form: `+` is a `+` (names may hold one), `%2F` a `/`.
                let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy().into_owned();
                match SecretRequest::parse(Some(id), query) {
                    Ok(request) => secret(&agent, request).await,
                    Err(refusal) => return refusal.into_response(),
                }
            }
            None => return text(StatusCode::NOT_FOUND, "Not found"),
        },
    };
    match result {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => {
            agent.metrics.upstream_errors.fetch_add(1, Ordering::Relaxed);
            upstream_error(&e)
        }
    }
}

/// A request the agent refuses itself: 400 with the reason as plain text.
struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        text(StatusCode::BAD_REQUEST, &self.0)
    }
}

/// `GET /secretsmanager/get?secretId=…` or `GET <prefix><secretId>?…`.
struct SecretRequest {
    secret_id: String,
    version_id: Option<String>,
    version_stage: Option<String>,
    refresh_now: bool,
}

impl SecretRequest {
    fn parse(path_id: Option<String>, query: &str) -> Result<Self, BadRequest> {
        let mut request =
            Self { secret_id: path_id.unwrap_or_default(), version_id: None, version_stage: None, refresh_now: false };
        let from_path = !request.secret_id.is_empty();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                "secretId" if !from_path => request.secret_id = value.into_owned(),
                "versionId" => request.version_id = Some(value.into_owned()),
                "versionStage" => request.version_stage = Some(value.into_owned()),
                "refreshNow" => request.refresh_now = boolean("refreshNow", &value)?,
                other => return Err(BadRequest(format!("unknown parameter: {other}"))),
            }
        }
        if request.secret_id.is_empty() {
            return Err(BadRequest("missing parameter secretId".into()));
        }
        Ok(request)
    }

    fn key(&self) -> Key {
        Key::Secret {
            secret_id: self.secret_id.clone(),
            version_id: self.version_id.clone(),
            version_stage: self.version_stage.clone(),
        }
    }
}

/// `GET /systemsmanager/parameters/get?name=…[&version=…|&label=…][&withDecryption=…]`.
struct ParameterRequest {
    /// The name with the selector (`name:3`, `name:prod`) GetParameter takes.
    name: String,
    with_decryption: bool,
}

impl ParameterRequest {
    fn parse(query: &str) -> Result<Self, BadRequest> {
        let (mut name, mut selector, mut with_decryption) = (String::new(), None, false);
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "name" => name = value.into_owned(),
                // When both are given, the first one counts (the extension's documented rule).
                "version" | "label" => {
                    selector.get_or_insert_with(|| value.into_owned());
                }
                "withDecryption" => with_decryption = boolean("withDecryption", &value)?,
                other => return Err(BadRequest(format!("unknown parameter: {other}"))),
            }
        }
        if name.is_empty() {
            return Err(BadRequest("missing parameter name".into()));
        }
        if let Some(selector) = selector {
            name = format!("{name}:{selector}");
        }
        Ok(Self { name, with_decryption })
    }
}

fn boolean(name: &str, value: &str) -> Result<bool, BadRequest> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(BadRequest(format!("invalid value for {name}: {other}"))),
    }
}

async fn secret(agent: &Agent, request: SecretRequest) -> Result<Arc<Body>, UpstreamError> {
    let key = request.key();
    let ttl = agent.config.secret_ttl();
    let cached = if request.refresh_now { None } else { agent.cache.get(&key) };
    if let Some(entry) = &cached {
        if entry.is_fresh(ttl) {
            return Ok(hit(agent, entry, "fresh"));
        }
        match still_current(agent, &request, entry).await {
            Ok(true) => {
                agent.cache.confirm(&key);
                return Ok(hit(agent, entry, "revalidated"));
            }
            Ok(false) => {}
            Err(e) => return stale_or(agent, entry, e),
        }
    }
    agent.metrics.misses.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(kind = "secret", "cache miss");
    let fetched = agent.upstream.get_secret_value(
        &request.secret_id,
        request.version_id.as_deref(),
        request.version_stage.as_deref(),
    );
    match fetched.await {
        Ok(value) => Ok(store(agent, key, Entry::new(value.body, Some(value.version_id)), ttl.is_zero())),
        Err(e) => match &cached {
            Some(entry) => stale_or(agent, entry, e),
            None => Err(e),
        },
    }
}

/// Whether the cached version still answers the request: a version id always names the same
/// value; a stage (AWSCURRENT by default) must still be on the cached version.
async fn still_current(agent: &Agent, request: &SecretRequest, entry: &Entry) -> Result<bool, UpstreamError> {
    if request.version_id.is_some() && request.version_stage.is_none() {
        return Ok(true);
    }
    let stage = request.version_stage.as_deref().unwrap_or(AWSCURRENT);
    let stages = agent.upstream.secret_stages(&request.secret_id).await?;
    Ok(entry.version_id.as_ref().and_then(|v| stages.get(v)).is_some_and(|s| s.iter().any(|s| s == stage)))
}

async fn parameter(agent: &Agent, request: ParameterRequest) -> Result<Arc<Body>, UpstreamError> {
    let key = Key::Parameter { name: request.name.clone(), with_decryption: request.with_decryption };
    let ttl = agent.config.parameter_ttl();
    let cached = agent.cache.get(&key);
    if let Some(entry) = &cached
        && entry.is_fresh(ttl)
    {
        return Ok(hit(agent, entry, "fresh"));
    }
    agent.metrics.misses.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(kind = "parameter", "cache miss");
    match agent.upstream.get_parameter(&request.name, request.with_decryption).await {
        Ok(body) => Ok(store(agent, key, Entry::new(body, None), ttl.is_zero())),
        Err(e) => match &cached {
            Some(entry) => stale_or(agent, entry, e),
            None => Err(e),
        },
    }
}

fn hit(agent: &Agent, entry: &Entry, how: &'static str) -> Arc<Body> {
    agent.metrics.hits.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(how, "cache hit");
    entry.body.clone()
}

/// Keeps a fresh answer (unless caching is off) and returns its body.
fn store(agent: &Agent, key: Key, entry: Entry, no_cache: bool) -> Arc<Body> {
    let body = entry.body.clone();
    if !no_cache {
        agent.cache.put(key, entry);
    }
    body
}

/// The cached value when the upstream failed transiently and the agent may serve stale
/// values; the error otherwise.
fn stale_or(agent: &Agent, entry: &Entry, e: UpstreamError) -> Result<Arc<Body>, UpstreamError> {
    if agent.config.ignore_transient_errors && e.is_transient() {
        agent.metrics.stale.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(error = ?e, "upstream unavailable: serving the cached value");
        return Ok(entry.body.clone());
    }
    Err(e)
}

fn metrics(agent: &Agent) -> Response {
    let m = &agent.metrics;
    let body = format!(
        "# TYPE coffer_agent_cache_hits_total counter\ncoffer_agent_cache_hits_total {}\n\
         # TYPE coffer_agent_cache_misses_total counter\ncoffer_agent_cache_misses_total {}\n\
         # TYPE coffer_agent_stale_served_total counter\ncoffer_agent_stale_served_total {}\n\
         # TYPE coffer_agent_upstream_errors_total counter\ncoffer_agent_upstream_errors_total {}\n\
         # TYPE coffer_agent_cache_entries gauge\ncoffer_agent_cache_entries {}\n",
        m.hits.load(Ordering::Relaxed),
        m.misses.load(Ordering::Relaxed),
        m.stale.load(Ordering::Relaxed),
        m.upstream_errors.load(Ordering::Relaxed),
        agent.cache.len(),
    );
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    response
}

fn text(status: StatusCode, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message.to_owned()).into_response()
}

/// The cached body itself, lent to a response: no copy of a value is made, and the last
/// holder (cache or response) wipes it.
struct Shared(Arc<Body>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

fn json(status: StatusCode, body: Arc<Body>) -> Response {
    let mut response = Response::new(HttpBody::from(bytes::Bytes::from_owner(Shared(body))));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn upstream_error(e: &UpstreamError) -> Response {
    let (status, code, message) = match e {
        UpstreamError::Service { status, code, message } => {
            (StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY), code.as_str(), message.as_str())
        }
        UpstreamError::Timeout => (StatusCode::GATEWAY_TIMEOUT, "TimeoutError", "the upstream did not answer in time"),
        UpstreamError::Connection(m) => (StatusCode::BAD_GATEWAY, "ConnectionError", m.as_str()),
        UpstreamError::Other(m) => {
            tracing::error!(error = %m, "upstream call failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "")
        }
    };
    let mut body = serde_json::Map::new();
    body.insert("__type".into(), code.into());
    if !message.is_empty() {
        body.insert("message".into(), message.into());
    }
    let mut response = Response::new(HttpBody::from(serde_json::Value::Object(body).to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
