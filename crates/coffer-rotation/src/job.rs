//! One attempt of one rotation: the steps in order, then what the secret's row records.

use crate::Runner;
use crate::invoke::{Call, invoke};
use coffer_aws::{Arn, Scope, Timestamp};
use coffer_services::secretsmanager::{AWSCURRENT, AWSPENDING, rotate};
use coffer_store::StoreError;
use coffer_store::audit::{AuditEvent, Durability};
use coffer_store::rotation::{FunctionKind, Outcome, RotationFunction, RotationJob};
use coffer_store::secrets::SecretRecord;

const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];
/// How long a function's role credentials last: longer than four step timeouts of 30 s.
const SESSION_SECONDS: i64 = 900;

/// Runs `job` once and records how it ended.
pub(crate) async fn run(runner: &Runner, job: RotationJob) -> Result<(), StoreError> {
    let scope = Scope::new(job.account.clone(), job.region.clone());
    let Some(secret) = runner.store.sm_secret(&scope, &job.name).await? else { return Ok(()) };
    let result = attempt(runner, &job, &scope, &secret).await;
    let now = runner.clock.now();
    let outcome = match &result {
        Ok(()) => {
            tracing::info!(secret = %job.name, region = %job.region, version = %job.token, test_only = job.only_test, "rotation finished");
            let rules = rotate::stored_rules(&secret).filter(|_| secret.rotation_enabled);
            Outcome::Done { rotated: !job.only_test, next_rotation: rotate::next_rotation(rules.as_ref(), now) }
        }
        Err(error) => {
            let retry_at = (job.attempts + 1 < runner.options.max_attempts).then(|| {
                let wait = runner.options.first_retry.saturating_mul(1 << job.attempts.clamp(0, 16));
                Timestamp(now.millis() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2))
            });
            tracing::warn!(secret = %job.name, region = %job.region, version = %job.token, attempt = job.attempts + 1, %error, retry = ?retry_at.map(Timestamp::iso8601), "rotation failed");
            Outcome::Failed { error, retry_at }
        }
    };
    let mut tx = runner.store.begin().await?;
    // Done, the rotation's AWSPENDING goes, as Secrets Manager removes it (AWS's templates
    // leave it to the service); a failed one keeps it for the retry.
    if result.is_ok() && tx.sm_stages(secret.id).await?.iter().any(|(s, v)| s == AWSPENDING && *v == job.token) {
        tx.sm_remove_stage(secret.id, AWSPENDING).await?;
    }
    tx.sm_finish_rotation(&job, &outcome, now).await?;
    tx.commit().await
}

/// The steps, each one invocation; `Err` names the step that failed and why.
async fn attempt(runner: &Runner, job: &RotationJob, scope: &Scope, secret: &SecretRecord) -> Result<(), String> {
    let function = function(runner, job).await?;
    let credentials = match function.kind {
        FunctionKind::Webhook => None,
        FunctionKind::Command | FunctionKind::RandomPassword => {
            let session = format!("coffer-rotation-{}", function.name);
            let session: String = session.chars().take(64).collect();
            let role = function.role_arn.as_deref().ok_or("the function has no role")?;
            let issued = runner
                .services
                .sts
                .service_session(role, &session, SESSION_SECONDS)
                .await
                .map_err(|e| e.into_aws(coffer_services::Service::Sts).to_string())?;
            Some(issued.ok_or_else(|| format!("the function's role {role} does not exist"))?)
        }
    };
    let webhook_key = match function.kind {
        FunctionKind::Webhook => Some(runner.store.rotation_webhook_key(&function).await.map_err(|e| e.to_string())?),
        _ => None,
    };
    let arn = secret.arn(scope);
    let steps: &[&str] = if job.only_test { &STEPS[2..3] } else { &STEPS };
    for step in steps {
        let event = serde_json::json!({
            "Step": step,
            "SecretId": arn,
            "ClientRequestToken": job.token,
            "RotationToken": uuid::Uuid::new_v4().to_string(),
        });
        let call = Call {
            event: &event,
            region: &job.region,
            credentials: credentials.as_ref(),
            webhook_key: webhook_key.as_ref(),
        };
        let result = invoke(&function, &runner.endpoint, &call).await;
        audit(runner, scope, &function, &arn, result.is_ok()).await;
        result.map_err(|e| format!("step {step}: {e}"))?;
    }
    if !job.only_test {
        let stages = runner.store.sm_stages(secret.id).await.map_err(|e| e.to_string())?;
        let current = stages.iter().find(|(s, _)| s == AWSCURRENT).map(|(_, v)| v.as_str());
        if current != Some(job.token.as_str()) {
            return Err(format!(
                "finishSecret succeeded but AWSCURRENT is on version {}, not on the rotation's version {}",
                current.unwrap_or("(none)"),
                job.token
            ));
        }
    }
    Ok(())
}

/// The registered function the secret's `RotationLambdaARN` names.
async fn function(runner: &Runner, job: &RotationJob) -> Result<RotationFunction, String> {
    let arn = job.lambda_arn.as_deref().ok_or("the secret has no rotation function")?;
    let not_registered = || format!("no rotation function {arn} is registered");
    let parsed = Arn::parse(arn).map_err(|_| not_registered())?;
    let name = parsed.resource.strip_prefix("function:").ok_or_else(not_registered)?;
    let scope = Scope::new(parsed.account, parsed.region);
    runner.store.rotation_function(&scope, name).await.map_err(|e| e.to_string())?.ok_or_else(not_registered)
}

/// One audit record per invocation, as CloudTrail records Secrets Manager invoking a
/// rotation Lambda.
async fn audit(runner: &Runner, scope: &Scope, function: &RotationFunction, secret_arn: &str, ok: bool) {
    let event = AuditEvent {
        time: runner.clock.now(),
        request_id: uuid::Uuid::new_v4().to_string(),
        account: scope.account.clone(),
        region: scope.region.clone(),
        principal_arn: Some("secretsmanager.amazonaws.com".to_owned()),
        access_key_id: None,
        source_ip: None,
        user_agent: Some(runner.node.clone()),
        event_source: "lambda.amazonaws.com".to_owned(),
        event_name: "Invoke".to_owned(),
        resources: vec![function.arn(scope.partition()), secret_arn.to_owned()],
        error_code: (!ok).then(|| "RotationStepFailed".to_owned()),
    };
    if let Err(e) = runner.store.audit_append(&[event], Durability::Synced).await {
        tracing::error!(error = %e, "cannot record a rotation step in the audit log");
    }
}
