//! The root credentials: from `COFFER_ROOT_ACCESS_KEY_ID` / `COFFER_ROOT_SECRET_ACCESS_KEY`,
//! or generated on first start and written once, mode 0600, to `<data-dir>/root-credentials`
//! in the AWS shared-credentials format (so `AWS_SHARED_CREDENTIALS_FILE` can point at it).

use rand::RngExt as _;
use rand::seq::IndexedRandom as _;
use secrecy::{ExposeSecret, SecretString};
use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

pub const ROOT_CREDENTIALS_FILE: &str = "root-credentials";

#[derive(Debug, Clone)]
pub struct RootCredentials {
    pub access_key_id: String,
    /// Debug prints a placeholder.
    pub secret_access_key: SecretString,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("set both COFFER_ROOT_ACCESS_KEY_ID and COFFER_ROOT_SECRET_ACCESS_KEY, or neither")]
    HalfSet,
    #[error("{path} is not a credentials file Coffer wrote (missing aws_access_key_id or aws_secret_access_key)")]
    Malformed { path: String },
    #[error("cannot use {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Private(#[from] crate::private::PrivateError),
}

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A new access key id with AWS's shape: `AKIA` (long-term) or `ASIA` (temporary) + 16 chars.
pub fn generate_access_key_id(prefix: &str) -> String {
    let mut rng = rand::rng();
    let tail: String = (0..16).map(|_| char::from(*UPPER_ALNUM.choose(&mut rng).expect("non-empty"))).collect();
    format!("{prefix}{tail}")
}

/// A new 40-character secret access key.
pub fn generate_secret_access_key() -> SecretString {
    let mut rng = rand::rng();
    let secret: String = (0..40).map(|_| char::from(SECRET_CHARS[rng.random_range(0..SECRET_CHARS.len())])).collect();
    SecretString::from(secret)
}

/// Resolves the root credentials (environment first, then the file, else generates it).
pub fn load_or_create_root_credentials(
    data_dir: &Path,
    env_access_key_id: Option<String>,
    env_secret: Option<SecretString>,
) -> Result<RootCredentials, CredentialsError> {
    match (env_access_key_id, env_secret) {
        (Some(access_key_id), Some(secret_access_key)) => {
            return Ok(RootCredentials { access_key_id, secret_access_key });
        }
        (None, None) => {}
        _ => return Err(CredentialsError::HalfSet),
    }
    let path = data_dir.join(ROOT_CREDENTIALS_FILE);
    let shown = path.display().to_string();
    let io = |source| CredentialsError::Io { path: shown.clone(), source };
    if crate::private::check_file(&path)? {
        let text = zeroize::Zeroizing::new(std::fs::read_to_string(&path).map_err(io)?);
        let field = |name: &str| {
            text.lines().find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == name).then(|| v.trim().to_owned())
            })
        };
        match (field("aws_access_key_id"), field("aws_secret_access_key")) {
            (Some(id), Some(secret)) => {
                Ok(RootCredentials { access_key_id: id, secret_access_key: SecretString::from(secret) })
            }
            _ => Err(CredentialsError::Malformed { path: shown }),
        }
    } else {
        crate::private::ensure_dir(data_dir)?;
        let creds = RootCredentials {
            access_key_id: generate_access_key_id("AKIA"),
            secret_access_key: generate_secret_access_key(),
        };
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(io)?;
        let body = zeroize::Zeroizing::new(format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            creds.access_key_id,
            creds.secret_access_key.expose_secret()
        ));
        file.write_all(body.as_bytes()).and_then(|()| file.sync_all()).map_err(io)?;
        tracing::info!(path = %path.display(), access_key_id = %creds.access_key_id, "generated root credentials");
        Ok(creds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn generates_once_with_mode_0600() {
        let dir = tempfile::Builder::new().permissions(std::fs::Permissions::from_mode(0o700)).tempdir().unwrap();
        let first = load_or_create_root_credentials(dir.path(), None, None).unwrap();
        assert!(first.access_key_id.starts_with("AKIA") && first.access_key_id.len() == 20);
        assert_eq!(first.secret_access_key.expose_secret().len(), 40);
        let mode = std::fs::metadata(dir.path().join(ROOT_CREDENTIALS_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = load_or_create_root_credentials(dir.path(), None, None).unwrap();
        assert_eq!(first.access_key_id, again.access_key_id);
        assert_eq!(first.secret_access_key.expose_secret(), again.secret_access_key.expose_secret());
        assert!(!format!("{again:?}").contains(again.secret_access_key.expose_secret()));
    }

    #[test]
    fn env_wins_and_must_be_complete() {
        let dir = tempfile::Builder::new().permissions(std::fs::Permissions::from_mode(0o700)).tempdir().unwrap();
        let c = load_or_create_root_credentials(
            dir.path(),
            Some("AKIAENV".into()),
            Some(SecretString::from("s".to_owned())),
        )
        .unwrap();
        assert_eq!(c.access_key_id, "AKIAENV");
        assert!(!dir.path().join(ROOT_CREDENTIALS_FILE).exists());
        assert!(matches!(
            load_or_create_root_credentials(dir.path(), Some("A".into()), None),
            Err(CredentialsError::HalfSet)
        ));
    }
}
