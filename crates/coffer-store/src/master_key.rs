//! Where master keys come from: `COFFER_MASTER_KEY` (base64 of 32 bytes) or
//! `<data-dir>/master.key`, created with mode 0600 on first start.
//!
//! Rotation in file mode writes the new key to `master.key.next` first, re-wraps every data
//! key, then renames it over `master.key`. A process that starts while `master.key.next`
//! exists loads both, so an interrupted rotation never strands a value, and running
//! `coffer keys rotate` again finishes it.

use crate::crypto::{KEY_LEN, Keyring, MasterKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use secrecy::{ExposeSecret, SecretString};
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

pub const KEY_FILE: &str = "master.key";
pub const NEXT_KEY_FILE: &str = "master.key.next";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0} must be the base64 encoding of exactly 32 bytes")]
    BadEncoding(String),
    #[error(transparent)]
    Private(#[from] crate::private::PrivateError),
    #[error("cannot use master key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("cannot generate a master key: random number generator failed")]
    Random,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io { path: path.display().to_string(), source }
}

/// Decodes a base64 key as given in an environment variable or key file.
pub fn decode_key(what: &str, encoded: &str) -> Result<MasterKey, KeyError> {
    let bytes = Zeroizing::new(B64.decode(encoded.trim()).map_err(|_| KeyError::BadEncoding(what.to_owned()))?);
    let array: &[u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| KeyError::BadEncoding(what.to_owned()))?;
    Ok(MasterKey::from_bytes(array))
}

pub fn encode_key(key: &MasterKey) -> Zeroizing<String> {
    Zeroizing::new(B64.encode(key.material()))
}

fn read_key_file(path: &Path) -> Result<MasterKey, KeyError> {
    crate::private::check_file(path)?;
    let text = Zeroizing::new(fs::read_to_string(path).map_err(io_err(path))?);
    decode_key(&path.display().to_string(), &text)
}

/// Writes a key file with mode 0600, complete and synced before it appears under its name
/// (a crash never leaves an empty key file); fails with `AlreadyExists` if the file exists.
fn write_key_file(path: &Path, key: &MasterKey) -> Result<(), KeyError> {
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        let encoded = encode_key(key);
        file.write_all(encoded.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        // A hard link, unlike rename, refuses to replace a key another process just created.
        fs::hard_link(&tmp, path)
    })();
    let _ = fs::remove_file(&tmp);
    result.map_err(io_err(path))?;
    sync_dir(path)
}

fn sync_dir(path: &Path) -> Result<(), KeyError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))
}

/// Where the master key of this process lives.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// `COFFER_MASTER_KEY`
    Env,
    /// `<data-dir>/master.key`
    File(PathBuf),
}

/// Loads the keyring: from the environment if a key is given, else from the data directory
/// (creating the key on first start).
pub fn load_keyring(data_dir: &Path, env_key: Option<&SecretString>) -> Result<(Keyring, KeySource), KeyError> {
    if let Some(encoded) = env_key {
        let key = decode_key("COFFER_MASTER_KEY", encoded.expose_secret())?;
        return Ok((Keyring::new(key), KeySource::Env));
    }
    let path = data_dir.join(KEY_FILE);
    let active = match read_key_file(&path) {
        Ok(key) => key,
        Err(KeyError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            let key = MasterKey::generate().map_err(|_| KeyError::Random)?;
            match write_key_file(&path, &key) {
                Ok(()) => {
                    tracing::info!(key_id = key.id(), path = %path.display(), "created a new master key");
                    key
                }
                // Another process created it first: use theirs.
                Err(KeyError::Io { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists => {
                    read_key_file(&path)?
                }
                Err(e) => return Err(e),
            }
        }
        Err(e) => return Err(e),
    };
    let mut ring = Keyring::new(active);
    let next = data_dir.join(NEXT_KEY_FILE);
    if next.exists() {
        ring = ring.with_key(read_key_file(&next)?);
    }
    Ok((ring, KeySource::File(path)))
}

/// A rotation in file mode: the keyring to re-wrap with (new key active, old readable) and
/// the step that makes the new key permanent.
pub struct FileRotation {
    pub keyring: Keyring,
    data_dir: PathBuf,
}

impl FileRotation {
    /// Starts (or resumes) a rotation: reuses `master.key.next` if an earlier run left one.
    pub fn begin(data_dir: &Path) -> Result<Self, KeyError> {
        let old = read_key_file(&data_dir.join(KEY_FILE))?;
        let next_path = data_dir.join(NEXT_KEY_FILE);
        let new = if next_path.exists() {
            read_key_file(&next_path)?
        } else {
            let key = MasterKey::generate().map_err(|_| KeyError::Random)?;
            write_key_file(&next_path, &key)?;
            key
        };
        Ok(Self { keyring: Keyring::new(new).with_key(old), data_dir: data_dir.to_owned() })
    }

    /// Call only after every data key has been re-wrapped: the old key file is replaced.
    pub fn finish(self) -> Result<String, KeyError> {
        let next = self.data_dir.join(NEXT_KEY_FILE);
        let current = self.data_dir.join(KEY_FILE);
        fs::rename(&next, &current).map_err(io_err(&current))?;
        sync_dir(&current)?;
        Ok(self.keyring.active().id().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn creates_key_with_mode_0600_and_reloads_it() {
        let dir = tempfile::tempdir().unwrap();
        let (ring, _) = load_keyring(dir.path(), None).unwrap();
        let mode = fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (again, _) = load_keyring(dir.path(), None).unwrap();
        assert_eq!(ring.active().id(), again.active().id());
    }

    #[test]
    fn refuses_a_readable_key_file() {
        let dir = tempfile::tempdir().unwrap();
        load_keyring(dir.path(), None).unwrap();
        fs::set_permissions(dir.path().join(KEY_FILE), fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_keyring(dir.path(), None).unwrap_err();
        let path = dir.path().join(KEY_FILE).display().to_string();
        assert_eq!(err.to_string(), format!("{path} is open to group or others (mode 644); run `chmod 600 {path}`"));
    }

    #[test]
    fn rejects_bad_env_keys() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["not base64!", "AAAA", &B64.encode([0u8; 31])] {
            let err = load_keyring(dir.path(), Some(&SecretString::from(bad.to_owned()))).unwrap_err();
            assert_eq!(err.to_string(), "COFFER_MASTER_KEY must be the base64 encoding of exactly 32 bytes");
        }
        let good = SecretString::from(B64.encode([7u8; 32]));
        assert!(matches!(load_keyring(dir.path(), Some(&good)).unwrap().1, KeySource::Env));
    }
}
