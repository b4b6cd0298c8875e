//! Wildcard matching as IAM does it: `*` matches any run of characters (including none, and
//! including `:` and `/`), `?` matches exactly one character, everything else is literal.
//!
//! Patterns are compiled once into [`Part`]s. Matching is the classic iterative algorithm that
//! remembers only the last `*` it passed: on a mismatch it lets that star swallow one more
//! character and retries from just after it. That is `O(pattern × text)` in the worst case and
//! linear for the patterns policies contain, never exponential, and it allocates nothing.
//! Policy variables (`${aws:username}`) are parts too; they are resolved from the request
//! context while matching and always match literally.

/// A context that can resolve policy variables. Returning `None` means the variable has no
/// value (absent or multivalued key, and no default); the pattern then matches nothing.
pub(crate) trait Resolve {
    fn resolve<'a>(&'a self, var: &'a Var) -> Option<&'a str>;
}

/// Resolves nothing: for patterns that cannot contain variables (actions, ARN components).
pub(crate) struct NoVars;

impl Resolve for NoVars {
    fn resolve<'a>(&'a self, _var: &'a Var) -> Option<&'a str> {
        None
    }
}

/// `${key}` or `${key, 'default'}`. The key is stored lower-cased (context keys are
/// case-insensitive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Var {
    pub key: Box<str>,
    pub default: Option<Box<str>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Literal text (never empty).
    Lit(Box<str>),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
    /// A policy variable, matched literally once resolved.
    Var(Var),
}

/// Compiles a plain wildcard pattern (no variables).
pub(crate) fn compile(pattern: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    push_wild(&mut parts, pattern, true);
    parts
}

/// Appends `text` to `parts`, turning `*`/`?` into wildcards when `wildcards` is set and
/// merging adjacent literals.
pub(crate) fn push_wild(parts: &mut Vec<Part>, text: &str, wildcards: bool) {
    if !wildcards {
        push_lit(parts, text);
        return;
    }
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let wild = match c {
            '*' => Part::Star,
            '?' => Part::One,
            _ => continue,
        };
        push_lit(parts, &text[start..i]);
        // `**` is the same as `*`; keeping one makes matching a little cheaper.
        if !(wild == Part::Star && parts.last() == Some(&Part::Star)) {
            parts.push(wild);
        }
        start = i + 1;
    }
    push_lit(parts, &text[start..]);
}

/// Appends literal text, merging it into a preceding literal.
pub(crate) fn push_lit(parts: &mut Vec<Part>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Part::Lit(prev)) = parts.last_mut() {
        let mut s = String::with_capacity(prev.len() + text.len());
        s.push_str(prev);
        s.push_str(text);
        *prev = s.into_boxed_str();
    } else {
        parts.push(Part::Lit(text.into()));
    }
}

/// Does `text` match the whole pattern? `fold` compares literals case-insensitively (per
/// character, as Java's `equalsIgnoreCase` does). An unresolvable variable fails the match.
pub(crate) fn matches<R: Resolve + ?Sized>(parts: &[Part], text: &str, fold: bool, vars: &R) -> bool {
    let n = text.len();
    let (mut p, mut t) = (0usize, 0usize);
    // (index of the part after the last star, text position that star's match ends at)
    let mut star: Option<(usize, usize)> = None;
    loop {
        if let Some(part) = parts.get(p) {
            let advanced = match part {
                Part::Star => {
                    if p + 1 == parts.len() {
                        return true; // a trailing star swallows the rest
                    }
                    star = Some((p + 1, t));
                    p += 1;
                    continue;
                }
                Part::One => {
                    if t < n {
                        t += char_len(text, t);
                        true
                    } else {
                        false
                    }
                }
                Part::Lit(lit) => match match_lit(lit, &text[t..], fold) {
                    Some(used) => {
                        t += used;
                        true
                    }
                    None => false,
                },
                Part::Var(var) => match vars.resolve(var) {
                    Some(value) => match match_lit(value, &text[t..], fold) {
                        Some(used) => {
                            t += used;
                            true
                        }
                        None => false,
                    },
                    None => return false,
                },
            };
            if advanced {
                p += 1;
                continue;
            }
        } else if t == n {
            return true;
        }
        // Mismatch: let the last star swallow one more character and retry after it.
        let Some((after, st)) = star else { return false };
        if st >= n {
            return false;
        }
        let mut next = st + char_len(text, st);
        if !fold {
            // Jump straight to the next place the literal after the star can start.
            if let Some(Part::Lit(lit)) = parts.get(after) {
                match text[next..].find(&**lit) {
                    Some(off) => next += off,
                    None => return false,
                }
            }
        }
        star = Some((after, next));
        p = after;
        t = next;
    }
}

/// Convenience: match a raw wildcard pattern against `text` (compiles the pattern).
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    matches(&compile(pattern), text, false, &NoVars)
}

