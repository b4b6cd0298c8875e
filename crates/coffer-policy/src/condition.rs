//! The `Condition` element: operators, their values (compiled at parse time) and the AWS
//! rules for absent keys, multiple values and set qualifiers.
//!
//! Rules (IAM User Guide, "IAM JSON policy elements: Condition operators" and "Conditions with
//! multiple context keys or values"):
//! * Several operators in a block, and several keys under one operator, are ANDed.
//! * Several values for one key are ORed; for a negated operator (`StringNotEquals`,
//!   `NotIpAddress`, …) they are NORed: the request value must match none of them.
//! * A key absent from the request makes the condition false, except that a negated operator
//!   is then true, `…IfExists` is then true, and `Null` tests exactly that absence.
//! * `ForAllValues:` is true when every request value passes (so also when the key is absent
//!   or empty); `ForAnyValue:` when at least one does (so false when absent).

use std::net::IpAddr;

use serde_json::Value;

use super::context::RequestContext;
use super::date::parse_date_millis;
use super::error::PolicyError;
use super::glob::{self, NoVars, Part};
use super::template::{Template, split_arn_parts};

/// `ForAnyValue:` / `ForAllValues:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

/// A condition operator without its qualifier and `IfExists` suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnNotEquals,
    ArnLike,
    ArnNotLike,
    Null,
}

use ConditionOperator as Op;

const OPERATORS: [ConditionOperator; 27] = [
    Op::StringEquals,
    Op::StringNotEquals,
    Op::StringEqualsIgnoreCase,
    Op::StringNotEqualsIgnoreCase,
    Op::StringLike,
    Op::StringNotLike,
    Op::NumericEquals,
    Op::NumericNotEquals,
    Op::NumericLessThan,
    Op::NumericLessThanEquals,
    Op::NumericGreaterThan,
    Op::NumericGreaterThanEquals,
    Op::DateEquals,
    Op::DateNotEquals,
    Op::DateLessThan,
    Op::DateLessThanEquals,
    Op::DateGreaterThan,
    Op::DateGreaterThanEquals,
    Op::Bool,
    Op::BinaryEquals,
    Op::IpAddress,
    Op::NotIpAddress,
    Op::ArnEquals,
    Op::ArnNotEquals,
    Op::ArnLike,
    Op::ArnNotLike,
    Op::Null,
];

impl ConditionOperator {
    pub fn name(self) -> &'static str {
        match self {
            Op::StringEquals => "StringEquals",
            Op::StringNotEquals => "StringNotEquals",
            Op::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            Op::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            Op::StringLike => "StringLike",
            Op::StringNotLike => "StringNotLike",
            Op::NumericEquals => "NumericEquals",
            Op::NumericNotEquals => "NumericNotEquals",
            Op::NumericLessThan => "NumericLessThan",
            Op::NumericLessThanEquals => "NumericLessThanEquals",
            Op::NumericGreaterThan => "NumericGreaterThan",
            Op::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            Op::DateEquals => "DateEquals",
            Op::DateNotEquals => "DateNotEquals",
            Op::DateLessThan => "DateLessThan",
            Op::DateLessThanEquals => "DateLessThanEquals",
            Op::DateGreaterThan => "DateGreaterThan",
            Op::DateGreaterThanEquals => "DateGreaterThanEquals",
            Op::Bool => "Bool",
            Op::BinaryEquals => "BinaryEquals",
            Op::IpAddress => "IpAddress",
            Op::NotIpAddress => "NotIpAddress",
            Op::ArnEquals => "ArnEquals",
            Op::ArnNotEquals => "ArnNotEquals",
            Op::ArnLike => "ArnLike",
            Op::ArnNotLike => "ArnNotLike",
            Op::Null => "Null",
        }
    }

    /// Operator names are case-sensitive, as IAM reads them.
    pub fn from_name(name: &str) -> Option<Self> {
        OPERATORS.into_iter().find(|op| op.name() == name)
    }

    /// Negated operators are true when the request value matches none of the policy values,
    /// and when the key is absent.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            Op::StringNotEquals
                | Op::StringNotEqualsIgnoreCase
                | Op::StringNotLike
                | Op::NumericNotEquals
                | Op::DateNotEquals
                | Op::NotIpAddress
                | Op::ArnNotEquals
                | Op::ArnNotLike
        )
    }

    /// How a request value compares with a policy value for the ordered families.
    fn ordering_holds(self, request: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Op::NumericLessThan | Op::DateLessThan => request == Less,
            Op::NumericLessThanEquals | Op::DateLessThanEquals => request != Greater,
            Op::NumericGreaterThan | Op::DateGreaterThan => request == Greater,
            Op::NumericGreaterThanEquals | Op::DateGreaterThanEquals => request != Less,
            // Equals and NotEquals (negation is applied by the caller).
            _ => request == Equal,
        }
    }
}

