//! The data directory and the files in it are the owner's alone: the database holds the audit
//! trail, principals and access-key metadata beside sealed values. Created `0700` / `0600`;
//! an existing one that group or others may use is refused, naming the `chmod` that fixes it
//! (as the master key file is).

use std::fs::{DirBuilder, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

/// A data directory or one of its files that group or others may use.
#[derive(Debug, thiserror::Error)]
#[error("{path} is open to group or others (mode {mode:o}); run `chmod {fix} {path}`")]
pub struct TooOpen {
    pub path: String,
    pub mode: u32,
    pub fix: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum PrivateError {
    #[error(transparent)]
    TooOpen(#[from] TooOpen),
    #[error("cannot use {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PrivateError + '_ {
    move |source| PrivateError::Io { path: path.display().to_string(), source }
}

fn check(path: &Path, mode: u32, fix: &'static str) -> Result<(), TooOpen> {
    if mode & 0o077 == 0 { Ok(()) } else { Err(TooOpen { path: path.display().to_string(), mode: mode & 0o777, fix }) }
}

/// Creates `dir` (and missing parents) with mode 0700, or checks that an existing one is
/// private.
pub fn ensure_dir(dir: &Path) -> Result<(), PrivateError> {
    match std::fs::metadata(dir) {
        Ok(meta) => Ok(check(dir, meta.permissions().mode(), "700")?),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(io(dir))
        }
        Err(e) => Err(io(dir)(e)),
    }
}

/// Checks that `path`, if it exists, is private; says whether it exists.
pub fn check_file(path: &Path) -> Result<bool, PrivateError> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(check(path, meta.permissions().mode(), "600").map(|()| true)?),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io(path)(e)),
    }
}

/// Creates `path` empty with mode 0600 unless it exists. SQLite gives its WAL and shared-memory
/// files the database file's mode, so a database created this way keeps them private too.
pub fn create_file(path: &Path) -> Result<(), PrivateError> {
    match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io(path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_directories_and_files() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b/data");
        ensure_dir(&dir).unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        let db = dir.join("coffer.db");
        create_file(&db).unwrap();
        assert_eq!(std::fs::metadata(&db).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(check_file(&db).unwrap());
        assert!(!check_file(&dir.join("missing")).unwrap());

        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = check_file(&db).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("{} is open to group or others (mode 644); run `chmod 600 {}`", db.display(), db.display())
        );
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = ensure_dir(&dir).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("{} is open to group or others (mode 755); run `chmod 700 {}`", dir.display(), dir.display())
        );
    }
}
