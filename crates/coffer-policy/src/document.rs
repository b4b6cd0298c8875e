//! Policy documents: parsing, validation (with IAM's `MalformedPolicyDocument` messages) and
//! the compiled form the evaluator runs on.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::condition::{Condition, parse_conditions};
use super::context::{Principal, RequestContext};
use super::error::PolicyError;
use super::glob::{self, NoVars, Part};
use super::template::Template;
use coffer_aws::arn::Arn;

/// Where a policy is attached, which decides what its statements may and must contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Attached to a user, group or role: `Resource` required, `Principal` forbidden.
    Identity,
    /// Attached to a resource (a secret's resource policy): `Principal` and `Resource` required.
    Resource,
    /// A role's trust policy: `Principal` required, `Resource` forbidden.
    Trust,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyVersion {
    /// `2008-10-17`: no policy variables (`${…}` is literal text).
    V2008_10_17,
    /// `2012-10-17`: the current language, with policy variables.
    V2012_10_17,
}

impl PolicyVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2008_10_17 => "2008-10-17",
            Self::V2012_10_17 => "2012-10-17",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

/// A parsed, validated policy document, compiled for evaluation. Parse once, evaluate often.
#[derive(Clone, Debug)]
pub struct Policy {
    kind: PolicyKind,
    version: Option<PolicyVersion>,
    id: Option<String>,
    statements: Vec<Statement>,
}

/// `Action` or `NotAction`, `Resource` or `NotResource`, `Principal` or `NotPrincipal`.
#[derive(Clone, Debug)]
enum Sel<T> {
    Is(T),
    Not(T),
}

/// One statement of a policy.
#[derive(Clone, Debug)]
pub struct Statement {
    sid: Option<String>,
    effect: Effect,
    /// Case-insensitive action patterns.
    actions: Sel<Box<[Box<[Part]>]>>,
    /// `None` when the statement has no Resource element (trust policies).
    resources: Option<Sel<Box<[Template]>>>,
    /// `None` in identity policies.
    principals: Option<Sel<PrincipalSet>>,
    conditions: Box<[Condition]>,
}

/// How strongly a statement's `Principal` names the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PrincipalMatch {
    No,
    /// Only through the caller's account (`"AWS": "123456789012"` or `…:root`): that delegates
    /// to the account, whose identity policies must still allow the request.
    Account,
    /// The caller itself, its role, a service or `*`.
    Direct,
}

#[derive(Clone, Debug)]
enum PrincipalSet {
    Any,
    Listed { aws: Box<[AwsPrincipal]>, services: Box<[Box<str>]>, federated: Box<[Box<str>]> },
}

#[derive(Clone, Debug)]
enum AwsPrincipal {
    Any,
    Account(Box<str>),
    /// An IAM role: matches the role's ARN and its assumed-role sessions.
    Role {
        arn: Box<str>,
        partition: Box<str>,
        account: Box<str>,
        name: Box<str>,
    },
    /// Any other ARN (user, assumed-role session, federated user), matched exactly.
    Exact(Box<str>),
}

const TOP_LEVEL: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_KEYS: [&str; 9] =
    ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"];

