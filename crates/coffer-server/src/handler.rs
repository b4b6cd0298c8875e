//! The one endpoint: `POST /` in either AWS protocol.
//!
//! - AWS JSON 1.1 (SSM, Secrets Manager): `X-Amz-Target: <Service>.<Operation>`, JSON body.
//! - AWS Query (STS, IAM): form-encoded `Action=…&Version=…`, XML response; the service is
//!   the one the SigV4 credential scope names.
//!
//! Every request: read the body (capped) → authenticate (SigV4) → authorize and run the
//! operation → audit → respond with `x-amzn-RequestId`.

use crate::AppState;
use crate::auth::Verified;
use crate::listen::Peer;
use crate::sigv4::{self, AuthFailure};
use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use coffer_aws::{AwsError, MessageKey, Scope};
use coffer_services::authz::Network;
use coffer_services::invoke::{self, Invocation, Origin};
use coffer_services::{RequestContext, Service, query};
use std::sync::Arc;
use std::time::Instant;

const JSON_1_1: &str = "application/x-amz-json-1.1";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Json,
    Query,
}

/// Which service a request is for, and the operation as the client named it.
struct Target {
    protocol: Protocol,
    service: Service,
    operation: String,
}

pub async fn health(State(state): State<Arc<AppState>>) -> Response {
    let body = serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "backend": state.store.backend().name(),
    });
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn respond(
    protocol: Protocol,
    service: Option<Service>,
    request_id: &str,
    result: Result<Vec<u8>, AwsError>,
) -> Response {
    let (status, body, error_type) = match result {
        Ok(body) => (StatusCode::OK, body, None),
        Err(err) => {
            let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST);
            let body = match protocol {
                Protocol::Json => err.to_json().to_string().into_bytes(),
                Protocol::Query => {
                    let ns = match service {
                        Some(Service::Sts) => coffer_services::sts::NAMESPACE,
                        _ => coffer_services::iam::NAMESPACE,
                    };
                    query::error_xml_ns(ns, &err, request_id, err.status < 500).into_bytes()
                }
            };
            (status, body, Some(err.code.into_owned()))
        }
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let content_type = if protocol == Protocol::Json { JSON_1_1 } else { "text/xml" };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    if let Some(code) = error_type.filter(|_| protocol == Protocol::Json).and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert("X-Amzn-ErrorType", code);
    }
    response
}

fn unknown_operation(target: &str) -> AwsError {
    let shown = if target.is_empty() { "(no X-Amz-Target header)" } else { target };
    AwsError::new("UnknownOperationException", MessageKey::Upper, format!("Unknown operation {shown}"))
}

/// The wire error for an authentication failure, in the protocol's own codes.
fn auth_error(protocol: Protocol, failure: AuthFailure) -> AwsError {
    const INVALID_TOKEN: &str = "The security token included in the request is invalid.";
    const BAD_SIGNATURE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
    const EXPIRED_TOKEN: &str = "The security token included in the request is expired";
    let json = protocol == Protocol::Json;
    let (code, message, status): (&'static str, String, u16) = match failure {
        AuthFailure::Missing if json => {
            ("MissingAuthenticationTokenException", "Missing Authentication Token".into(), 400)
        }
        AuthFailure::Missing => ("MissingAuthenticationToken", "Request is missing Authentication Token".into(), 403),
        AuthFailure::Incomplete(m) if json => ("IncompleteSignatureException", m, 400),
        AuthFailure::Incomplete(m) => ("IncompleteSignature", m, 400),
        AuthFailure::UnknownKey if json => ("UnrecognizedClientException", INVALID_TOKEN.into(), 400),
        AuthFailure::UnknownKey => ("InvalidClientTokenId", INVALID_TOKEN.into(), 403),
        AuthFailure::BadSignature if json => ("InvalidSignatureException", BAD_SIGNATURE.into(), 400),
        AuthFailure::BadSignature => ("SignatureDoesNotMatch", BAD_SIGNATURE.into(), 403),
        AuthFailure::Expired(m) | AuthFailure::WrongDate(m) if json => ("InvalidSignatureException", m, 400),
        AuthFailure::Expired(m) | AuthFailure::WrongDate(m) => ("SignatureDoesNotMatch", m, 403),
        AuthFailure::WrongService(s) if json => {
            ("InvalidSignatureException", format!("Credential should be scoped to correct service: '{s}'. "), 400)
        }
        AuthFailure::WrongService(s) => {
            ("SignatureDoesNotMatch", format!("Credential should be scoped to correct service: '{s}'. "), 403)
        }
        AuthFailure::ExpiredToken if json => ("ExpiredTokenException", EXPIRED_TOKEN.into(), 400),
        AuthFailure::ExpiredToken => ("ExpiredToken", EXPIRED_TOKEN.into(), 403),
        AuthFailure::Unavailable => {
            let code = if json { "InternalFailure" } else { "ServiceUnavailable" };
            (code, "The service is temporarily unable to verify credentials.".into(), 500)
        }
    };
    // The JSON protocol's authentication errors carry `message`; the Query protocol's XML
    // has its own element.
    AwsError::new(code, if json { MessageKey::Lower } else { MessageKey::Upper }, message).with_status(status)
}

