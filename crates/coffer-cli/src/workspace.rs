//! Copilot's workspace file, `copilot/.workspace` (`application: <name>`), which tells the
//! commands run in a project which application they are about.

use anyhow::Context as _;
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const DIR: &str = "copilot";
pub const FILE: &str = ".workspace";
/// Copilot looks in the current directory and this many parents.
const MAX_PARENTS: usize = 5;

#[derive(Deserialize)]
struct Summary {
    application: Option<String>,
}

/// The workspace file governing `start`: in it or one of its parents.
pub fn find_from(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    for _ in 0..=MAX_PARENTS {
        let d = dir?;
        let candidate = d.join(DIR).join(FILE);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

pub fn read(path: &Path) -> anyhow::Result<Option<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let summary: Summary = serde_saphyr::from_str(&text).with_context(|| format!("parse {}", path.display()))?;
    Ok(summary.application.filter(|a| !a.is_empty()))
}

/// The application of the workspace around the current directory, if any (errors are
/// ignored, as Copilot's `tryReadingAppName` does).
pub fn app_name() -> Option<String> {
    let cwd = std::env::current_dir().ok()?;
    read(&find_from(&cwd)?).ok().flatten()
}

/// Writes `copilot/.workspace` under `dir` unless it exists; `Ok(true)` when written.
pub fn create(dir: &Path, app: &str) -> anyhow::Result<bool> {
    let folder = dir.join(DIR);
    let path = folder.join(FILE);
    if path.exists() {
        return Ok(false);
    }
    std::fs::create_dir_all(&folder).with_context(|| format!("create directory {}", folder.display()))?;
    std::fs::write(&path, format!("application: {app}\n")).with_context(|| format!("write {}", path.display()))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_workspace_in_a_parent() {
        let root = tempfile::tempdir().unwrap();
        assert!(create(root.path(), "demo").unwrap());
        assert!(!create(root.path(), "other").unwrap());
        let nested = root.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        let found = find_from(&nested).unwrap();
        assert_eq!(read(&found).unwrap().as_deref(), Some("demo"));
    }
}
