//! Copilot's manifest interpolation (`internal/pkg/manifest/interpolate.go`, copilot-cli
//! v1.33).
//!
//! What Copilot does, and therefore what this module does:
//! * The manifest is parsed into a YAML node tree **before** it is decoded into the typed
//!   manifest; every scalar whose tag is `!!str` is interpolated. Mapping **keys are not**
//!   interpolated (only the value of each pair is visited); sequence items and nested maps are.
//!   Scalars with another tag (`!Sub`, `!!int`, …) are left alone.
//! * The pattern is `(\\?)\${([_a-zA-Z][_a-zA-Z0-9]*)}`. `${COPILOT_APPLICATION_NAME}` and
//!   `${COPILOT_ENVIRONMENT_NAME}` are predefined; any other `${VAR}` comes from the process
//!   environment (here: a lookup the caller provides). `\${VAR}` becomes a literal `${VAR}`.
//! * Errors (texts verbatim): `environment variable "X" is not defined`, and
//!   `predefined environment variable "X" cannot be overridden by OS environment variable with
//!   the same name` when the lookup has a *different* value for a predefined name.
//! * Substitution is Go's loop of `strings.ReplaceAll` over the matches found in the original
//!   scalar, quirks included: `\${X} ${X}` yields `v v` (the un-escaped copy is replaced by the
//!   later match), and a value that itself contains `${Y}` is replaced again if `${Y}` occurs
//!   later in the same scalar.
//! * After substitution, a scalar that is not a `|` literal block and parses as a non-empty JSON
//!   array of strings becomes a YAML sequence (`'["a","b"]'` → `[a, b]`).
//!
//! Coffer does not re-emit and re-parse the YAML as Copilot does; it records the interpolated
//! value of each changed scalar by its byte offset and the typed decoder substitutes it. Errors
//! therefore point at lines and columns of the file the user wrote (Copilot's type errors point
//! into its re-marshalled copy).

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

/// Name of the predefined variable holding the application name.
pub const APP_NAME_VAR: &str = "COPILOT_APPLICATION_NAME";
/// Name of the predefined variable holding the environment name.
pub const ENV_NAME_VAR: &str = "COPILOT_ENVIRONMENT_NAME";

static VAR_PATTERN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\\?)\$\{([_a-zA-Z][_a-zA-Z0-9]*)\}").expect("constant pattern is valid"));

/// Why a scalar could not be interpolated. The `Display` texts are Copilot's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InterpolationError {
    #[error("environment variable \"{0}\" is not defined")]
    NotDefined(String),
    #[error(
        "predefined environment variable \"{0}\" cannot be overridden by OS environment variable with the same name"
    )]
    PredefinedOverridden(String),
}

type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

/// Substitutes `${VAR}` references the way Copilot does for one application and environment.
pub struct Interpolator<'a> {
    app: &'a str,
    env: &'a str,
    lookup: Lookup<'a>,
}

impl<'a> Interpolator<'a> {
    /// `lookup` answers for variables other than the two predefined ones; pass
    /// `|k| std::env::var(k).ok()` for Copilot's behaviour.
    pub fn new(app: &'a str, env: &'a str, lookup: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Self { app, env, lookup: Box::new(lookup) }
    }

    /// An interpolator whose other variables come from a map.
    pub fn with_map(app: &'a str, env: &'a str, vars: &'a HashMap<String, String>) -> Self {
        Self::new(app, env, move |k| vars.get(k).cloned())
    }

    pub fn app(&self) -> &str {
        self.app
    }

    pub fn env(&self) -> &str {
        self.env
    }

    fn predefined(&self, key: &str) -> Option<&str> {
        match key {
            APP_NAME_VAR => Some(self.app),
            ENV_NAME_VAR => Some(self.env),
            _ => None,
        }
    }

    /// Interpolates one scalar value (Copilot's `interpolatePart`).
    pub fn interpolate_str(&self, s: &str) -> Result<String, InterpolationError> {
        let matches: Vec<(bool, String)> = VAR_PATTERN
            .captures_iter(s)
            .map(|c| (c.get(1).is_some_and(|m| !m.as_str().is_empty()), c[2].to_owned()))
            .collect();
        let mut replaced = s.to_owned();
        for (escaped, key) in matches {
            let segment = format!("${{{key}}}");
            if escaped {
                replaced = replaced.replace(&format!("\\{segment}"), &segment);
                continue;
            }
            let predefined = self.predefined(&key);
            let from_env = (self.lookup)(&key);
            if let (Some(p), Some(o)) = (predefined, from_env.as_deref())
                && p != o
            {
                return Err(InterpolationError::PredefinedOverridden(key));
            }
            if let Some(p) = predefined {
                replaced = replaced.replace(&segment, p);
            } else if let Some(v) = from_env {
                replaced = replaced.replace(&segment, &v);
            } else {
                return Err(InterpolationError::NotDefined(key));
            }
        }
        Ok(replaced)
    }
}

