//! The service models' member constraints — string and list lengths, patterns, enums,
//! numeric ranges — checked on a decoded input before anything else, with every violation
//! reported in one `ValidationException` as AWS does:
//! `2 validation errors detected: Value '…' at 'parameterFilters.1.member.key' failed to
//! satisfy constraint: Member must have length less than or equal to 132; Value …`.
//!
//! Each input shape states its members' constraints once ([`Constrained`]); operations
//! never re-check them. The JSON services answer `ValidationException`
//! ([`Constrained::check`]), IAM and STS `ValidationError` ([`Constrained::check_query`]).

use coffer_aws::AwsError;

/// A pattern as the model writes it, and the test that implements it.
#[derive(Clone, Copy)]
pub struct Pattern {
    pub text: &'static str,
    pub test: fn(&str) -> bool,
}

/// A string member's constraints.
#[derive(Clone, Copy, Default)]
pub struct Str {
    pub min: Option<usize>,
    pub max: Option<usize>,
    pub pattern: Option<Pattern>,
    pub one_of: Option<&'static [&'static str]>,
    /// Where the service words a broken rule its own way rather than the model's (SSM's and
    /// Secrets Manager's tag members, `Type`): the one text for any broken rule.
    pub worded: Option<&'static str>,
}

impl Str {
    pub const fn len(min: usize, max: usize) -> Self {
        Self { min: Some(min), max: Some(max), pattern: None, one_of: None, worded: None }
    }

    pub const fn one_of(values: &'static [&'static str]) -> Self {
        Self { min: None, max: None, pattern: None, one_of: Some(values), worded: None }
    }

    pub const fn pattern(self, pattern: Pattern) -> Self {
        Self { pattern: Some(pattern), ..self }
    }

    pub const fn worded(self, text: &'static str) -> Self {
        Self { worded: Some(text), ..self }
    }

    /// The texts of the constraints `s` breaks, in AWS's order.
    fn broken(&self, s: &str) -> Vec<String> {
        let len = s.chars().count();
        let mut out = Vec::new();
        if let Some(max) = self.max.filter(|max| len > *max) {
            out.push(format!("Member must have length less than or equal to {max}"));
        }
        if let Some(min) = self.min.filter(|min| len < *min) {
            out.push(format!("Member must have length greater than or equal to {min}"));
        }
        if let Some(p) = self.pattern.filter(|p| !(p.test)(s)) {
            out.push(format!("Member must satisfy regular expression pattern: {}", p.text));
        }
        if let Some(values) = self.one_of.filter(|values| !values.contains(&s)) {
            out.push(format!("Member must satisfy enum value set: [{}]", values.join(", ")));
        }
        match self.worded {
            Some(text) if !out.is_empty() => vec![text.to_owned()],
            _ => out,
        }
    }

    /// Every constraint, as a list element's violation names them.
    fn all(&self) -> Vec<String> {
        if let Some(text) = self.worded {
            return vec![text.to_owned()];
        }
        let mut out = Vec::new();
        if let Some(max) = self.max {
            out.push(format!("Member must have length less than or equal to {max}"));
        }
        // A minimum of 0 is no constraint: the model states none.
        if let Some(min) = self.min.filter(|min| *min > 0) {
            out.push(format!("Member must have length greater than or equal to {min}"));
        }
        if let Some(p) = self.pattern {
            out.push(format!("Member must satisfy regular expression pattern: {}", p.text));
        }
        out
    }
}

/// Where a member is in the input: `parameterFilters.1.member.key`.
#[derive(Clone, Debug)]
pub struct At(String);

impl At {
    pub fn member(&self, name: &str) -> At {
        if self.0.is_empty() { At(name.to_owned()) } else { At(format!("{}.{name}", self.0)) }
    }

    /// The `index`-th (0-based) element of a list, 1-based as AWS counts.
    pub fn item(&self, index: usize) -> At {
        At(format!("{}.{}.member", self.0, index + 1))
    }
}

/// The violations found so far.
pub struct Violations {
    found: Vec<String>,
    quote_numbers: bool,
}

impl Violations {
    fn push(&mut self, value: &str, at: &At, constraint: &str) {
        self.found.push(format!("Value '{value}' at '{}' failed to satisfy constraint: {constraint}", at.0));
    }

    /// A violation whose value is not repeated (a secret, a document too long to echo, a
    /// list of structures).
    fn push_unshown(&mut self, at: &At, constraint: &str) {
        self.found.push(format!("Value at '{}' failed to satisfy constraint: {constraint}", at.0));
    }

    /// A member the model requires.
    pub fn required<T: ?Sized>(&mut self, at: At, value: Option<&T>) {
        if value.is_none() {
            self.found.push(format!("Value null at '{}' failed to satisfy constraint: Member must not be null", at.0));
        }
    }

    /// A string member, when present.
    pub fn string(&mut self, at: At, value: Option<&str>, rule: Str) {
        let Some(value) = value else { return };
        for constraint in rule.broken(value) {
            self.push(value, &at, &constraint);
        }
    }