fn target(headers: &HeaderMap, body: &[u8]) -> Result<Target, (Protocol, AwsError)> {
    if let Some(raw) = headers.get("x-amz-target") {
        let raw = raw.to_str().unwrap_or("");
        let (prefix, op) = raw.split_once('.').unwrap_or(("", ""));
        let Some(service) = Service::from_target_prefix(prefix) else {
            return Err((Protocol::Json, unknown_operation(raw)));
        };
        return Ok(Target { protocol: Protocol::Json, service, operation: op.to_owned() });
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err((Protocol::Json, unknown_operation("")));
    }
    let service = match sigv4::parse_authorization(headers).map(|a| a.service) {
        Ok("iam") => Service::Iam,
        // Unsigned or unknown: answer as STS would, after authentication fails below.
        _ => Service::Sts,
    };
    let action = query::Params::parse(body).action().unwrap_or_default().to_owned();
    Ok(Target { protocol: Protocol::Query, service, operation: action })
}

pub async fn handle(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<Peer>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let read =
        tokio::time::timeout(state.config.limits.body_timeout, axum::body::to_bytes(body, crate::MAX_BODY_BYTES));
    let body = match read.await {
        Ok(Ok(bytes)) => bytes,
        Err(_) => {
            let err = AwsError::new(
                "RequestTimeoutException",
                MessageKey::Upper,
                "Your socket connection to the server was not read from or written to within the timeout period.",
            )
            .with_status(408);
            return respond(Protocol::Json, None, &request_id, Err(err));
        }
        Ok(Err(_)) => {
            let err = AwsError::new(
                "RequestEntityTooLargeException",
                MessageKey::Upper,
                format!("Request body exceeds the limit of {} bytes", crate::MAX_BODY_BYTES),
            )
            .with_status(413);
            return respond(Protocol::Json, None, &request_id, Err(err));
        }
    };
    let target = match target(&headers, &body) {
        Ok(t) => t,
        Err((protocol, err)) => return respond(protocol, None, &request_id, Err(err)),
    };
    let origin = Origin {
        source_ip: Some(peer.addr.ip().to_string()),
        user_agent: headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned),
    };
    let rejected = |caller: invoke::Caller, account: &str, region: &str, err: &AwsError| {
        let request = invoke::Request {
            request_id: request_id.clone(),
            account: account.to_owned(),
            region: region.to_owned(),
            service: target.service,
            name: &target.operation,
        };
        invoke::rejected(request, caller, &origin, err)
    };

    let (result, event) =
        match state.auth.authenticate(&method, &uri, &headers, &body, target.service.signing_name()).await {
            Err((failure, claimed_key)) => {
                let err = auth_error(target.protocol, failure);
                let caller = invoke::Caller { principal_arn: None, access_key_id: claimed_key };
                let event = rejected(caller, &state.config.account_id, &state.config.default_region, &err);
                (Err(err), event)
            }
            Ok(verified) => {
                let ctx = context(&verified, &request_id, peer);
                let throttled =
                    state.throttle.as_ref().is_some_and(|t| !t.allow(ctx.access_key_id.as_deref().unwrap_or_default()));
                match target.service.operation(&target.operation) {
                    Some(op) if !throttled => {
                        let call = Invocation::new(ctx, op);
                        let result = state.services.call(op, call.ctx(), &body).await;
                        call.finish(&origin, result)
                    }
                    _ => {
                        let err = if throttled { throttling(target.protocol) } else { not_implemented(&target, &body) };
                        let caller = invoke::Caller {
                            principal_arn: Some(ctx.principal_arn.clone()),
                            access_key_id: ctx.access_key_id.clone(),
                        };
                        let event = rejected(caller, &ctx.scope.account, &ctx.scope.region, &err);
                        (Err(err), event)
                    }
                }
            }
        };
    let status = result.as_ref().map(|_| 200).unwrap_or_else(|e| e.status);
    // Never the body: it may carry a secret value.
    tracing::info!(
        request_id,
        service = target.service.signing_name(),
        operation = %target.operation,
        status,
        error = event.error_code.as_deref(),
        elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    state.auditor.record(event).await;
    respond(target.protocol, Some(target.service), &request_id, result)
}

/// AWS's answer to a caller over its request rate.
fn throttling(protocol: Protocol) -> AwsError {
    let code = match protocol {
        Protocol::Json => "ThrottlingException",
        Protocol::Query => "Throttling",
    };
    AwsError::new(code, MessageKey::Lower, "Rate exceeded")
}

/// The protocol's answer for an operation the service does not implement.
fn not_implemented(target: &Target, body: &[u8]) -> AwsError {
    match target.protocol {
        Protocol::Json => unknown_operation(&target.operation),
        Protocol::Query => {
            let version = query::Params::parse(body).version().map(str::to_owned);
            let default = match target.service {
                Service::Iam => coffer_services::iam::VERSION,
                _ => coffer_services::sts::VERSION,
            };
            query::invalid_action(&target.operation, version.as_deref().unwrap_or(default))
        }
    }
}

fn context(verified: &Verified, request_id: &str, peer: Peer) -> RequestContext {
    let caller = &verified.caller;
    let scope = Scope::new(caller.account.clone(), verified.region.clone());
    let network = Network { source_ip: peer.addr.ip(), secure_transport: peer.secure };
    caller.identity.context(scope, request_id, Some(network)).with_access_key_id(caller.access_key_id.clone())
}
