//! The container's final environment, as the ECS agent assembles it: environment files lowest,
//! then `environment`, then `secrets` (which overwrite same-named entries).

use std::collections::BTreeMap;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// The agent's env-file reader (`agent/taskresource/envFiles/envfile.go`): one `NAME=VALUE` per
/// line; a line starting with `#` is a comment; lines without `=` are skipped, as are lines
/// whose name or value is empty; nothing is trimmed or unquoted; a later line wins; `\r\n` line
/// ends are accepted (Go's `bufio.ScanLines`).
pub fn parse_env_file(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=')
            && !k.is_empty()
            && !v.is_empty()
        {
            out.insert(k.to_owned(), v.to_owned());
        }
    }
    out
}

/// One variable of the final environment.
#[derive(Clone)]
pub enum EnvValue {
    Plain(String),
    Secret(SecretString),
}

impl EnvValue {
    pub fn expose(&self) -> &str {
        match self {
            Self::Plain(s) => s,
            Self::Secret(s) => s.expose_secret(),
        }
    }

    pub fn is_secret(&self) -> bool {
        matches!(self, Self::Secret(_))
    }
}

impl fmt::Debug for EnvValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plain(s) => f.debug_tuple("Plain").field(s).finish(),
            Self::Secret(_) => f.write_str("Secret([REDACTED])"),
        }
    }
}

/// Env files (in order; for a name in several, the first file wins, as the agent's
/// `MergeEnvironmentVariablesFromEnvfiles` only fills missing names) < `environment` (a later
/// duplicate wins) < `secrets`. Returns the environment ordered by name.
pub fn assemble_environment<'a>(
    env_files: &[BTreeMap<String, String>],
    environment: impl IntoIterator<Item = (&'a str, &'a str)>,
    secrets: impl IntoIterator<Item = (String, SecretString)>,
) -> BTreeMap<String, EnvValue> {
    let mut out = BTreeMap::new();
    for (k, v) in environment {
        out.insert(k.to_owned(), EnvValue::Plain(v.to_owned()));
    }
    for file in env_files {
        for (k, v) in file {
            out.entry(k.clone()).or_insert_with(|| EnvValue::Plain(v.clone()));
        }
    }
    for (k, v) in secrets {
        out.insert(k, EnvValue::Secret(v));
    }
    out
}

/// ECS refuses a container whose `environment` and `secrets` share a name
/// (`RegisterTaskDefinition`). The message is ECS's, naming the first clash.
pub fn environment_secret_clash<'a>(
    environment: impl IntoIterator<Item = &'a str>,
    secrets: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let env: std::collections::HashSet<&str> = environment.into_iter().collect();
    secrets.into_iter().find(|s| env.contains(s)).map(|name| {
        format!(
            "ClientException: The secret name must be unique and not shared with any new or existing environment variables set on the container, such as '{name}'."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_rules() {
        let text = "# comment\nA=1\nB=x=y\n\nNOEQUALS\nEMPTY=\n=novalue\n SPACED = v \nA=2\r\nQ=\"quoted\"\n  # not a comment=1\nexport E=1";
        let got = parse_env_file(text);
        let want: BTreeMap<String, String> = [
            ("A", "2"),
            ("B", "x=y"),
            (" SPACED ", " v "),
            ("Q", "\"quoted\""),
            ("  # not a comment", "1"),
            ("export E", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn precedence_env_file_lt_variables_lt_secrets() {
        let f1 = parse_env_file("A=file1\nB=file1\nC=file1\nD=file1");
        let f2 = parse_env_file("D=file2\nE=file2");
        let env = assemble_environment(
            &[f1, f2],
            [("B", "var"), ("C", "var"), ("C", "var2")],
            [("C".to_owned(), SecretString::from("secret".to_owned()))],
        );
        let shown: Vec<(String, String, bool)> =
            env.iter().map(|(k, v)| (k.clone(), v.expose().to_owned(), v.is_secret())).collect();
        assert_eq!(
            shown,
            vec![
                ("A".into(), "file1".into(), false),
                ("B".into(), "var".into(), false),
                ("C".into(), "secret".into(), true),
                ("D".into(), "file1".into(), false),
                ("E".into(), "file2".into(), false),
            ]
        );
        assert!(!format!("{:?}", env["C"]).contains("secret\""));
    }

    #[test]
    fn clash_message_is_ecs() {
        assert_eq!(
            environment_secret_clash(["PORT", "DB_HOST"], ["DB_HOST"]).unwrap(),
            "ClientException: The secret name must be unique and not shared with any new or existing environment variables set on the container, such as 'DB_HOST'."
        );
        assert_eq!(environment_secret_clash(["PORT"], ["DB"]), None);
    }
}
