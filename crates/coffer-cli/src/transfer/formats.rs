//! The file formats of `coffer import` and `coffer export`: flat `name → value` files
//! (dotenv, JSON, YAML, tfvars; chamber's `export` JSON is the JSON one) and the two
//! reference formats without values (ECS `secrets`, Copilot manifest `secrets:`).

use super::entry::FlatEntry;
use super::{dotenv, tfvars};
use coffer_aws::secret::{ExposeSecret as _, SecretString};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    Dotenv,
    Json,
    Yaml,
    Tfvars,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Dotenv,
    Json,
    Yaml,
    Tfvars,
    /// An ECS container definition's `secrets` list (`name`, `valueFrom` ARN); no values.
    EcsSecrets,
    /// A Copilot manifest `secrets:` block; no values.
    Manifest,
}

impl OutputFormat {
    pub fn has_values(self) -> bool {
        !matches!(self, OutputFormat::EcsSecrets | OutputFormat::Manifest)
    }
}

/// A file's entries; errors name a line or key, never a value.
pub fn parse(format: InputFormat, text: &str) -> Result<Vec<FlatEntry>, String> {
    match format {
        InputFormat::Dotenv => dotenv::parse(text).map_err(|e| e.to_string()),
        InputFormat::Tfvars => tfvars::parse(text).map_err(|e| e.to_string()),
        InputFormat::Json => {
            let object: BTreeMap<String, serde_json::Value> = serde_json::from_str(text).map_err(|e| {
                format!("line {}, column {}: not a JSON object of names to values", e.line(), e.column())
            })?;
            flat(object)
        }
        InputFormat::Yaml => {
            let object: Option<BTreeMap<String, serde_json::Value>> =
                serde_saphyr::from_str(text).map_err(|_| "not a YAML mapping of names to values".to_owned())?;
            flat(object.unwrap_or_default())
        }
    }
}

/// Strings as they are, numbers and booleans as written; anything nested is refused.
fn flat(object: BTreeMap<String, serde_json::Value>) -> Result<Vec<FlatEntry>, String> {
    object
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Null => String::new(),
                _ => return Err(format!("the value of {key} is not a string (nested values cannot be imported)")),
            };
            Ok(FlatEntry { key, value: SecretString::from(value), line: None })
        })
        .collect()
}

/// `{"name": "value", …}`, one entry per line; also valid YAML for the YAML format.
fn json_object(entries: &[(String, SecretString)], yaml: bool) -> SecretString {
    let quote = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
    let mut out = String::new();
    if yaml {
        for (key, value) in entries {
            out.push_str(&format!("{}: {}\n", quote(key), quote(value.expose_secret())));
        }
        if entries.is_empty() {
            out.push_str("{}\n");
        }
    } else {
        out.push('{');
        for (i, (key, value)) in entries.iter().enumerate() {
            out.push_str(if i == 0 { "\n  " } else { ",\n  " });
            out.push_str(&format!("{}: {}", quote(key), quote(value.expose_secret())));
        }
        out.push_str(if entries.is_empty() { "}\n" } else { "\n}\n" });
    }
    SecretString::from(out)
}

/// A value format's text.
pub fn render_values(format: OutputFormat, entries: &[(String, SecretString)]) -> SecretString {
    match format {
        OutputFormat::Dotenv => dotenv::write(entries),
        OutputFormat::Json => json_object(entries, false),
        OutputFormat::Yaml => json_object(entries, true),
        OutputFormat::Tfvars => tfvars::write(entries),
        OutputFormat::EcsSecrets | OutputFormat::Manifest => unreachable!("a reference format has no values"),
    }
}

/// `secrets: [{"name", "valueFrom"}]` of an ECS container definition: `(name, parameter ARN)`.
pub fn render_ecs_secrets(references: &[(String, String)]) -> String {
    let list: Vec<serde_json::Value> =
        references.iter().map(|(name, arn)| serde_json::json!({"name": name, "valueFrom": arn})).collect();
    let mut out = serde_json::to_string_pretty(&serde_json::json!({ "secrets": list })).unwrap_or_default();
    out.push('\n');
    out
}

/// A Copilot manifest's `secrets:` block, valid in every environment of the application.
pub fn render_manifest(names: &[String]) -> String {
    let mut out = String::from("secrets:\n");
    for name in names {
        out.push_str(&format!("  {name}: {}\n", crate::copilot::manifest_reference(name)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(pairs: &[(&str, &str)]) -> Vec<(String, SecretString)> {
        pairs.iter().map(|(k, v)| (k.to_string(), SecretString::from(v.to_string()))).collect()
    }

    fn values(parsed: Vec<FlatEntry>) -> Vec<(String, String)> {
        parsed.into_iter().map(|e| (e.key, e.value.expose_secret().to_owned())).collect()
    }

    #[test]
    fn every_value_format_reads_back_what_it_wrote() {
        let pairs = [("A", "x"), ("B_2", "multi\nline \"quoted\" ${x} \\"), ("c-3", ""), ("D", "ünïcode: # yes")];
        let expected: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        for (out, input) in [
            (OutputFormat::Dotenv, InputFormat::Dotenv),
            (OutputFormat::Json, InputFormat::Json),
            (OutputFormat::Yaml, InputFormat::Yaml),
            (OutputFormat::Tfvars, InputFormat::Tfvars),
        ] {
            let text = render_values(out, &entries(&pairs));
            let mut back = values(parse(input, text.expose_secret()).unwrap());
            back.sort();
            let mut want = expected.clone();
            want.sort();
            assert_eq!(back, want, "{out:?}:\n{}", text.expose_secret());
        }
    }

    #[test]
    fn flat_objects_take_scalars_and_refuse_nesting() {
        let parsed = values(parse(InputFormat::Yaml, "PORT: 8080\nDEBUG: true\nNAME: web\nNONE: null\n").unwrap());
        assert_eq!(
            parsed,
            [("DEBUG", "true"), ("NAME", "web"), ("NONE", ""), ("PORT", "8080")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        let err = parse(InputFormat::Json, r#"{"A": {"nested": "secret-value"}}"#).err().unwrap();
        assert_eq!(err, "the value of A is not a string (nested values cannot be imported)");
        let err = parse(InputFormat::Json, "{\"A\": \"secret-value\",}").err().unwrap();
        assert!(err.starts_with("line 1, column ") && !err.contains("secret"), "{err}");
        let empty = render_values(OutputFormat::Json, &[]);
        assert!(parse(InputFormat::Json, empty.expose_secret()).unwrap().is_empty());
        let empty = render_values(OutputFormat::Yaml, &[]);
        assert!(parse(InputFormat::Yaml, empty.expose_secret()).unwrap().is_empty());
    }

    #[test]
    fn reference_formats_name_without_values() {
        assert_eq!(
            render_manifest(&["DB".to_owned()]),
            "secrets:\n  DB: /copilot/${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/secrets/DB\n"
        );
        let ecs: serde_json::Value =
            serde_json::from_str(&render_ecs_secrets(&[("DB".to_owned(), "arn:x".to_owned())])).unwrap();
        assert_eq!(ecs, serde_json::json!({"secrets": [{"name": "DB", "valueFrom": "arn:x"}]}));
    }
}
