//! `coffer secret show` for a Secrets Manager secret: the ones a manifest's `secretsmanager:`
//! names, tagged for the application (and environment) like Copilot's own. Shows where the
//! secret is kept — its primary Region and every replica with its status — and its value only
//! when asked.

use crate::copilot::{APP_TAG, ENV_TAG};
use crate::ui;
use coffer_aws::secret::ExposeSecret as _;
use coffer_client::{Backend, SecretInfo, SecretPayload};

/// A Secrets Manager secret tagged for an application.
pub struct ManagedSecret {
    info: SecretInfo,
    /// The AWSCURRENT value, read only for `--reveal`.
    value: Option<SecretPayload>,
}

impl ManagedSecret {
    fn tag(&self, key: &str) -> Option<&str> {
        self.info.tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
    }

    /// The secret `id`, when it exists, is not scheduled for deletion and is tagged for `app`
    /// (and `env`, when given).
    pub async fn find(
        backend: &dyn Backend,
        id: &str,
        app: &str,
        env: Option<&str>,
        reveal: bool,
    ) -> anyhow::Result<Option<Self>> {
        let Some(info) = backend.describe_secret(id).await? else { return Ok(None) };
        let mut found = Self { info, value: None };
        let for_us = found.info.deleted.is_none()
            && found.tag(APP_TAG) == Some(app)
            && env.is_none_or(|env| found.tag(ENV_TAG) == Some(env));
        if !for_us {
            return Ok(None);
        }
        if reveal {
            found.value = Some(backend.get_secret_value(id, None).await?.payload);
        }
        Ok(Some(found))
    }

    fn value_text(&self) -> Option<String> {
        self.value.as_ref().map(|v| match v {
            SecretPayload::Text(text) => text.expose_secret().to_owned(),
            SecretPayload::Binary(bytes) => format!("({} bytes of binary data)", bytes.len()),
        })
    }

    /// `Region Status[: message]` per replica.
    fn replica_lines(&self) -> Vec<String> {
        self.info
            .replicas
            .iter()
            .map(|r| match &r.message {
                Some(m) if !m.is_empty() => format!("{} {}: {m}", r.region, r.status),
                _ => format!("{} {}", r.region, r.status),
            })
            .collect()
    }

    /// The rotation in one line per fact; a pending version says a rotation is under way or
    /// failed (its steps are audit records).
    fn rotation_lines(&self) -> Vec<String> {
        let r = &self.info.rotation;
        let Some(enabled) = r.enabled else { return vec!["not configured".to_owned()] };
        let mut lines = vec![format!(
            "{} ({})",
            if enabled { "enabled" } else { "disabled" },
            r.function_arn.as_deref().unwrap_or("no function")
        )];
        if let Some(last) = r.last_rotated {
            lines.push(format!("last {}", ui::rfc3339(last.millis())));
        }
        if let Some(next) = r.next_rotation {
            lines.push(format!("next {}", ui::rfc3339(next.millis())));
        }
        if let Some(pending) = &r.pending_version {
            lines.push(format!(
                "version {pending} is AWSPENDING: a rotation under way, or failed and waiting for its retry (coffer audit ls --event Invoke)"
            ));
        }
        lines
    }

    pub fn json(&self) -> serde_json::Value {
        let i = &self.info;
        let mut v = serde_json::json!({
            "name": i.name,
            "arn": i.arn,
            "application": self.tag(APP_TAG),
            "environment": self.tag(ENV_TAG),
            "description": i.description,
            "primaryRegion": i.primary_region,
            "replicas": i.replicas.iter().map(|r| serde_json::json!({
                "region": r.region, "status": r.status, "statusMessage": r.message,
            })).collect::<Vec<_>>(),
            "rotation": {
                "enabled": i.rotation.enabled,
                "function": i.rotation.function_arn,
                "lastRotated": i.rotation.last_rotated.map(|t| ui::rfc3339(t.millis())),
                "nextRotation": i.rotation.next_rotation.map(|t| ui::rfc3339(t.millis())),
                "pendingVersion": i.rotation.pending_version,
            },
            "tags": i.tags.iter().map(|t| (t.key.clone(), serde_json::Value::from(t.value.clone()))).collect::<serde_json::Map<_, _>>(),
        });
        if let Some(value) = self.value_text() {
            v["value"] = value.into();
        }
        v
    }

    pub fn table(&self) -> String {
        let i = &self.info;
        let mut t = ui::table(&["", ""]);
        t.add_row(vec!["Name", i.name.as_str()]);
        t.add_row(vec!["Secrets Manager ARN", i.arn.as_str()]);
        t.add_row(vec!["Application", self.tag(APP_TAG).unwrap_or_default()]);
        t.add_row(vec!["Environment", self.tag(ENV_TAG).unwrap_or_default()]);
        t.add_row(vec!["Description", i.description.as_deref().unwrap_or_default()]);
        if let Some(primary) = &i.primary_region {
            t.add_row(vec!["Primary Region", primary.as_str()]);
        }
        let replicas = self.replica_lines();
        t.add_row(vec![
            "Replicas".to_owned(),
            if replicas.is_empty() { "none".to_owned() } else { replicas.join("\n") },
        ]);
        t.add_row(vec!["Rotation".to_owned(), self.rotation_lines().join("\n")]);
        let tags: Vec<String> = i.tags.iter().map(|t| format!("{}={}", t.key, t.value)).collect();
        t.add_row(vec!["Tags".to_owned(), tags.join(", ")]);
        match self.value_text() {
            Some(v) => t.add_row(vec!["Value".to_owned(), v]),
            None => t.add_row(vec!["Value".to_owned(), "(hidden; pass --reveal to show it)".to_owned()]),
        };
        ui::render(&t)
    }
}
