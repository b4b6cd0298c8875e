//! The SSRF token: what a request must carry in one of the token headers. Read from the first
//! set variable of a list; a value `file:///path` names a file that holds it.

use secrecy::{ExposeSecret as _, SecretString};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "no SSRF token: set one of {vars} (a value `file:///path` reads the token from that file; `coffer agent --init-token FILE` makes one)"
    )]
    Missing { vars: String },
    #[error("cannot read the token file {path} named by {var}: {source}")]
    File { var: String, path: String, source: std::io::Error },
    #[error("the token file {path} named by {var} is empty")]
    Empty { var: String, path: String },
}

/// The token from the first of `vars` that `env` has (non-empty).
pub fn load(vars: &[String], env: impl Fn(&str) -> Option<String>) -> Result<SecretString, TokenError> {
    for var in vars {
        let Some(value) = env(var).filter(|v| !v.is_empty()) else { continue };
        let Some(path) = value.strip_prefix("file://") else { return Ok(SecretString::from(value)) };
        let text = std::fs::read_to_string(path).map_err(|source| TokenError::File {
            var: var.clone(),
            path: path.to_owned(),
            source,
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(TokenError::Empty { var: var.clone(), path: path.to_owned() });
        }
        return Ok(SecretString::from(token.to_owned()));
    }
    Err(TokenError::Missing { vars: vars.join(", ") })
}

/// Writes a new random token to `path` (mode 0640, refusing to replace a file) and returns
/// the variable setting that points the agent at it.
pub fn init(path: &Path) -> std::io::Result<String> {
    let token = SecretString::from(hex::encode(rand::random::<[u8; 32]>()));
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o640).open(path)?;
    file.write_all(token.expose_secret().as_bytes())?;
    file.sync_all()?;
    let absolute = std::path::absolute(path)?;
    Ok(format!("AWS_TOKEN=file://{}", absolute.display()))
}

/// Whether `given` is the token, compared in constant time (as the server compares session
/// tokens).
pub fn matches(token: &SecretString, given: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(token.expose_secret().as_bytes(), given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::os::unix::fs::PermissionsExt as _;

    fn vars() -> Vec<String> {
        vec!["AWS_TOKEN".into(), "AWS_SESSION_TOKEN".into()]
    }

    #[test]
    fn first_set_variable_wins_and_files_are_read() {
        let env: HashMap<&str, &str> = [("AWS_TOKEN", ""), ("AWS_SESSION_TOKEN", "session")].into();
        let token = load(&vars(), |k| env.get(k).map(|v| (*v).to_owned())).unwrap();
        assert_eq!(token.expose_secret(), "session");

        let dir = std::env::temp_dir().join(format!("coffer-agent-token-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("token");
        let setting = init(&file).unwrap();
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o640);
        assert!(init(&file).is_err(), "an existing token file is not replaced");
        let value = setting.strip_prefix("AWS_TOKEN=").unwrap().to_owned();
        let token = load(&vars(), |k| (k == "AWS_TOKEN").then(|| value.clone())).unwrap();
        assert_eq!(token.expose_secret(), std::fs::read_to_string(&file).unwrap());
        assert!(matches(&token, token.expose_secret().as_bytes()));
        assert!(!matches(&token, b"wrong"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn no_token_is_an_error_that_says_what_to_set() {
        let err = load(&vars(), |_| None).unwrap_err().to_string();
        assert!(err.contains("set one of AWS_TOKEN, AWS_SESSION_TOKEN"), "{err}");
        let err = load(&vars(), |_| Some("file:///nonexistent/token".into())).unwrap_err().to_string();
        assert!(err.contains("cannot read the token file /nonexistent/token named by AWS_TOKEN"), "{err}");
    }
}
