//! Reading entries out of a backend (AWS, or Coffer itself for `export aws`): the parameters
//! under a path and the secrets that match ListSecrets filters, optionally only those tagged
//! for one Copilot application and environment.

use super::entry::{Entry, ParameterEntry, SecretEntry};
use super::progress::Progress;
use crate::copilot::{APP_TAG, ENV_TAG};
use coffer_client::{Backend, ClientError, Tag};

/// What to read.
#[derive(Clone, Debug)]
pub struct Selection {
    /// Parameters under this path (recursively); `None`: no parameters.
    pub path: Option<String>,
    /// Secrets matching these ListSecrets filters (none: every secret); `None`: no secrets.
    pub secrets_filters: Option<Vec<(String, Vec<String>)>>,
    /// Only what is tagged `copilot-application` / `copilot-environment` with these.
    pub app_env: Option<(String, String)>,
    /// Every labelled version of a secret, not only `AWSCURRENT`.
    pub all_versions: bool,
}

impl Selection {
    fn wants(&self, tags: &[Tag]) -> bool {
        let has = |key: &str, value: &str| tags.iter().any(|t| t.key == key && t.value == value);
        self.app_env.as_ref().is_none_or(|(app, env)| has(APP_TAG, app) && has(ENV_TAG, env))
    }
}

pub async fn read(source: &dyn Backend, selection: &Selection, progress: &Progress) -> Result<Vec<Entry>, ClientError> {
    let mut entries = Vec::new();
    if let Some(path) = &selection.path {
        // DescribeParameters' Path filter takes no trailing slash (except the root itself).
        let path = if path.len() > 1 { path.trim_end_matches('/') } else { path.as_str() };
        let infos = source.describe_parameters(path, true).await?;
        progress.start(infos.len(), "Reading parameters");
        for info in infos {
            progress.advance();
            let tags = source.list_tags(&info.name).await?;
            if !selection.wants(&tags) {
                continue;
            }
            // Deleted since it was listed: nothing to copy.
            let Some(parameter) = source.get_parameter(&info.name, true).await? else { continue };
            let labels = source.parameter_labels(&info.name).await?;
            entries.push(Entry::Parameter(ParameterEntry {
                name: info.name,
                param_type: parameter.param_type,
                value: parameter.value,
                description: info.description,
                attributes: info.attributes,
                tags,
                labels,
            }));
        }
    }
    if let Some(filters) = &selection.secrets_filters {
        let infos = source.list_secrets(filters.clone()).await?;
        progress.start(infos.len(), "Reading secrets");
        for info in infos {
            progress.advance();
            if !selection.wants(&info.tags) {
                continue;
            }
            let current = match source.get_secret_value(&info.arn, None).await {
                Ok(v) => v,
                // No AWSCURRENT version (created without a value): nothing to copy.
                Err(e) if e.is("ResourceNotFoundException") => continue,
                Err(e) => return Err(e),
            };
            let mut versions = vec![current];
            if selection.all_versions {
                let mut others: Vec<_> = source
                    .secret_versions(&info.arn)
                    .await?
                    .into_iter()
                    .filter(|v| v.version_id != versions[0].version_id)
                    .collect();
                others.sort_by_key(|v| v.created.0);
                for other in others {
                    versions.push(source.get_secret_value(&info.arn, Some(&other.version_id)).await?);
                }
            }
            let policy = source.secret_policy(&info.arn).await?;
            entries.push(Entry::Secret(SecretEntry {
                name: info.name,
                description: info.description,
                tags: info.tags,
                policy,
                versions,
            }));
        }
    }
    progress.finish();
    Ok(entries)
}