/// What an interpolated scalar turned into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Replacement {
    Str(String),
    /// Copilot's JSON-array quirk: the scalar became a sequence of strings.
    Seq(Vec<String>),
}

/// A problem found while walking the YAML events, with its 1-based position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EventError {
    pub line: u64,
    pub column: u64,
    pub kind: EventErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EventErrorKind {
    Syntax(String),
    Interpolation(InterpolationError),
}

#[derive(Clone, Copy)]
enum Frame {
    Map { expect_key: bool },
    Seq,
}

/// Marks the end of a node in the current collection: in a mapping, a key is followed by a value
/// and a value by the next key.
fn node_done(stack: &mut [Frame]) {
    if let Some(Frame::Map { expect_key }) = stack.last_mut() {
        *expect_key = !*expect_key;
    }
}

fn in_key_slot(stack: &[Frame]) -> bool {
    matches!(stack.last(), Some(Frame::Map { expect_key: true }))
}

/// Walks the first YAML document of `text` and interpolates every `!!str` value scalar.
/// Returns the scalars that changed (or became sequences), keyed by their start byte offset.
pub(crate) fn interpolate_document(
    text: &str,
    itp: &Interpolator<'_>,
) -> Result<HashMap<usize, Replacement>, EventError> {
    let mut out = HashMap::new();
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    // > 0 while inside a collection used as a mapping key (Copilot never visits keys).
    let mut skip_depth = 0usize;
    let mut seen_document = false;
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(pair) => pair,
            Err(e) => {
                let m = e.marker();
                return Err(EventError {
                    line: m.line() as u64,
                    column: m.col() as u64 + 1,
                    kind: EventErrorKind::Syntax(e.info()),
                });
            }
        };
        match event {
            Event::DocumentStart(..) if seen_document => break,
            Event::DocumentStart(..) => seen_document = true,
            Event::DocumentEnd | Event::StreamEnd if seen_document => break,
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if skip_depth > 0 || in_key_slot(&stack) {
                    skip_depth += 1;
                    continue;
                }
                stack.push(if matches!(event, Event::MappingStart(..)) {
                    Frame::Map { expect_key: true }
                } else {
                    Frame::Seq
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if skip_depth > 0 {
                    skip_depth -= 1;
                    if skip_depth == 0 {
                        node_done(&mut stack);
                    }
                    continue;
                }
                stack.pop();
                node_done(&mut stack);
            }
            Event::Alias(_) if skip_depth == 0 => node_done(&mut stack),
            Event::Scalar(value, style, _anchor, tag) => {
                if skip_depth > 0 {
                    continue;
                }
                let is_key = in_key_slot(&stack);
                node_done(&mut stack);
                if is_key {
                    continue;
                }
                let is_str = match &tag {
                    Some(tag) => tag.is_yaml_core_schema_tag("str"),
                    // An untagged plain scalar is a string unless it resolves to null/bool/number;
                    // none of those contains `${` or starts with `[`, so only the text matters.
                    None => true,
                };
                if !is_str {
                    continue;
                }
                let plain = style == ScalarStyle::Plain && tag.is_none();
                if plain && !value.contains("${") {
                    continue;
                }
                let interpolated = itp.interpolate_str(&value).map_err(|e| EventError {
                    line: span.start.line() as u64,
                    column: span.start.col() as u64 + 1,
                    kind: EventErrorKind::Interpolation(e),
                })?;
                let offset = span.start.byte_offset().unwrap_or(span.start.index());
                if style != ScalarStyle::Literal
                    && let Some(items) = json_string_array(&interpolated)
                {
                    out.insert(offset, Replacement::Seq(items));
                    continue;
                }
                if interpolated != *value {
                    out.insert(offset, Replacement::Str(interpolated));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Go's `json.Unmarshal([]byte(s), &[]string{})` succeeding with at least one element
/// (a JSON `null` element decodes to "").
fn json_string_array(s: &str) -> Option<Vec<String>> {
    let t = s.trim_start();
    if !t.starts_with('[') {
        return None;
    }
    let items: Vec<Option<String>> = serde_json::from_str(s).ok()?;
    if items.is_empty() {
        return None;
    }
    Some(items.into_iter().map(Option::unwrap_or_default).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn itp_with<'a>(vars: &'a HashMap<String, String>) -> Interpolator<'a> {
        Interpolator::with_map("demo", "test", vars)
    }

    #[test]
    fn interpolate_str_table() {
        let vars: HashMap<String, String> = [
            ("TAG", "latest"),
            ("EMPTY", ""),
            ("NESTED", "${TAG}"),
            ("COPILOT_APPLICATION_NAME", "demo"), // same value as predefined: allowed
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let itp = itp_with(&vars);
        let cases: &[(&str, Result<&str, InterpolationError>)] = &[
            ("plain", Ok("plain")),
            (
                "/copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/X",
                Ok("/copilot/demo/test/secrets/X"),
            ),
            ("img:${TAG}", Ok("img:latest")),
            ("a${EMPTY}b", Ok("ab")),
            (r"\${TAG}", Ok("${TAG}")),
            (r"\${UNSET}", Ok("${UNSET}")),
            (r"\\${TAG}", Ok(r"\${TAG}")),
            // Go's ReplaceAll loop: the escaped copy is un-escaped, then replaced by the later match.
            (r"\${TAG} ${TAG}", Ok("latest latest")),
            // ... and the other order leaves a backslash in front of the value.
            (r"${TAG} \${TAG}", Ok(r"latest \latest")),
            // A value containing a reference is replaced again by a later match in the same scalar.
            ("${NESTED} ${TAG}", Ok("latest latest")),
            ("${NESTED}", Ok("${TAG}")),
            ("$TAG {TAG} ${1X} ${A-B}", Ok("$TAG {TAG} ${1X} ${A-B}")),
            ("${UNSET}", Err(InterpolationError::NotDefined("UNSET".into()))),
            ("${TAG}${UNSET}", Err(InterpolationError::NotDefined("UNSET".into()))),
        ];
        for (input, want) in cases {
            let got = itp.interpolate_str(input);
            assert_eq!(got.as_deref().map_err(Clone::clone), want.clone(), "input {input:?}");
        }
    }

    #[test]
    fn predefined_cannot_be_overridden() {
        let vars: HashMap<String, String> = [("COPILOT_ENVIRONMENT_NAME".to_owned(), "prod".to_owned())].into();
        let itp = itp_with(&vars);
        let err = itp.interpolate_str("/copilot/my-app/${COPILOT_ENVIRONMENT_NAME}/secrets/db_password").unwrap_err();
        assert_eq!(
            err.to_string(),
            "predefined environment variable \"COPILOT_ENVIRONMENT_NAME\" cannot be overridden by OS environment variable with the same name"
        );
        // Not referenced: no error.
        assert_eq!(itp.interpolate_str("x").unwrap(), "x");
    }

    #[test]
    fn not_defined_text_is_copilots() {
        let vars = HashMap::new();
        let err = itp_with(&vars).interpolate_str("/copilot/my-app/${env}/secrets/db_password").unwrap_err();
        assert_eq!(err.to_string(), "environment variable \"env\" is not defined");
    }

    #[test]
    fn document_walk_skips_keys_and_tagged_scalars() {
        let vars: HashMap<String, String> =
            [("A", "1"), ("L", r#"["x","y"]"#)].into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        let itp = itp_with(&vars);
        let text = "${KEY_NOT_INTERPOLATED}: v\nk: ${A}\nt: !Sub '${UNSET_BUT_TAGGED}'\nlist: [a, '${A}']\nj: '[\"p\"]'\nlit: |\n  [\"q\"]\nl: ${L}\n? ['${COMPLEX_KEY}', {k: '${K}'}]\n: x\n";
        let out = interpolate_document(text, &itp).unwrap();
        let at = |needle: &str| text.find(needle).unwrap();
        assert_eq!(out.get(&at("${A}\n")), Some(&Replacement::Str("1".into())));
        assert_eq!(out.get(&at("'${A}'")), Some(&Replacement::Str("1".into())));
        assert_eq!(out.get(&at("'[\"p\"]'")), Some(&Replacement::Seq(vec!["p".into()])));
        assert_eq!(out.get(&at("${L}")), Some(&Replacement::Seq(vec!["x".into(), "y".into()])));
        assert_eq!(out.len(), 4, "{out:?}");
    }

    #[test]
    fn document_walk_reports_position() {
        let vars = HashMap::new();
        let text = "name: api\nsecrets:\n  DB: /copilot/${COPILOT_APPLICATION_NAME}/${STAGE}/secrets/db\n";
        let err = interpolate_document(text, &itp_with(&vars)).unwrap_err();
        assert_eq!((err.line, err.column), (3, 7));
        assert_eq!(err.kind, EventErrorKind::Interpolation(InterpolationError::NotDefined("STAGE".into())));
    }

    #[test]
    fn document_walk_reports_syntax_errors() {
        let vars = HashMap::new();
        let err = interpolate_document("a: b: c\n", &itp_with(&vars)).unwrap_err();
        assert_eq!((err.line, err.column), (1, 5));
        assert!(matches!(err.kind, EventErrorKind::Syntax(ref m) if m.contains("mapping values are not allowed")));
    }
}
