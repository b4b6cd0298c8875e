//! Deciding a request, as AWS does for a request within one account (IAM User Guide, "Policy
//! evaluation logic" and "Policy evaluation for requests within a single account"):
//!
//! 1. Every statement of every applicable policy is considered.
//! 2. An explicit `Deny` in any of them decides: denied.
//! 3. Otherwise an `Allow` in an identity-based policy **or** in the resource-based policy
//!    allows ("If either the identity-based policy or the resource-based policy within the same
//!    account allows the request and the other doesn't, the request is still allowed.").
//! 4. Otherwise the request is implicitly denied.
//!
//! A resource-policy statement applies only to the principals its `Principal` names. Naming
//! the account (`"AWS": "123456789012"` or `arn:aws:iam::123456789012:root`) covers every
//! principal of that account, but for an `Allow` it only *delegates* to the account: the
//! caller's identity policies must still allow the request (IAM User Guide, "AWS JSON policy
//! elements: Principal", AWS account principals). A `Deny` naming the account denies all of
//! it. A role ARN names the role's assumed-role sessions too.
//!
//! Not modelled: SCPs/RCPs, permissions boundaries, session policies, cross-account requests.
//! The account root user is not special-cased here: the caller decides what an implicit deny
//! means for root (an explicit deny still applies to it).

use std::fmt;

use super::context::{Principal, RequestContext};
use super::document::{Effect, Policy, PrincipalMatch};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

/// Which policy a deciding statement came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicySource {
    /// The identity-based policy at this index of the slice that was evaluated.
    Identity(usize),
    /// The resource's resource-based policy.
    Resource,
    /// The role's trust policy ([`evaluate_assume_role`]).
    Trust,
}

/// The statement that decided a request, for audit messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatementRef<'p> {
    pub source: PolicySource,
    /// Index of the statement within its policy.
    pub statement: usize,
    pub sid: Option<&'p str>,
}

/// The outcome of evaluating a request: the decision and, for `Allow` and `ExplicitDeny`, the
/// statement that made it (the first explicit deny found, or the first allow).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Evaluation<'p> {
    pub decision: Decision,
    pub decided_by: Option<StatementRef<'p>>,
}

impl Evaluation<'_> {
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }

    /// Why the request was refused, or `None` if allowed.
    pub fn denial(&self, ctx: &RequestContext) -> Option<Denial> {
        let reason = match (self.decision, self.decided_by.map(|s| s.source)) {
            (Decision::Allow, _) => return None,
            (Decision::ExplicitDeny, Some(PolicySource::Identity(_))) => DenialReason::ExplicitIdentityDeny,
            (Decision::ExplicitDeny, _) => DenialReason::ExplicitResourceDeny,
            // STS says no more than this for a role it will not let the caller assume.
            (Decision::ImplicitDeny, _) if ctx.action().eq_ignore_ascii_case("sts:AssumeRole") => {
                DenialReason::Unstated
            }
            (Decision::ImplicitDeny, _) => DenialReason::NoIdentityAllow,
        };
        let who = match ctx.principal() {
            Principal::Aws(arn) => arn.as_str(),
            Principal::Service(name) | Principal::Federated(name) => name.as_str(),
            Principal::Anonymous => "anonymous",
        };
        Some(Denial {
            principal: who.to_owned(),
            action: ctx.action().to_owned(),
            resource: ctx.resource().to_owned(),
            reason,
        })
    }

    /// The message AWS puts in `AccessDenied`/`AccessDeniedException`, or `None` if allowed
    /// (see [`Denial`]).
    pub fn access_denied_message(&self, ctx: &RequestContext) -> Option<String> {
        self.denial(ctx).map(|d| d.to_string())
    }
}

/// A refused request, as AWS words it: `User: <arn> is not authorized to perform: <action> on
/// resource: <arn> because no identity-based policy allows the <action> action` (or `with an
/// explicit deny in an identity-based policy` / `in a resource-based policy`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    pub principal: String,
    pub action: String,
    /// The resource as the message names it (the ARN evaluated, unless renamed with
    /// [`Denial::naming`]).
    pub resource: String,
    pub reason: DenialReason,
}

/// What decided a [`Denial`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenialReason {
    /// No identity-based policy allows the action.
    NoIdentityAllow,
    ExplicitIdentityDeny,
    ExplicitResourceDeny,
    /// The identity policies allow it, the session policy does not.
    NoSessionAllow,
    ExplicitSessionDeny,
    /// Nothing said beyond "not authorized" (STS AssumeRole).
    Unstated,
}

impl Denial {
    /// A request no policy allowed.
    pub fn implicit(principal: &str, action: &str, resource: &str) -> Self {
        Self {
            principal: principal.to_owned(),
            action: action.to_owned(),
            resource: resource.to_owned(),
            reason: DenialReason::NoIdentityAllow,
        }
    }