impl Policy {
    /// Parses and validates a JSON policy document.
    pub fn parse(json: &str, kind: PolicyKind) -> Result<Self, PolicyError> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| PolicyError::syntax(format!("policy is not valid JSON: {e}")))?;
        Self::from_json(&value, kind)
    }

    /// Validates an already-parsed JSON document.
    pub fn from_json(doc: &Value, kind: PolicyKind) -> Result<Self, PolicyError> {
        let Value::Object(doc) = doc else { return Err(PolicyError::syntax("policy must be a JSON object")) };
        if let Some(key) = doc.keys().find(|k| !TOP_LEVEL.contains(&k.as_str())) {
            return Err(PolicyError::syntax(format!("unknown policy element {key}")));
        }
        let version = match doc.get("Version") {
            None => None,
            Some(Value::String(v)) if v == "2012-10-17" => Some(PolicyVersion::V2012_10_17),
            Some(Value::String(v)) if v == "2008-10-17" => Some(PolicyVersion::V2008_10_17),
            Some(v) => return Err(PolicyError::syntax(format!("unknown policy Version {v}"))),
        };
        let id = match doc.get("Id") {
            None => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(_) => return Err(PolicyError::syntax("Id must be a string")),
        };
        let raw: Vec<&Map<String, Value>> = match doc.get("Statement") {
            Some(Value::Object(one)) => vec![one],
            Some(Value::Array(many)) if !many.is_empty() => many
                .iter()
                .map(|s| s.as_object().ok_or_else(|| PolicyError::syntax("each statement must be a JSON object")))
                .collect::<Result<_, _>>()?,
            Some(Value::Array(_)) => return Err(PolicyError::syntax("Statement is empty")),
            Some(_) => return Err(PolicyError::syntax("Statement must be an object or an array")),
            None => return Err(PolicyError::syntax("policy has no Statement")),
        };
        // IAM reports structural errors for the whole document before anything else.
        for s in &raw {
            check_statement_syntax(s)?;
        }
        let variables = version == Some(PolicyVersion::V2012_10_17);
        let statements = raw.iter().map(|s| compile_statement(s, kind, variables)).collect::<Result<Vec<_>, _>>()?;
        let mut sids = HashSet::new();
        for sid in statements.iter().filter_map(|s| s.sid.as_deref()).filter(|s| !s.is_empty()) {
            if !sids.insert(sid) {
                return Err(PolicyError::DuplicateSid);
            }
        }
        Ok(Self { kind, version, id, statements })
    }

    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// `None` when the document has no `Version` (read as 2008-10-17: no policy variables).
    pub fn version(&self) -> Option<PolicyVersion> {
        self.version
    }

    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// IAM managed policies must be version 2012-10-17 (`CreatePolicy` refuses others).
    pub fn require_current_version(&self) -> Result<(), PolicyError> {
        match self.version {
            Some(PolicyVersion::V2012_10_17) => Ok(()),
            _ => Err(PolicyError::VersionTooOld),
        }
    }
}

impl Statement {
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// Does the statement apply to the request's action and resource and do its conditions
    /// hold? The principal is not considered (see [`Statement::principal_match`]).
    pub(crate) fn applies(&self, ctx: &RequestContext) -> bool {
        self.matches_action(ctx.action()) && self.matches_resource(ctx) && self.conditions.iter().all(|c| c.holds(ctx))
    }

    pub(crate) fn matches_action(&self, action: &str) -> bool {
        let any = |patterns: &[Box<[Part]>]| patterns.iter().any(|p| glob::matches(p, action, true, &NoVars));
        match &self.actions {
            Sel::Is(patterns) => any(patterns),
            Sel::Not(patterns) => !any(patterns),
        }
    }

    fn matches_resource(&self, ctx: &RequestContext) -> bool {
        let resource = ctx.resource();
        let any = |patterns: &[Template]| patterns.iter().any(|t| t.matches(resource, false, ctx));
        match &self.resources {
            None => true,
            Some(Sel::Is(patterns)) => any(patterns),
            Some(Sel::Not(patterns)) => !any(patterns),
        }
    }

    /// How the statement's `Principal`/`NotPrincipal` names the caller; `Direct` for
    /// statements without one (identity policies, where the caller is implicit).
    pub(crate) fn principal_match(&self, caller: &Principal) -> PrincipalMatch {
        match &self.principals {
            None => PrincipalMatch::Direct,
            Some(Sel::Is(set)) => set.matches(caller),
            Some(Sel::Not(set)) => match set.matches(caller) {
                PrincipalMatch::No => PrincipalMatch::Direct,
                _ => PrincipalMatch::No,
            },
        }
    }
}

impl PrincipalSet {
    fn matches(&self, caller: &Principal) -> PrincipalMatch {
        let Self::Listed { aws, services, federated } = self else { return PrincipalMatch::Direct };
        match caller {
            Principal::Aws(arn) => aws.iter().map(|p| p.matches(arn, caller)).max().unwrap_or(PrincipalMatch::No),
            Principal::Service(name) if services.iter().any(|s| **s == **name) => PrincipalMatch::Direct,
            Principal::Federated(name) if federated.iter().any(|s| **s == **name) => PrincipalMatch::Direct,
            _ => PrincipalMatch::No,
        }
    }
}

