//! Writing an [`Entry`] into a backend so that re-running changes nothing: an equal value
//! makes no new version (only missing tags, labels, description or policy are added); a
//! different value replaces the current one only with `overwrite`, and is otherwise left
//! alone and reported. A secret's versions keep their ids (the source's version id is the
//! ClientRequestToken), which is what makes a re-run of `--all-versions` idempotent.

use super::entry::{Entry, ParameterEntry, SecretEntry};
use anyhow::bail;
use coffer_aws::secret::ExposeSecret as _;
use coffer_client::{Backend, ClientError, NewParameter, NewSecret, SecretPayload, Tag};

#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    pub overwrite: bool,
    pub dry_run: bool,
}

/// What writing one entry did (or, in a dry run, would do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    Created,
    Overwritten,
    /// Same value; tags, labels, description or policy added.
    Updated,
    Unchanged,
    /// A different value, kept because `overwrite` was not given.
    Skipped,
}

pub async fn write(dest: &dyn Backend, entry: &Entry, options: WriteOptions) -> anyhow::Result<Change> {
    match entry {
        Entry::Parameter(p) => Ok(write_parameter(dest, p, options).await?),
        Entry::Secret(s) => write_secret(dest, s, options).await,
    }
}

fn new_parameter(p: &ParameterEntry, overwrite: bool) -> NewParameter {
    NewParameter {
        name: p.name.clone(),
        value: p.value.expose_secret().to_owned().into(),
        param_type: p.param_type.clone(),
        description: p.description.clone(),
        overwrite,
        // SSM refuses tags together with Overwrite: they follow in AddTagsToResource.
        tags: if overwrite { Vec::new() } else { p.tags.clone() },
        attributes: p.attributes.clone(),
    }
}

fn missing<T: PartialEq + Clone>(wanted: &[T], present: &[T]) -> Vec<T> {
    wanted.iter().filter(|w| !present.contains(w)).cloned().collect()
}

async fn write_parameter(dest: &dyn Backend, p: &ParameterEntry, options: WriteOptions) -> Result<Change, ClientError> {
    let Some(existing) = dest.get_parameter(&p.name, true).await? else {
        if !options.dry_run {
            let version = dest.put_parameter(new_parameter(p, false)).await?;
            if !p.labels.is_empty() {
                dest.label_parameter(&p.name, version, p.labels.clone()).await?;
            }
        }
        return Ok(Change::Created);
    };
    if existing.param_type != p.param_type || existing.value.expose_secret() != p.value.expose_secret() {
        if !options.overwrite {
            return Ok(Change::Skipped);
        }
        if !options.dry_run {
            let version = dest.put_parameter(new_parameter(p, true)).await?;
            if !p.tags.is_empty() {
                dest.add_tags(&p.name, p.tags.clone()).await?;
            }
            if !p.labels.is_empty() {
                dest.label_parameter(&p.name, version, p.labels.clone()).await?;
            }
        }
        return Ok(Change::Overwritten);
    }
    let tags = missing(&p.tags, &dest.list_tags(&p.name).await?);
    let labels =
        if p.labels.is_empty() { Vec::new() } else { missing(&p.labels, &dest.parameter_labels(&p.name).await?) };
    if tags.is_empty() && labels.is_empty() {
        return Ok(Change::Unchanged);
    }
    if !options.dry_run {
        if !tags.is_empty() {
            dest.add_tags(&p.name, tags).await?;
        }
        if !labels.is_empty() {
            dest.label_parameter(&p.name, existing.version, labels).await?;
        }
    }
    Ok(Change::Updated)
}

fn copy(payload: &SecretPayload) -> SecretPayload {
    match payload {
        SecretPayload::Text(text) => SecretPayload::Text(text.expose_secret().to_owned().into()),
        SecretPayload::Binary(bytes) => SecretPayload::Binary(bytes.expose().to_vec().into()),
    }
}

