//! Terraform `.tfvars`: one `name = "string"` per variable. Written with HCL's string escapes
//! (`\n \r \t \" \\`, and `$${` / `%%{` so a value is never read as a template); read back for
//! that same subset (plus `\uNNNN`), with `#` and `//` comment lines.

use super::dotenv::SyntaxError;
use super::entry::FlatEntry;
use coffer_aws::secret::{ExposeSecret as _, SecretString};

pub fn write(entries: &[(String, SecretString)]) -> SecretString {
    let mut out = String::new();
    for (key, value) in entries {
        out.push_str(key);
        out.push_str(" = \"");
        let mut chars = value.expose_secret().chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '$' | '%' if chars.peek() == Some(&'{') => {
                    out.push(c);
                    out.push(c);
                }
                c => out.push(c),
            }
        }
        out.push_str("\"\n");
    }
    SecretString::from(out)
}

pub fn parse(text: &str) -> Result<Vec<FlatEntry>, SyntaxError> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let fail = |message: String| SyntaxError { line, message };
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
            continue;
        }
        let Some((key, rest)) = trimmed.split_once('=') else {
            return Err(fail("expected name = \"value\"".to_owned()));
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(fail("expected name = \"value\", with a name of letters, digits, `_` and `-`".to_owned()));
        }
        let rest = rest.trim();
        let Some(body) = rest.strip_prefix('"') else {
            return Err(fail(format!("the value of {key} is not a quoted string")));
        };
        let value =
            string(body).ok_or_else(|| fail(format!("the value of {key} is not a well-formed quoted string")))?;
        out.push(FlatEntry { key: key.to_owned(), value: SecretString::from(value), line: Some(line) });
    }
    Ok(out)
}

/// The string up to its closing quote, which must end the line; `None` if malformed.
fn string(body: &str) -> Option<String> {
    let mut value = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return chars.as_str().trim().is_empty().then_some(value),
            '\\' => match chars.next()? {
                'n' => value.push('\n'),
                'r' => value.push('\r'),
                't' => value.push('\t'),
                '"' => value.push('"'),
                '\\' => value.push('\\'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    value.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                _ => return None,
            },
            '$' | '%' if chars.as_str().starts_with(c) && chars.as_str()[1..].starts_with('{') => {
                chars.next();
                value.push(c);
            }
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_escapes_and_templates() {
        let values = ["plain", "", "a \"b\" \\ c", "x\ny\r\tz", "${not_a_template} %{nor_this} $ %", "ü"];
        let entries: Vec<(String, SecretString)> =
            values.iter().enumerate().map(|(i, v)| (format!("k_{i}"), SecretString::from(v.to_string()))).collect();
        let text = write(&entries);
        assert!(text.expose_secret().contains("$${not_a_template} %%{nor_this}"), "{}", text.expose_secret());
        let back = parse(text.expose_secret()).unwrap();
        let got: Vec<&str> = back.iter().map(|e| e.value.expose_secret()).collect();
        assert_eq!(got, values);
    }

    #[test]
    fn reads_comments_and_names_malformed_lines() {
        let back = parse("# c\n// c\n\nname = \"v\" \nother=\"\\u00e9\"\n").unwrap();
        assert_eq!(
            back.iter().map(|e| (e.key.as_str(), e.line)).collect::<Vec<_>>(),
            [("name", Some(4)), ("other", Some(5))]
        );
        assert_eq!(back[1].value.expose_secret(), "é");
        let err = parse("a = \"x\"\nb = unquoted-secret\n").unwrap_err();
        assert_eq!(err.to_string(), "line 2: the value of b is not a quoted string");
        let err = parse("a = \"open-secret\n").unwrap_err();
        assert_eq!(err.to_string(), "line 1: the value of a is not a well-formed quoted string");
    }
}