/// One `operator: { key: values }` pair of a statement's Condition block.
#[derive(Clone, Debug)]
pub(crate) struct Condition {
    qualifier: Option<SetQualifier>,
    op: ConditionOperator,
    if_exists: bool,
    /// Lower-cased: context keys are case-insensitive.
    key: Box<str>,
    values: Values,
}

#[derive(Clone, Debug)]
enum Values {
    /// String operators, `Bool` (`fold`), `BinaryEquals`.
    Str {
        values: Box<[Template]>,
        fold: bool,
    },
    Arn(Box<[ArnPattern]>),
    Num(Box<[f64]>),
    /// Epoch milliseconds.
    Date(Box<[i64]>),
    Ip(Box<[IpNet]>),
    /// `true`: the key must be absent; `false`: present.
    Null(Box<[bool]>),
}

impl Condition {
    /// Does the condition hold for this request?
    pub fn holds(&self, ctx: &RequestContext) -> bool {
        let present = ctx.values_lower(&self.key);
        if let Values::Null(want_absent) = &self.values {
            return want_absent.iter().any(|&absent| absent == present.is_none());
        }
        let Some(request_values) = present else {
            return self.if_exists
                || match self.qualifier {
                    Some(SetQualifier::ForAllValues) => true,
                    Some(SetQualifier::ForAnyValue) => false,
                    None => self.op.is_negated(),
                };
        };
        let negated = self.op.is_negated();
        // For each request value: does it match some policy value (negated: none of them)?
        let passes = |v: &String| self.matches_any(v, ctx) != negated;
        match self.qualifier {
            Some(SetQualifier::ForAllValues) => request_values.iter().all(passes),
            Some(SetQualifier::ForAnyValue) => request_values.iter().any(passes),
            // A single-valued key has one value and both forms agree; should a key without a
            // qualifier carry several, a positive operator needs one of them to match and a
            // negated operator needs all of them to match none.
            None if negated => request_values.iter().all(passes),
            None => request_values.iter().any(passes),
        }
    }

    /// Does the request value `v` match at least one of the policy values (before negation)?
    fn matches_any(&self, v: &str, ctx: &RequestContext) -> bool {
        match &self.values {
            Values::Str { values, fold } => values.iter().any(|t| t.matches(v, *fold, ctx)),
            Values::Arn(patterns) => patterns.iter().any(|p| p.matches(v, ctx)),
            Values::Num(numbers) => {
                let Some(x) = parse_number(v) else { return false };
                numbers.iter().any(|n| x.partial_cmp(n).is_some_and(|o| self.op.ordering_holds(o)))
            }
            Values::Date(dates) => {
                let Some(x) = parse_date_millis(v) else { return false };
                dates.iter().any(|d| self.op.ordering_holds(x.cmp(d)))
            }
            Values::Ip(nets) => {
                let Ok(ip) = v.parse::<IpAddr>() else { return false };
                let ip = ip.to_canonical();
                nets.iter().any(|n| n.contains(ip))
            }
            Values::Null(_) => false,
        }
    }
}

/// Parses a statement's `Condition` element. `variables`: whether policy variables exist
/// (version 2012-10-17).
pub(crate) fn parse_conditions(block: &Value, variables: bool) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(block) = block else {
        return Err(PolicyError::syntax("Condition must be an object"));
    };
    let mut out = Vec::new();
    for (name, keys) in block {
        let (qualifier, op, if_exists) = parse_operator(name)?;
        let Value::Object(keys) = keys else {
            return Err(PolicyError::syntax(format!("condition operator {name} must map keys to values")));
        };
        for (key, raw) in keys {
            if !key.contains(':') {
                return Err(PolicyError::MissingVendor);
            }
            let strings = condition_strings(raw).ok_or_else(|| {
                PolicyError::syntax(format!("values of condition key {key} must be strings, numbers or booleans"))
            })?;
            let values = compile_values(op, &strings, variables)?;
            out.push(Condition { qualifier, op, if_exists, key: key.to_lowercase().into_boxed_str(), values });
        }
    }
    Ok(out)
}

/// Splits `ForAnyValue:StringLikeIfExists` into its qualifier, operator and suffix.
fn parse_operator(name: &str) -> Result<(Option<SetQualifier>, ConditionOperator, bool), PolicyError> {
    let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
        (Some(SetQualifier::ForAnyValue), rest)
    } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
        (Some(SetQualifier::ForAllValues), rest)
    } else {
        (None, name)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    match ConditionOperator::from_name(base) {
        Some(Op::Null) if if_exists => Err(PolicyError::syntax(format!("unknown condition operator {name}"))),
        Some(op) => Ok((qualifier, op, if_exists)),
        None => Err(PolicyError::syntax(format!("unknown condition operator {name}"))),
    }
}

/// A condition value or list of values, each a string, number or boolean, as text.
fn condition_strings(raw: &Value) -> Option<Vec<String>> {
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    match raw {
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|s| vec![s]),
    }
}

