//! One call of an operation, however it arrives — over HTTP, from the CLI's embedded backend,
//! or from `coffer run`'s embedded resolver: the context it runs in, and, when it returns, the
//! audit event that records it.

use crate::RequestContext;
use crate::error::OpResult;
use crate::operation::{Operation, Service};
use coffer_aws::{AwsError, Timestamp};
use coffer_store::audit::AuditEvent;

/// Where a request came from, as the audit trail records it.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    /// The peer address (`None` in-process).
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Origin {
    /// A call made in-process by `user_agent` (e.g. `coffer-cli/0.1.0`).
    pub fn in_process(user_agent: impl Into<String>) -> Self {
        Self { source_ip: None, user_agent: Some(user_agent.into()) }
    }
}

/// An operation under way in its request context.
#[derive(Debug)]
pub struct Invocation {
    ctx: RequestContext,
    operation: Operation,
}

impl Invocation {
    pub fn new(ctx: RequestContext, operation: impl Into<Operation>) -> Self {
        Self { ctx, operation: operation.into() }
    }

    pub fn ctx(&self) -> &RequestContext {
        &self.ctx
    }

    /// Ends the call: its result with any error as the service answers it on the wire, and
    /// its audit event — who, what, on which resources it was authorized, and the error code.
    /// Never a value.
    pub fn finish<T>(self, origin: &Origin, result: OpResult<T>) -> (Result<T, AwsError>, AuditEvent) {
        let Self { ctx, operation } = self;
        let result = result.map_err(|e| e.into_aws(operation.service()));
        let caller =
            Caller { principal_arn: Some(ctx.principal_arn.clone()), access_key_id: ctx.access_key_id.clone() };
        let request_id = ctx.request_id.clone();
        let (account, region) = (ctx.scope.account.clone(), ctx.scope.region.clone());
        let resources = ctx.into_resources();
        let event = audit_event(
            Request { request_id, account, region, service: operation.service(), name: operation.name() },
            caller,
            origin,
            resources,
            result.as_ref().err(),
        );
        (result, event)
    }
}

/// A request that never reached an operation (authentication failed, or the service does
/// not implement it), as the audit trail records it.
pub struct Request<'a> {
    pub request_id: String,
    pub account: String,
    pub region: String,
    pub service: Service,
    /// The operation as the client named it.
    pub name: &'a str,
}

/// Who a rejected request claimed to be.
#[derive(Debug, Default)]
pub struct Caller {
    pub principal_arn: Option<String>,
    pub access_key_id: Option<String>,
}

/// The audit event of a rejected request.
pub fn rejected(request: Request<'_>, caller: Caller, origin: &Origin, error: &AwsError) -> AuditEvent {
    audit_event(request, caller, origin, Vec::new(), Some(error))
}

fn audit_event(
    request: Request<'_>,
    caller: Caller,
    origin: &Origin,
    resources: Vec<String>,
    error: Option<&AwsError>,
) -> AuditEvent {
    AuditEvent {
        time: Timestamp::now(),
        request_id: request.request_id,
        account: request.account,
        region: request.region,
        principal_arn: caller.principal_arn,
        access_key_id: caller.access_key_id,
        source_ip: origin.source_ip.clone(),
        user_agent: origin.user_agent.clone(),
        event_source: request.service.event_source().to_owned(),
        event_name: request.name.to_owned(),
        resources,
        error_code: error.map(|e| e.code.to_string()),
    }
}