/// Convenience: case-insensitive [`wildcard_match`], as IAM matches action names.
pub fn wildcard_match_ignore_case(pattern: &str, text: &str) -> bool {
    matches(&compile(pattern), text, true, &NoVars)
}

/// If `text` starts with `lit`, how many bytes of `text` it covers.
fn match_lit(lit: &str, text: &str, fold: bool) -> Option<usize> {
    if !fold {
        return text.as_bytes().starts_with(lit.as_bytes()).then_some(lit.len());
    }
    let (lb, tb) = (lit.as_bytes(), text.as_bytes());
    if lit.is_ascii() {
        // Common case (action names): ASCII folding only. (The odd non-ASCII letter that
        // folds to ASCII, like the Kelvin sign, is not treated as equal here.)
        return (tb.len() >= lb.len() && tb[..lb.len()].eq_ignore_ascii_case(lb)).then_some(lb.len());
    }
    let mut used = 0;
    let mut tc = text.chars();
    for a in lit.chars() {
        let b = tc.next()?;
        if !chars_eq_ignore_case(a, b) {
            return None;
        }
        used += b.len_utf8();
    }
    Some(used)
}

/// Java `String.equalsIgnoreCase` per character: equal, or equal upper-cased, or equal
/// lower-cased.
pub(crate) fn chars_eq_ignore_case(a: char, b: char) -> bool {
    a == b || a.to_uppercase().eq(b.to_uppercase()) || a.to_lowercase().eq(b.to_lowercase())
}

/// Byte length of the character starting at byte `i` of `s` (`i` is a char boundary).
fn char_len(s: &str, i: usize) -> usize {
    match s.as_bytes()[i] {
        b if b < 0x80 => 1,
        b if b >= 0xF0 => 4,
        b if b >= 0xE0 => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The obviously-correct (and exponential) reference: recursion over characters.
    fn naive(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|k| naive(rest, &t[k..])),
            Some(('?', rest)) => !t.is_empty() && naive(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && naive(rest, &t[1..]),
        }
    }

    fn naive_str(p: &str, t: &str) -> bool {
        naive(&p.chars().collect::<Vec<_>>(), &t.chars().collect::<Vec<_>>())
    }

    #[test]
    fn basics() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("*", "anything:at/all"));
        assert!(wildcard_match("", ""));
        assert!(!wildcard_match("", "x"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match(
            "arn:aws:ssm:us-east-1:000000000000:parameter/*",
            "arn:aws:ssm:us-east-1:000000000000:parameter/copilot/demo/test/secrets/db"
        ));
        assert!(!wildcard_match("arn:aws:ssm:*:*:parameter/x", "arn:aws:ssm:us-east-1:1:parameter/xy"));
        assert!(wildcard_match("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!wildcard_match("*a*b*c", "xxaxxbxxcxx"));
        assert!(wildcard_match("a*a*a*a*b", "aaaaaaaaaaaaaaaaab"));
        assert!(!wildcard_match("a*a*a*a*b", "aaaaaaaaaaaaaaaaaa"));
        // `?` is one character, not one byte.
        assert!(wildcard_match("caf?", "café"));
        assert!(wildcard_match("?é*", "éé"));
        // Case: sensitive by default, insensitive for actions.
        assert!(!wildcard_match("ssm:Get*", "SSM:getparameters"));
        assert!(wildcard_match_ignore_case("ssm:Get*", "SSM:getparameters"));
        assert!(wildcard_match_ignore_case("ssm:GetParameters", "SSM:getparameters"));
        assert!(!wildcard_match_ignore_case("ssm:GetParameter", "ssm:GetParameters"));
        assert!(wildcard_match_ignore_case("ÄR*", "ärger"));
    }

    #[test]
    fn pathological_pattern_terminates() {
        // Exponential backtracking would hang here; the linear matcher answers at once.
        let text = "a".repeat(10_000);
        let pattern = format!("{}b", "*a".repeat(50));
        assert!(!wildcard_match(&pattern, &text));
        assert!(!wildcard_match_ignore_case(&pattern, &text));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn agrees_with_naive_matcher(p in "[ab*?:/é]{0,10}", t in "[ab:/é]{0,14}") {
            prop_assert_eq!(wildcard_match(&p, &t), naive_str(&p, &t), "pattern {:?} text {:?}", p, t);
        }

        #[test]
        fn agrees_with_naive_matcher_ignoring_case(p in "[aAbB*?]{0,10}", t in "[aAbB]{0,14}") {
            let expected = naive_str(&p.to_lowercase(), &t.to_lowercase());
            prop_assert_eq!(wildcard_match_ignore_case(&p, &t), expected, "pattern {:?} text {:?}", p, t);
        }

        #[test]
        fn literal_text_matches_itself(t in "[a-z:/*?]{0,20}") {
            // With the wildcards read literally a string only matches itself.
            let mut parts = Vec::new();
            push_wild(&mut parts, &t, false);
            prop_assert!(matches(&parts, &t, false, &NoVars));
            prop_assert!(wildcard_match(&t, &t));
        }
    }
}
