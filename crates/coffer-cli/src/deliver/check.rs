//! `coffer check`: pre-flight. Every secret a container references must exist and be readable
//! by the environment's execution role; for each that is not, the reason — and, where the
//! caller can see tags (embedded: always, as the account root; remote: if the caller's own
//! credentials may call ListTagsForResource / DescribeSecret), what the tags are.
//!
//! Each reference is read on its own (one GetParameters or GetSecretValue per reference), so
//! every failure is attributed to its secret. Values are read — that is what "readable"
//! means — and dropped; they are never printed.

use super::{Backend, Reader, SourceArgs, session_name};
use crate::connect::ConnectArgs;
use crate::{copilot, ui};
use anyhow::{Context as _, bail};
use clap::Args;
use coffer_client::{ClientError, SecretSource, Tags, sm_request_outcome};
use coffer_copilot::ecs::asm::{SmRequest, parse_sm_value_from, sm_parse_failure};
use coffer_copilot::ecs::ssm::{SsmBatch, match_ssm_results, ssm_fetch_failure};
use coffer_copilot::ecs::{Provider, SecretRequest};
use std::sync::Arc;

const AFTER_HELP: &str = "\
Exit status: 0 when every secret is readable by the environment's execution role, 1 otherwise.
Values are read (as `coffer run` would) but never printed.

Example:
  coffer check --env test --svc api";

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct CheckArgs {
    #[command(flatten)]
    source: SourceArgs,

    /// Environment whose execution role must be able to read the secrets
    #[arg(short, long)]
    env: String,

    #[command(flatten)]
    connect: ConnectArgs,
}

/// The verdict on one reference.
struct Verdict {
    ok: bool,
    /// `<reference>: <reason>`, then details.
    lines: Vec<String>,
}

impl CheckArgs {
    pub fn is_remote(&self) -> bool {
        self.connect.is_remote()
    }
}

pub async fn run(args: CheckArgs) -> anyhow::Result<()> {
    let backend = Backend::open(&args.connect).await?;
    let result = check(&backend, &args).await;
    backend.finish(false).await;
    let (total, failed, who) = result?;
    if failed > 0 {
        bail!("{failed} of {total} secret references cannot be read by {who}");
    }
    ui::success(format!("All {total} secret reference{} can be read by {who}.", if total == 1 { "" } else { "s" }));
    Ok(())
}

async fn check(backend: &Backend, args: &CheckArgs) -> anyhow::Result<(usize, usize, String)> {
    let scope = backend.scope().clone();
    let container = super::load(&args.source, Some(&args.env), &scope)?;
    let app = container.app.clone().context(super::NO_APP)?;
    let role = backend.as_role(&app, &args.env, &session_name("coffer-check", &container.workload)).await?;
    let caller = backend.as_caller();
    let (requests, invalid) = container.classify(&scope.region);

    // One check per distinct (valueFrom, region), listing the variables that use it.
    let mut unique: Vec<(SecretRequest, Vec<String>)> = Vec::new();
    for r in requests {
        match unique.iter_mut().find(|(u, _)| u.value_from == r.value_from && u.region == r.region) {
            Some((_, names)) => names.push(r.name.clone()),
            None => {
                let name = r.name.clone();
                unique.push((r, vec![name]));
            }
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (request, names)) in unique.iter().cloned().enumerate() {
        let role = Reader { source: role.source.clone(), who: role.who.clone() };
        let caller = caller.source.clone();
        let (app, env) = (app.clone(), args.env.clone());
        tasks.spawn(async move { (i, check_one(&role, caller, &request, &names, &app, &env).await) });
    }
    let mut verdicts = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        verdicts.push(joined.context("a check failed to complete")?);
    }
    verdicts.sort_by_key(|(i, _)| *i);

    let mut failed = 0;
    for problem in &invalid {
        failed += 1;
        ui::data(format!("✘ {problem}"));
    }
    for (_, v) in &verdicts {
        if !v.ok {
            failed += 1;
        }
        let mark = if v.ok { "✔" } else { "✘" };
        let mut lines = v.lines.iter();
        if let Some(first) = lines.next() {
            ui::data(format!("{mark} {first}"));
        }
        for l in lines {
            ui::data(format!("    {l}"));
        }
    }
    Ok((invalid.len() + verdicts.len(), failed, role.who))
}

fn provider_name(p: Provider) -> &'static str {
    match p {
        Provider::Ssm => "SSM Parameter Store",
        Provider::SecretsManager => "Secrets Manager",
    }
}

