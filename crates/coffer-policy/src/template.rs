//! Policy strings that may hold wildcards and policy variables, compiled once at parse time.
//!
//! Variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`) exist only in policies
//! of version `2012-10-17`; in older policies `${…}` is plain text. `${*}`, `${?}` and `${$}`
//! stand for a literal `*`, `?` and `$`. Substitution is a single pass: text that a variable
//! resolves to is always literal, never a wildcard or another variable.

use super::glob::{self, Part, Resolve, Var};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Box<[Part]>,
    has_vars: bool,
}

impl Template {
    /// `wildcards`: whether bare `*` and `?` are wildcards. `variables`: whether `${…}` is a
    /// policy variable (policy version 2012-10-17 and an element that supports them).
    pub fn parse(src: &str, wildcards: bool, variables: bool) -> Self {
        let mut parts = Vec::new();
        let mut rest = src;
        if variables {
            while let Some(i) = rest.find("${") {
                glob::push_wild(&mut parts, &rest[..i], wildcards);
                let after = &rest[i + 2..];
                match parse_var(after) {
                    Some((VarPiece::Literal(text), used)) => {
                        glob::push_lit(&mut parts, text);
                        rest = &after[used..];
                    }
                    Some((VarPiece::Var(var), used)) => {
                        parts.push(Part::Var(var));
                        rest = &after[used..];
                    }
                    None => {
                        // Not a well-formed variable: the text stays as written.
                        glob::push_lit(&mut parts, "${");
                        rest = after;
                    }
                }
            }
        }
        glob::push_wild(&mut parts, rest, wildcards);
        let has_vars = parts.iter().any(|p| matches!(p, Part::Var(_)));
        Self { parts: parts.into_boxed_slice(), has_vars }
    }

    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    pub fn has_vars(&self) -> bool {
        self.has_vars
    }

    /// Whole-string match (with wildcards if the template was compiled with them).
    pub fn matches<R: Resolve + ?Sized>(&self, text: &str, fold: bool, vars: &R) -> bool {
        glob::matches(&self.parts, text, fold, vars)
    }

    /// The parts with every variable replaced by its (literal) value; `None` if one has none.
    pub fn resolved<R: Resolve + ?Sized>(&self, vars: &R) -> Option<Vec<Part>> {
        let mut out = Vec::with_capacity(self.parts.len());
        for part in self.parts.iter() {
            match part {
                Part::Var(var) => glob::push_lit(&mut out, vars.resolve(var)?),
                Part::Lit(text) => glob::push_lit(&mut out, text),
                other => out.push(other.clone()),
            }
        }
        Some(out)
    }
}

enum VarPiece<'a> {
    Literal(&'a str),
    Var(Var),
}

/// Parses what follows `${` up to the closing `}` (outside single quotes). Returns the piece
/// and how many bytes it used, including the `}`.
fn parse_var(after: &str) -> Option<(VarPiece<'_>, usize)> {
    let mut in_quote = false;
    let end = after.char_indices().find_map(|(i, c)| match c {
        '\'' => {
            in_quote = !in_quote;
            None
        }
        '}' if !in_quote => Some(i),
        _ => None,
    })?;
    let content = &after[..end];
    let used = end + 1;
    if let "*" | "?" | "$" = content {
        return Some((VarPiece::Literal(content), used));
    }
    let (key, default) = match content.split_once(',') {
        Some((key, default)) => (key.trim(), Some(default.trim())),
        None => (content.trim(), None),
    };
    if key.is_empty() || key.contains(|c: char| c.is_whitespace() || matches!(c, '\'' | '$' | '{')) {
        return None;
    }
    let default = match default {
        None => None,
        Some(d) => {
            let inner = d.strip_prefix('\'')?.strip_suffix('\'')?;
            Some(inner.replace("''", "'").into_boxed_str())
        }
    };
    Some((VarPiece::Var(Var { key: key.to_lowercase().into_boxed_str(), default }), used))
}

/// Splits an ARN pattern into its six components (`arn`, partition, service, region, account,
/// resource; the resource keeps any further colons). `None` if it has fewer than six.
pub(crate) fn split_arn_parts(parts: &[Part]) -> Option<[Vec<Part>; 6]> {
    let mut comps: [Vec<Part>; 6] = Default::default();
    let mut idx = 0;
    for part in parts {
        match part {
            Part::Lit(text) => {
                let mut rest: &str = text;
                while idx < 5 {
                    let Some((head, tail)) = rest.split_once(':') else { break };
                    glob::push_lit(&mut comps[idx], head);
                    idx += 1;
                    rest = tail;
                }
                glob::push_lit(&mut comps[idx], rest);
            }
            other => comps[idx].push(other.clone()),
        }
    }
    (idx == 5).then_some(comps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glob::NoVars;

    struct Map(&'static [(&'static str, &'static str)]);

    impl Resolve for Map {
        fn resolve<'a>(&'a self, var: &'a Var) -> Option<&'a str> {
            self.0.iter().find(|(k, _)| *k == &*var.key).map(|(_, v)| *v).or(var.default.as_deref())
        }
    }

    #[test]
    fn variables_and_escapes() {
        let vars = Map(&[("aws:username", "alice"), ("aws:principaltag/team", "red")]);
        let t = Template::parse("arn:aws:s3:::bucket/${aws:username}/*", true, true);
        assert!(t.has_vars());
        assert!(t.matches("arn:aws:s3:::bucket/alice/x/y", false, &vars));
        assert!(!t.matches("arn:aws:s3:::bucket/bob/x", false, &vars));
        // Key names are case-insensitive.
        let t = Template::parse("${AWS:PrincipalTag/team}", false, true);
        assert!(t.matches("red", false, &vars));
        // Escapes are literal, never wildcards.
        let t = Template::parse("a${*}b${?}c${$}", true, true);
        assert!(t.matches("a*b?c$", false, &NoVars));
        assert!(!t.matches("axb?c$", false, &NoVars));
        // Unresolvable: no match at all.
        let t = Template::parse("${aws:userid}*", true, true);
        assert!(!t.matches("anything", false, &vars));
        // Default values, with '' for a quote; the default is literal.
        let t = Template::parse("${ aws:PrincipalTag/dept , 'it''s*' }", true, true);
        assert!(t.matches("it's*", false, &vars));
        assert!(!t.matches("it's-more", false, &vars));
        // Without variable support (version 2008-10-17) `${…}` is text.
        let t = Template::parse("${aws:username}", false, false);
        assert!(t.matches("${aws:username}", false, &vars));
        assert!(!t.has_vars());
        // Malformed variables stay text.
        let t = Template::parse("x${oops", false, true);
        assert!(t.matches("x${oops", false, &vars));
    }

    #[test]
    fn splits_arns() {
        let t = Template::parse("arn:aws:ssm:*:123:parameter/a:b", true, false);
        let comps = split_arn_parts(t.parts()).unwrap();
        assert_eq!(comps[0], vec![Part::Lit("arn".into())]);
        assert_eq!(comps[3], vec![Part::Star]);
        assert_eq!(comps[5], vec![Part::Lit("parameter/a:b".into())]);
        assert!(split_arn_parts(Template::parse("*", true, false).parts()).is_none());
    }
}