impl AwsPrincipal {
    fn matches(&self, arn: &str, caller: &Principal) -> PrincipalMatch {
        match self {
            Self::Any => PrincipalMatch::Direct,
            Self::Exact(exact) => {
                if **exact == *arn {
                    PrincipalMatch::Direct
                } else {
                    PrincipalMatch::No
                }
            }
            Self::Account(account) => {
                if caller.account() != Some(account) {
                    PrincipalMatch::No
                } else if caller.is_account_root() {
                    PrincipalMatch::Direct
                } else {
                    PrincipalMatch::Account
                }
            }
            Self::Role { arn: role_arn, partition, account, name } => {
                let session_of_role = caller
                    .assumed_role()
                    .is_some_and(|(p, a, role)| p == &**partition && a == &**account && role == &**name);
                if session_of_role || **role_arn == *arn { PrincipalMatch::Direct } else { PrincipalMatch::No }
            }
        }
    }

    fn parse(value: &str) -> Option<Self> {
        if value == "*" {
            return Some(Self::Any);
        }
        if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Self::Account(value.into()));
        }
        let arn = Arn::parse(value).ok()?;
        if arn.partition.is_empty() || arn.service.is_empty() || arn.account.is_empty() || arn.resource.is_empty() {
            return None;
        }
        if arn.service == "iam" && arn.resource == "root" {
            return Some(Self::Account(arn.account.into()));
        }
        if arn.service == "iam"
            && let Some(path_and_name) = arn.resource.strip_prefix("role/")
        {
            let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
            return Some(Self::Role {
                arn: value.into(),
                partition: arn.partition.into(),
                account: arn.account.into(),
                name: name.into(),
            });
        }
        Some(Self::Exact(value.into()))
    }
}

/// Element names, JSON types, `Effect` spelling and operator names: what IAM answers with
/// "Syntax errors in policy.".
fn check_statement_syntax(s: &Map<String, Value>) -> Result<(), PolicyError> {
    if let Some(key) = s.keys().find(|k| !STATEMENT_KEYS.contains(&k.as_str())) {
        return Err(PolicyError::syntax(format!("unknown statement element {key}")));
    }
    for (a, b) in [("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal")] {
        if s.contains_key(a) && s.contains_key(b) {
            return Err(PolicyError::syntax(format!("a statement cannot have both {a} and {b}")));
        }
    }
    match s.get("Effect") {
        Some(Value::String(e)) if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") => {}
        Some(e) => return Err(PolicyError::syntax(format!("invalid Effect {e}"))),
        None => return Err(PolicyError::syntax("statement has no Effect")),
    }
    if let Some(sid) = s.get("Sid")
        && !sid.is_string()
    {
        return Err(PolicyError::syntax("Sid must be a string"));
    }
    for key in ["Action", "NotAction", "Resource", "NotResource"] {
        if let Some(v) = s.get(key) {
            string_list(v)
                .ok_or_else(|| PolicyError::syntax(format!("{key} must be a string or a list of strings")))?;
        }
    }
    Ok(())
}