/// What the tags say against Copilot's rule, e.g. `exists but tagged copilot-environment=prod`.
fn tag_diagnosis(tags: Option<&Tags>, app: &str, env: &str) -> String {
    let Some(tags) = tags else { return "does not exist".to_owned() };
    let get = |k: &str| tags.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let mut wrong = Vec::new();
    let mut missing = Vec::new();
    for (key, want) in [(copilot::APP_TAG, app), (copilot::ENV_TAG, env)] {
        match get(key) {
            Some(v) if v == want => {}
            Some(v) => wrong.push(format!("{key}={v}")),
            None => missing.push(key),
        }
    }
    match (wrong.is_empty(), missing.is_empty()) {
        (true, true) => format!(
            "exists and is tagged {}={app} and {}={env}: the role's policy denies it for another reason",
            copilot::APP_TAG,
            copilot::ENV_TAG
        ),
        (false, true) => format!("exists but tagged {}", wrong.join(" and ")),
        (true, false) => format!("exists but has no {} tag", missing.join(" or ")),
        (false, false) => format!("exists but tagged {} and has no {} tag", wrong.join(" and "), missing.join(" or ")),
    }
}

async fn check_one(
    role: &Reader,
    caller: Arc<dyn SecretSource>,
    r: &SecretRequest,
    names: &[String],
    app: &str,
    env: &str,
) -> Verdict {
    let used_by = format!("used by {} ({}, {})", names.join(", "), provider_name(r.provider), r.region);
    // What went wrong: the role's API error, if that was it; else the agent's text.
    let failure: Result<(), (Option<ClientError>, String)> = match r.provider {
        Provider::Ssm => {
            let batch = SsmBatch { region: r.region.clone(), names: vec![r.value_from.clone()] };
            match role.source.get_parameters(&r.region, batch.names.clone()).await {
                Ok(f) => match_ssm_results(&batch, &f.parameters, &f.invalid)
                    .map(|_| ())
                    .map_err(|e| (None, ssm_fetch_failure(&r.region, &e))),
                Err(e) => Err((Some(e), String::new())),
            }
        }
        Provider::SecretsManager => match parse_sm_value_from(&r.value_from) {
            Err(e) => Err((None, sm_parse_failure(&r.value_from, &e))),
            Ok(params) => {
                let fetched = role.source.get_secret_value(&r.region, &params).await;
                match fetched {
                    Err(e) => Err((Some(e), String::new())),
                    Ok(f) => {
                        let request = SmRequest { value_from: r.value_from.clone(), region: r.region.clone(), params };
                        sm_request_outcome(&request, Ok(f)).map(|_| ()).map_err(|(text, _)| (None, text))
                    }
                }
            }
        },
    };
    let (api, text) = match failure {
        Ok(()) => {
            return Verdict { ok: true, lines: vec![format!("{}: readable by {}", r.value_from, role.who), used_by] };
        }
        Err(f) => f,
    };
    let mut lines = Vec::new();
    let diagnose = match &api {
        Some(e) if e.is_access_denied() => {
            lines.push(format!(
                "{}: not readable by {}: {e} (is it tagged {}={app} and {}={env}?)",
                r.value_from,
                role.who,
                copilot::APP_TAG,
                copilot::ENV_TAG
            ));
            true
        }
        Some(e) => {
            let missing = matches!(e.code(), Some("ResourceNotFoundException" | "ParameterNotFound"));
            lines.push(format!("{}: not readable by {}: {e}", r.value_from, role.who));
            missing
        }
        None => {
            lines.push(format!("{}: {text}", r.value_from));
            text.contains("invalid parameters")
        }
    };
    if diagnose {
        let tags = match r.provider {
            Provider::Ssm => caller.parameter_tags(&r.region, &r.value_from).await,
            Provider::SecretsManager => match parse_sm_value_from(&r.value_from) {
                Ok(p) => caller.secret_tags(&r.region, &p.secret_id).await,
                Err(_) => Ok(None),
            },
        };
        match tags {
            Ok(tags) => lines.push(tag_diagnosis(tags.as_ref(), app, env)),
            // The caller may not see tags (remote, least privilege): say nothing more.
            Err(e) => tracing::debug!(error = %e, "cannot read tags"),
        }
    }
    lines.push(used_by);
    Verdict { ok: false, lines }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn diagnoses_tags() {
        assert_eq!(tag_diagnosis(None, "demo", "test"), "does not exist");
        assert_eq!(
            tag_diagnosis(
                Some(&tags(&[("copilot-application", "demo"), ("copilot-environment", "prod")])),
                "demo",
                "test"
            ),
            "exists but tagged copilot-environment=prod"
        );
        assert_eq!(
            tag_diagnosis(Some(&tags(&[])), "demo", "test"),
            "exists but has no copilot-application or copilot-environment tag"
        );
        assert_eq!(
            tag_diagnosis(Some(&tags(&[("copilot-application", "x")])), "demo", "test"),
            "exists but tagged copilot-application=x and has no copilot-environment tag"
        );
        assert!(
            tag_diagnosis(
                Some(&tags(&[("copilot-application", "demo"), ("copilot-environment", "test")])),
                "demo",
                "test"
            )
            .starts_with("exists and is tagged")
        );
    }
}
