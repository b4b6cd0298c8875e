//! Staging labels inside a write transaction, with AWS's rules: a label is on at most one
//! version; when `AWSCURRENT` moves, `AWSPREVIOUS` moves to the version it left.

use super::{AWSCURRENT, AWSPREVIOUS, MAX_VERSIONS};
use crate::error::OpResult;
use coffer_store::WriteTx;
use std::collections::BTreeMap;

pub(super) struct Labels {
    secret_id: i64,
    /// stage -> version_id
    map: BTreeMap<String, String>,
}

impl Labels {
    pub async fn load(tx: &mut WriteTx, secret_id: i64) -> OpResult<Self> {
        let map = tx.sm_stages(secret_id).await?.into_iter().collect();
        Ok(Self { secret_id, map })
    }

    pub fn holder(&self, stage: &str) -> Option<&str> {
        self.map.get(stage).map(String::as_str)
    }

    /// The labels on `version_id`, sorted.
    pub fn of(&self, version_id: &str) -> Vec<String> {
        self.map.iter().filter(|(_, v)| *v == version_id).map(|(s, _)| s.clone()).collect()
    }

    /// Attaches `stage` to `version_id`, taking it from any other version.
    pub async fn attach(&mut self, tx: &mut WriteTx, stage: &str, version_id: &str) -> OpResult<()> {
        let left = self.map.get(stage).cloned();
        if left.as_deref() == Some(version_id) {
            return Ok(());
        }
        tx.sm_set_stage(self.secret_id, stage, version_id).await?;
        self.map.insert(stage.to_owned(), version_id.to_owned());
        if stage == AWSCURRENT
            && let Some(left) = left
        {
            tx.sm_set_stage(self.secret_id, AWSPREVIOUS, &left).await?;
            self.map.insert(AWSPREVIOUS.to_owned(), left);
        }
        Ok(())
    }

    pub async fn detach(&mut self, tx: &mut WriteTx, stage: &str) -> OpResult<()> {
        if self.map.remove(stage).is_some() {
            tx.sm_remove_stage(self.secret_id, stage).await?;
        }
        Ok(())
    }

    /// Deletes the oldest deprecated (unlabelled) versions while more than [`MAX_VERSIONS`]
    /// are stored. Labelled versions are never deleted.
    pub async fn prune(&self, tx: &mut WriteTx) -> OpResult<()> {
        let versions = tx.sm_versions(self.secret_id).await?;
        let mut excess = versions.len().saturating_sub(MAX_VERSIONS);
        for v in &versions {
            if excess == 0 {
                break;
            }
            if self.of(&v.version_id).is_empty() {
                tx.sm_delete_version(self.secret_id, &v.version_id).await?;
                excess -= 1;
            }
        }
        Ok(())
    }
}