    /// The same denial naming the resource as the caller did (Secrets Manager evaluates a
    /// secret's full ARN but names it as called: `… on resource: mysql`).
    pub fn naming(self, resource: &str) -> Self {
        Self { resource: resource.to_owned(), ..self }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { principal, action, resource, reason } = self;
        write!(f, "User: {principal} is not authorized to perform: {action} on resource: {resource}")?;
        match reason {
            DenialReason::NoIdentityAllow => write!(f, " because no identity-based policy allows the {action} action"),
            DenialReason::ExplicitIdentityDeny => f.write_str(" with an explicit deny in an identity-based policy"),
            DenialReason::ExplicitResourceDeny => f.write_str(" with an explicit deny in a resource-based policy"),
            DenialReason::NoSessionAllow => write!(f, " because no session policy allows the {action} action"),
            DenialReason::ExplicitSessionDeny => f.write_str(" with an explicit deny in a session policy"),
            DenialReason::Unstated => Ok(()),
        }
    }
}

impl fmt::Display for PolicySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Identity(i) => write!(f, "identity-based policy #{i}"),
            Self::Resource => f.write_str("resource-based policy"),
            Self::Trust => f.write_str("trust policy"),
        }
    }
}

impl fmt::Display for StatementRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.sid {
            Some(sid) if !sid.is_empty() => write!(f, "statement {sid:?} (#{}) of {}", self.statement, self.source),
            _ => write!(f, "statement #{} of {}", self.statement, self.source),
        }
    }
}

impl fmt::Display for Evaluation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.decision, &self.decided_by) {
            (Decision::Allow, Some(s)) => write!(f, "allowed by {s}"),
            (Decision::ExplicitDeny, Some(s)) => write!(f, "explicitly denied by {s}"),
            (Decision::Allow, None) => f.write_str("allowed"),
            (Decision::ExplicitDeny, None) => f.write_str("explicitly denied"),
            (Decision::ImplicitDeny, _) => f.write_str("implicitly denied: no statement allows the request"),
        }
    }
}

/// Decides a same-account request from the caller's identity-based policies and the
/// resource's resource-based policy, if it has one.
pub fn evaluate<'p>(identity: &'p [Policy], resource: Option<&'p Policy>, ctx: &RequestContext) -> Evaluation<'p> {
    decide(identity, resource.map(|p| (p, PolicySource::Resource)), ctx)
}

/// May the request's principal assume the role (`ctx` as built by
/// [`RequestContext::assume_role`])? Unlike a resource policy, the trust policy must allow:
/// a statement naming the caller (or its role, `*`, or a service) allows on its own; one
/// naming only the caller's account also needs the caller's identity policies to allow
/// `sts:AssumeRole` on the role; an identity-based allow alone is not enough; an explicit
/// deny anywhere wins.
pub fn evaluate_assume_role<'p>(trust: &'p Policy, identity: &'p [Policy], ctx: &RequestContext) -> Evaluation<'p> {
    decide(identity, Some((trust, PolicySource::Trust)), ctx)
}

fn decide<'p>(
    identity: &'p [Policy],
    resource: Option<(&'p Policy, PolicySource)>,
    ctx: &RequestContext,
) -> Evaluation<'p> {
    let mut identity_allow: Option<StatementRef<'p>> = None;
    for (i, policy) in identity.iter().enumerate() {
        for (j, st) in policy.statements().iter().enumerate() {
            if st.principal_match(ctx.principal()) == PrincipalMatch::No || !st.applies(ctx) {
                continue;
            }
            let at = StatementRef { source: PolicySource::Identity(i), statement: j, sid: st.sid() };
            match st.effect() {
                Effect::Deny => return Evaluation { decision: Decision::ExplicitDeny, decided_by: Some(at) },
                Effect::Allow => {
                    identity_allow.get_or_insert(at);
                }
            }
        }
    }
    // An allow naming the caller (`Direct`), and whether one names only its account.
    let mut direct_allow: Option<StatementRef<'p>> = None;
    let mut delegated = false;
    if let Some((policy, source)) = resource {
        for (j, st) in policy.statements().iter().enumerate() {
            let named = st.principal_match(ctx.principal());
            if named == PrincipalMatch::No || !st.applies(ctx) {
                continue;
            }
            let at = StatementRef { source, statement: j, sid: st.sid() };
            match st.effect() {
                Effect::Deny => return Evaluation { decision: Decision::ExplicitDeny, decided_by: Some(at) },
                Effect::Allow if named == PrincipalMatch::Direct => {
                    direct_allow.get_or_insert(at);
                }
                Effect::Allow => delegated = true,
            }
        }
    }
    let allow = match resource {
        // A role can only be assumed if its trust policy allows it: naming the caller is
        // enough, naming its account needs an identity-based allow as well.
        Some((_, PolicySource::Trust)) => direct_allow.or(identity_allow.filter(|_| delegated)),
        // Same-account resource access: either side's allow is enough (an account-only
        // resource grant adds nothing to the identity side).
        _ => identity_allow.or(direct_allow),
    };
    match allow {
        Some(at) => Evaluation { decision: Decision::Allow, decided_by: Some(at) },
        None => Evaluation { decision: Decision::ImplicitDeny, decided_by: None },
    }
}