async fn write_secret(dest: &dyn Backend, s: &SecretEntry, options: WriteOptions) -> anyhow::Result<Change> {
    let Some(current) = s.versions.first() else { bail!("secret {} has no value to copy", s.name) };
    let Some(existing) = dest.describe_secret(&s.name).await? else {
        if !options.dry_run {
            dest.create_secret(NewSecret {
                name: s.name.clone(),
                description: s.description.clone(),
                payload: copy(&current.payload),
                tags: s.tags.clone(),
                version_id: Some(current.version_id.clone()),
            })
            .await?;
            put_other_versions(dest, s, false).await?;
            align_stages(dest, s, false).await?;
            if let Some(policy) = &s.policy {
                dest.put_secret_policy(&s.name, policy).await?;
            }
        }
        return Ok(Change::Created);
    };
    if existing.deleted.is_some() {
        bail!("secret {} is scheduled for deletion here: restore it (RestoreSecret) or wait until it is gone", s.name);
    }
    let dest_current = match dest.get_secret_value(&s.name, None).await {
        Ok(v) => Some(v),
        // A secret created without a value has no AWSCURRENT version.
        Err(e) if e.is("ResourceNotFoundException") => None,
        Err(e) => return Err(e.into()),
    };
    let mut change = Change::Unchanged;
    if !dest_current.is_some_and(|d| d.payload.same_as(&current.payload)) {
        if !options.overwrite {
            return Ok(Change::Skipped);
        }
        change = Change::Overwritten;
        if !options.dry_run {
            dest.put_secret_value(&s.name, &current.payload, Some(current.version_id.clone()), None).await?;
        }
    }
    let mut updated = put_other_versions(dest, s, options.dry_run).await?;
    updated |= align_stages(dest, s, options.dry_run).await?;
    if let Some(description) = &s.description
        && existing.description.as_ref() != Some(description)
    {
        updated = true;
        if !options.dry_run {
            dest.set_secret_description(&s.name, description).await?;
        }
    }
    let tags: Vec<Tag> = missing(&s.tags, &existing.tags);
    if !tags.is_empty() {
        updated = true;
        if !options.dry_run {
            dest.tag_secret(&s.name, tags).await?;
        }
    }
    if let Some(policy) = &s.policy
        && !same_policy(dest.secret_policy(&s.name).await?.as_deref(), policy)
    {
        updated = true;
        if !options.dry_run {
            dest.put_secret_policy(&s.name, policy).await?;
        }
    }
    if updated && change == Change::Unchanged {
        change = Change::Updated;
    }
    Ok(change)
}

/// Policies compare as JSON documents: a service may store them reformatted.
fn same_policy(stored: Option<&str>, wanted: &str) -> bool {
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
    stored.is_some_and(|stored| stored == wanted || (parse(stored).is_some() && parse(stored) == parse(wanted)))
}

/// The versions after the first that the destination lacks, oldest first, each with its own
/// labels (never `AWSCURRENT`, which stays on the first). Returns whether any was (or
/// would be) added.
async fn put_other_versions(dest: &dyn Backend, s: &SecretEntry, dry_run: bool) -> Result<bool, ClientError> {
    if s.versions.len() < 2 {
        return Ok(false);
    }
    let present: Vec<String> = dest.secret_versions(&s.name).await?.into_iter().map(|v| v.version_id).collect();
    let mut added = false;
    for version in s.versions.iter().skip(1).filter(|v| !present.contains(&v.version_id)) {
        let stages: Vec<String> = version.stages.iter().filter(|s| *s != "AWSCURRENT").cloned().collect();
        if stages.is_empty() {
            continue;
        }
        added = true;
        if !dry_run {
            dest.put_secret_value(&s.name, &version.payload, Some(version.version_id.clone()), Some(stages)).await?;
        }
    }
    Ok(added)
}

/// Moves each staging label of the source's versions onto the destination's version of the
/// same id, `AWSCURRENT` first (moving it moves `AWSPREVIOUS` too, so the destination's
/// versions are read again after every move, and only then). Returns whether anything was (or would be) moved.
async fn align_stages(dest: &dyn Backend, s: &SecretEntry, dry_run: bool) -> Result<bool, ClientError> {
    let mut wanted: Vec<(&str, &str)> = s
        .versions
        .iter()
        .flat_map(|v| v.stages.iter().map(move |stage| (stage.as_str(), v.version_id.as_str())))
        .collect();
    wanted.sort_by_key(|(stage, _)| *stage != "AWSCURRENT");
    let mut moved = false;
    let mut versions = dest.secret_versions(&s.name).await?;
    for (stage, version_id) in wanted {
        if !versions.iter().any(|v| v.version_id == version_id) {
            continue;
        }
        let holder = versions.iter().find(|v| v.stages.iter().any(|s| s == stage)).map(|v| v.version_id.clone());
        if holder.as_deref() == Some(version_id) {
            continue;
        }
        moved = true;
        if dry_run {
            continue;
        }
        dest.move_secret_stage(&s.name, stage, version_id, holder.as_deref()).await?;
        versions = dest.secret_versions(&s.name).await?;
    }
    Ok(moved)
}
