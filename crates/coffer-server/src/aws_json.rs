//! The AWS JSON 1.1 handler: `POST /` with `X-Amz-Target: <Service>.<Operation>`.

use crate::{AppState, MAX_BODY_BYTES, credential_scope};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use coffer_api::RequestContext;
use coffer_core::{AwsError, MessageKey, Scope};
use std::sync::Arc;
use std::time::Instant;

const JSON_1_1: &str = "application/x-amz-json-1.1";

pub async fn health(State(state): State<Arc<AppState>>) -> Response {
    let body = serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "backend": state.store.backend().name(),
    });
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn respond(request_id: &str, result: Result<Vec<u8>, AwsError>) -> Response {
    let (status, body, error_type) = match result {
        Ok(body) => (StatusCode::OK, body, None),
        Err(err) => {
            let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST);
            (status, err.to_json().to_string().into_bytes(), Some(err.code.into_owned()))
        }
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_1_1));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    if let Some(code) = error_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert("X-Amzn-ErrorType", code);
    }
    response
}

pub async fn handle(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let err = AwsError::new(
                "RequestEntityTooLargeException",
                MessageKey::Upper,
                format!("Request body exceeds the limit of {MAX_BODY_BYTES} bytes"),
            )
            .with_status(413);
            return respond(&request_id, Err(err));
        }
    };
    let result = dispatch(&state, &headers, &target, &request_id, &body).await;
    let status = result.as_ref().map(|_| 200).unwrap_or_else(|e| e.status);
    let error = result.as_ref().err().map(|e| e.code.to_string());
    // Never the body: it may carry a secret value.
    tracing::info!(request_id, target, status, error, elapsed_us = started.elapsed().as_micros() as u64, "request");
    respond(&request_id, result)
}

async fn dispatch(
    state: &AppState,
    headers: &HeaderMap,
    target: &str,
    request_id: &str,
    body: &Bytes,
) -> Result<Vec<u8>, AwsError> {
    let Some((service, op)) = target.split_once('.') else {
        return Err(unknown_operation(target));
    };
    let region = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(credential_scope::parse)
        .map(|s| s.region.to_owned())
        .unwrap_or_else(|| state.config.default_region.clone());
    let ctx = RequestContext::root(Scope::new(state.config.account_id.clone(), region), request_id);
    match service {
        "AmazonSSM" => state.services.ssm.call(op, &ctx, body).await,
        "secretsmanager" => state.services.secrets_manager.call(op, &ctx, body).await,
        _ => Err(unknown_operation(target)),
    }
}

fn unknown_operation(target: &str) -> AwsError {
    let shown = if target.is_empty() { "(no X-Amz-Target header)" } else { target };
    AwsError::new("UnknownOperationException", MessageKey::Upper, format!("Unknown operation {shown}"))
}