fn compile_values(op: ConditionOperator, strings: &[String], variables: bool) -> Result<Values, PolicyError> {
    let bad = |what: &str, v: &str| PolicyError::syntax(format!("{what} condition value {v:?} for {}", op.name()));
    let templates = |wildcards: bool, variables: bool| -> Box<[Template]> {
        strings.iter().map(|s| Template::parse(s, wildcards, variables)).collect()
    };
    Ok(match op {
        Op::StringEquals | Op::StringNotEquals => Values::Str { values: templates(false, variables), fold: false },
        Op::StringEqualsIgnoreCase | Op::StringNotEqualsIgnoreCase => {
            Values::Str { values: templates(false, variables), fold: true }
        }
        Op::StringLike | Op::StringNotLike => Values::Str { values: templates(true, variables), fold: false },
        Op::BinaryEquals => Values::Str { values: templates(false, false), fold: false },
        Op::Bool => {
            for s in strings {
                let is_var = variables && s.contains("${");
                if !is_var && !s.eq_ignore_ascii_case("true") && !s.eq_ignore_ascii_case("false") {
                    return Err(bad("invalid boolean", s));
                }
            }
            Values::Str { values: templates(false, variables), fold: true }
        }
        Op::ArnEquals | Op::ArnNotEquals | Op::ArnLike | Op::ArnNotLike => {
            Values::Arn(strings.iter().map(|s| ArnPattern::new(s, variables)).collect())
        }
        Op::NumericEquals
        | Op::NumericNotEquals
        | Op::NumericLessThan
        | Op::NumericLessThanEquals
        | Op::NumericGreaterThan
        | Op::NumericGreaterThanEquals => Values::Num(
            strings
                .iter()
                .map(|s| parse_number(s).ok_or_else(|| bad("invalid numeric", s)))
                .collect::<Result<_, _>>()?,
        ),
        Op::DateEquals
        | Op::DateNotEquals
        | Op::DateLessThan
        | Op::DateLessThanEquals
        | Op::DateGreaterThan
        | Op::DateGreaterThanEquals => Values::Date(
            strings
                .iter()
                .map(|s| parse_date_millis(s).ok_or_else(|| PolicyError::legacy(format!("invalid date {s:?}"))))
                .collect::<Result<_, _>>()?,
        ),
        Op::IpAddress | Op::NotIpAddress => Values::Ip(
            strings
                .iter()
                .map(|s| IpNet::parse(s).ok_or_else(|| bad("invalid IP address", s)))
                .collect::<Result<_, _>>()?,
        ),
        Op::Null => Values::Null(
            strings
                .iter()
                .map(|s| match s.to_ascii_lowercase().as_str() {
                    "true" => Ok(true),
                    "false" => Ok(false),
                    _ => Err(bad("invalid Null", s)),
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// A decimal number (integer or with a fraction/exponent); never NaN or infinite.
fn parse_number(s: &str) -> Option<f64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E')) {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// An ARN pattern for the Arn operators: each of the six colon-separated components is
/// matched on its own, with `*` and `?` wildcards (`ArnEquals` and `ArnLike` behave alike).
#[derive(Clone, Debug)]
struct ArnPattern {
    template: Template,
    /// The six components, precompiled when the pattern has no variables and is a full ARN.
    components: Option<Box<[Vec<Part>; 6]>>,
}

impl ArnPattern {
    fn new(s: &str, variables: bool) -> Self {
        let template = Template::parse(s, true, variables);
        let components = if template.has_vars() { None } else { split_arn_parts(template.parts()).map(Box::new) };
        Self { template, components }
    }

    fn matches(&self, value: &str, ctx: &RequestContext) -> bool {
        if let Some(components) = &self.components {
            return components_match(components, value);
        }
        if !self.template.has_vars() {
            return no_colon(self.template.parts()) && self.template.matches(value, false, &NoVars);
        }
        let Some(resolved) = self.template.resolved(ctx) else { return false };
        match split_arn_parts(&resolved) {
            Some(components) => components_match(&components, value),
            None => no_colon(&resolved) && glob::matches(&resolved, value, false, &NoVars),
        }
    }
}

/// A pattern that is not a six-part ARN matches as a whole string only if it has no colon at
/// all (say `*`); with fewer than six components it cannot line up with an ARN's components.
fn no_colon(parts: &[Part]) -> bool {
    !parts.iter().any(|p| matches!(p, Part::Lit(text) if text.contains(':')))
}

fn components_match(components: &[Vec<Part>; 6], value: &str) -> bool {
    let mut values = value.splitn(6, ':');
    components.iter().all(|c| values.next().is_some_and(|v| glob::matches(c, v, false, &NoVars)))
}

/// A CIDR block (`10.0.0.0/8`, `2001:db8::/32`) or a single address.
#[derive(Clone, Copy, Debug)]
struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().ok().filter(|p| *p <= max)?
            }
            Some(_) => return None,
        };
        Some(Self { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}