    /// A string member whose value is never repeated (a secret value, a policy document),
    /// when present: its length (characters or bytes, as the model counts).
    pub fn unshown_len(&mut self, at: At, len: Option<usize>, min: usize, max: usize) {
        let Some(len) = len else { return };
        if len > max {
            self.push_unshown(&at, &format!("Member must have length less than or equal to {max}"));
        }
        if len < min {
            self.push_unshown(&at, &format!("Member must have length greater than or equal to {min}"));
        }
    }

    /// A list of strings, when present: its length, then its elements (reported once, on the
    /// list, naming every constraint of an element).
    pub fn strings(&mut self, at: At, values: Option<&[String]>, min: usize, max: usize, each: Str) {
        let Some(values) = values else { return };
        let shown = format!("[{}]", values.join(", "));
        self.list_len(&at, &shown, values.len(), min, max);
        if values.iter().any(|v| !each.broken(v).is_empty()) {
            self.push(&shown, &at, &format!("Member must satisfy constraint: [{}]", each.all().join(", ")));
        }
    }

    /// A list of structures, when present: its length, then each element's own members.
    pub fn list<T: Constrained>(&mut self, at: At, items: Option<&[T]>, min: usize, max: usize) {
        let Some(items) = items else { return };
        self.unshown_len(at.clone(), Some(items.len()), min, max);
        for (i, item) in items.iter().enumerate() {
            item.constrain(&at.item(i), self);
        }
    }

    fn list_len(&mut self, at: &At, shown: &str, len: usize, min: usize, max: usize) {
        if len > max {
            self.push(shown, at, &format!("Member must have length less than or equal to {max}"));
        }
        if len < min {
            self.push(shown, at, &format!("Member must have length greater than or equal to {min}"));
        }
    }

    /// A number member, when present. The JSON services show it unquoted, the Query ones
    /// (IAM, STS) quoted like a string.
    pub fn range(&mut self, at: At, value: Option<i64>, min: i64, max: i64) {
        let Some(value) = value else { return };
        let shown = if self.quote_numbers { format!("'{value}'") } else { value.to_string() };
        let mut push = |constraint: String| {
            self.found.push(format!("Value {shown} at '{}' failed to satisfy constraint: {constraint}", at.0));
        };
        if value > max {
            push(format!("Member must have value less than or equal to {max}"));
        }
        if value < min {
            push(format!("Member must have value greater than or equal to {min}"));
        }
    }

    fn into_error(self, error: fn(String) -> AwsError) -> Result<(), AwsError> {
        let n = self.found.len();
        if n == 0 {
            return Ok(());
        }
        let errors = if n == 1 { "error" } else { "errors" };
        Err(error(format!("{n} validation {errors} detected: {}", self.found.join("; "))))
    }
}

/// An input shape (or a structure inside one) whose members have model constraints.
pub trait Constrained {
    fn constrain(&self, at: &At, v: &mut Violations);

    /// Every violation of the whole input, as one JSON-protocol `ValidationException`.
    fn check(&self) -> Result<(), AwsError> {
        self.violations(false).into_error(crate::json::validation)
    }

    /// Every violation of the whole input, as one query-protocol `ValidationError`.
    fn check_query(&self) -> Result<(), AwsError> {
        self.violations(true).into_error(crate::query::validation)
    }

    fn violations(&self, quote_numbers: bool) -> Violations {
        let mut v = Violations { found: Vec::new(), quote_numbers };
        self.constrain(&At(String::new()), &mut v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Filter {
        key: Option<String>,
        values: Option<Vec<String>>,
    }

    impl Constrained for Filter {
        fn constrain(&self, at: &At, v: &mut Violations) {
            v.string(at.member("key"), self.key.as_deref(), Str::len(1, 3));
            v.strings(at.member("values"), self.values.as_deref(), 1, 2, Str::len(1, 4));
        }
    }

    struct Input {
        filters: Vec<Filter>,
        max: Option<i64>,
    }

    impl Constrained for Input {
        fn constrain(&self, at: &At, v: &mut Violations) {
            v.list(at.member("filters"), Some(&self.filters), 0, 5);
            v.range(at.member("maxResults"), self.max, 1, 50);
        }
    }

    #[test]
    fn reports_every_violation_with_its_path() {
        let ok = Input { filters: vec![Filter { key: Some("k".into()), values: None }], max: Some(5) };
        assert!(ok.check().is_ok());
        let bad = Input {
            filters: vec![
                Filter { key: Some("k".into()), values: Some(vec!["ok".into()]) },
                Filter { key: Some("long".into()), values: Some(vec!["a".into(), "toolong".into(), "c".into()]) },
            ],
            max: Some(0),
        };
        let e = bad.check().unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert_eq!(
            e.message.as_deref().unwrap_or_default(),
            "4 validation errors detected: \
             Value 'long' at 'filters.2.member.key' failed to satisfy constraint: Member must have length less than or equal to 3; \
             Value '[a, toolong, c]' at 'filters.2.member.values' failed to satisfy constraint: Member must have length less than or equal to 2; \
             Value '[a, toolong, c]' at 'filters.2.member.values' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 4, Member must have length greater than or equal to 1]; \
             Value 0 at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
    }
}
