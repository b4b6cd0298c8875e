//! The IAM JSON policy language, as AWS evaluates it: parse a document once
//! ([`Policy::parse`]), then decide requests against it ([`evaluate`]) as often as needed.
//!
//! * Documents: `Version` (`2012-10-17`, `2008-10-17` or absent), `Id`, `Statement` (one
//!   object or a non-empty array); statements with `Sid`, `Effect`, `Action`/`NotAction`,
//!   `Resource`/`NotResource`, `Principal`/`NotPrincipal`, `Condition`. What a statement must
//!   or may not contain depends on the [`PolicyKind`]. Faults are [`PolicyError`]s whose
//!   messages are IAM's `MalformedPolicyDocument` messages.
//! * Matching: actions case-insensitively, resources case-sensitively, both with `*` and `?`
//!   over the whole string; resources and condition values may use policy variables.
//! * Conditions: every operator of the IAM language ([`ConditionOperator`]), `…IfExists`,
//!   `ForAnyValue:` and `ForAllValues:` ([`SetQualifier`]), by AWS's documented rules:
//!   operators and keys AND, values OR (NOR for negated operators); an absent key makes a
//!   condition false, but true for negated operators and `…IfExists`, and `Null` tests for it;
//!   `ForAllValues:` is true for an absent or empty key, `ForAnyValue:` false.
//! * Decisions: explicit deny wins, then an allow from identity or resource policy, else an
//!   implicit deny ([`Decision`]), with the deciding statement for audit ([`Evaluation`]).
//!
//! Pure: no I/O and no clock. The caller puts the current time into the [`RequestContext`].

mod condition;
mod context;
mod date;
mod document;
mod error;
mod eval;
mod glob;
mod template;

#[cfg(test)]
mod tests;

pub use condition::{ConditionOperator, SetQualifier};
pub use context::{Principal, RequestContext};
pub use document::{Effect, Policy, PolicyKind, PolicyVersion, Statement};
pub use error::PolicyError;
pub use eval::{
    Decision, Denial, DenialReason, Evaluation, PolicySource, StatementRef, evaluate, evaluate_assume_role,
};
pub use glob::{wildcard_match, wildcard_match_ignore_case};