fn compile_statement(s: &Map<String, Value>, kind: PolicyKind, variables: bool) -> Result<Statement, PolicyError> {
    let sid = s.get("Sid").and_then(Value::as_str).map(str::to_owned);
    if let Some(sid) = &sid
        && kind != PolicyKind::Resource
        && !sid.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(PolicyError::InvalidSid);
    }
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        other => return Err(PolicyError::legacy(format!("Effect must be \"Allow\" or \"Deny\", not {other:?}"))),
    };

    let principals = match (kind, s.get("Principal"), s.get("NotPrincipal")) {
        (PolicyKind::Identity, None, None) => None,
        (PolicyKind::Identity, _, _) => return Err(PolicyError::PrincipalNotAllowed),
        (_, Some(p), _) => Some(Sel::Is(parse_principal(p)?)),
        (_, None, Some(p)) => Some(Sel::Not(parse_principal(p)?)),
        (_, None, None) => return Err(PolicyError::MissingPrincipal),
    };

    let actions = match (s.get("Action"), s.get("NotAction")) {
        (Some(v), _) => Sel::Is(v),
        (None, Some(v)) => Sel::Not(v),
        (None, None) => return Err(PolicyError::MissingActions),
    };
    let actions = map_sel(actions, |v| {
        let list = string_list(v).unwrap_or_default();
        if list.is_empty() {
            return Err(PolicyError::MissingActions);
        }
        list.into_iter().map(compile_action).collect::<Result<_, _>>()
    })?;

    let resources = match (kind, s.get("Resource"), s.get("NotResource")) {
        (PolicyKind::Trust, Some(_), _) => return Err(PolicyError::ProhibitedField("Resource")),
        (PolicyKind::Trust, None, Some(_)) => return Err(PolicyError::ProhibitedField("NotResource")),
        (PolicyKind::Trust, None, None) => None,
        (_, Some(v), _) => Some(Sel::Is(v)),
        (_, None, Some(v)) => Some(Sel::Not(v)),
        (_, None, None) => return Err(PolicyError::MissingResources),
    };
    let resources = resources
        .map(|sel| {
            map_sel(sel, |v| {
                let list = string_list(v).unwrap_or_default();
                if list.is_empty() {
                    return Err(PolicyError::MissingResources);
                }
                list.into_iter()
                    .map(|r| {
                        if r != "*" && !r.contains(':') {
                            return Err(PolicyError::ResourceNotArn(r.to_owned()));
                        }
                        Ok(Template::parse(r, true, variables))
                    })
                    .collect::<Result<_, _>>()
            })
        })
        .transpose()?;

    let conditions = match s.get("Condition") {
        Some(block) => parse_conditions(block, variables)?.into_boxed_slice(),
        None => Box::default(),
    };
    Ok(Statement { sid, effect, actions, resources, principals, conditions })
}

fn map_sel<A, B>(sel: Sel<A>, f: impl FnOnce(A) -> Result<B, PolicyError>) -> Result<Sel<B>, PolicyError> {
    Ok(match sel {
        Sel::Is(a) => Sel::Is(f(a)?),
        Sel::Not(a) => Sel::Not(f(a)?),
    })
}

/// `"x"` or `["x", "y"]`.
fn string_list(v: &Value) -> Option<Vec<&str>> {
    match v {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(items) => items.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

/// `*`, or `vendor:pattern` with exactly one colon and a plain vendor name.
fn compile_action(action: &str) -> Result<Box<[Part]>, PolicyError> {
    if action != "*" {
        let mut pieces = action.split(':');
        let vendor = pieces.next().unwrap_or_default();
        match pieces.count() {
            0 => return Err(PolicyError::MissingVendor),
            1 => {}
            _ => return Err(PolicyError::TooManyColons),
        }
        if vendor != "*" && !vendor.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
            return Err(PolicyError::InvalidVendor(vendor.to_owned()));
        }
    }
    Ok(glob::compile(action).into_boxed_slice())
}

fn parse_principal(v: &Value) -> Result<PrincipalSet, PolicyError> {
    let map = match v {
        Value::String(s) if s == "*" => return Ok(PrincipalSet::Any),
        Value::Object(map) if !map.is_empty() => map,
        _ => return Err(PolicyError::syntax("Principal must be \"*\" or an object")),
    };
    let (mut aws, mut services, mut federated) = (Vec::new(), Vec::new(), Vec::new());
    for (kind, values) in map {
        let list = string_list(values)
            .filter(|l| !l.is_empty())
            .ok_or_else(|| PolicyError::syntax(format!("Principal {kind} must be a string or a list of strings")))?;
        let invalid = |value: &str| PolicyError::InvalidPrincipal { kind: kind.clone(), value: value.to_owned() };
        for value in list {
            match kind.as_str() {
                "AWS" => aws.push(AwsPrincipal::parse(value).ok_or_else(|| invalid(value))?),
                "Service" | "Federated" if value.is_empty() => return Err(invalid(value)),
                "Service" => services.push(Box::from(value)),
                "Federated" => federated.push(Box::from(value)),
                // S3 canonical user ids: accepted, but no Coffer caller is one.
                "CanonicalUser" => {}
                _ => return Err(PolicyError::syntax(format!("unknown principal type {kind}"))),
            }
        }
    }
    Ok(PrincipalSet::Listed {
        aws: aws.into_boxed_slice(),
        services: services.into_boxed_slice(),
        federated: federated.into_boxed_slice(),
    })
}
