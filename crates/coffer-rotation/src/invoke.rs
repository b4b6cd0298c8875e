//! One invocation of a rotation function: one step's event, delivered as the function's kind
//! says, and whether the step succeeded.
//!
//! - A **command** (and the built-in password generator, which is `coffer` itself run as a
//!   command) gets the event on stdin and an environment with nothing of the server's own
//!   but `PATH`: this server's endpoint (`AWS_ENDPOINT_URL`, `SECRETS_MANAGER_ENDPOINT`, and
//!   `AWS_CA_BUNDLE` when the server made its own CA), the secret's Region, and temporary
//!   credentials of the function's role. Exit status 0 is success; stderr goes to the log.
//! - A **webhook** gets the event as an HTTPS POST (plain HTTP only to a loopback address),
//!   signed: `X-Coffer-Signature: sha256=<hex HMAC-SHA256 of the body>` under the function's
//!   signing key. A 2xx answer is success.

use coffer_aws::SecretBytes;
use coffer_aws::secret::ExposeSecret as _;
use coffer_services::sts::Credentials;
use coffer_store::rotation::{FunctionKind, RotationFunction};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};

/// Where a function reaches this server.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// `http://127.0.0.1:4583`, `https://localhost:4583`.
    pub url: String,
    /// The CA bundle a function needs to trust the server (`--tls-self-signed`).
    pub ca_bundle: Option<PathBuf>,
}

/// What one step needs besides the function.
pub struct Call<'a> {
    /// The event, as AWS sends it.
    pub event: &'a serde_json::Value,
    pub region: &'a str,
    /// The role's credentials (commands).
    pub credentials: Option<&'a Credentials>,
    /// The signing key (webhooks).
    pub webhook_key: Option<&'a SecretBytes>,
}

/// Runs one step. `Err` says why it failed, in words fit for the log and the secret's record
/// (never a value: a function's own output goes to the log only).
pub async fn invoke(function: &RotationFunction, endpoint: &Endpoint, call: &Call<'_>) -> Result<(), String> {
    let timeout = Duration::from_millis(u64::try_from(function.timeout_ms).unwrap_or(30_000));
    let run = async {
        match function.kind {
            FunctionKind::Command | FunctionKind::RandomPassword => command(function, endpoint, call).await,
            FunctionKind::Webhook => webhook(function, call).await,
        }
    };
    tokio::time::timeout(timeout, run)
        .await
        .unwrap_or_else(|_| Err(format!("timed out after {} ms", function.timeout_ms)))
}

/// The command line a command function runs: `spec.argv`, or for the built-in password
/// generator this very program's hidden `rotation random-password-step` with the options.
fn argv(function: &RotationFunction) -> Result<Vec<String>, String> {
    if function.kind == FunctionKind::RandomPassword {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find the coffer program: {e}"))?;
        let exe = exe.to_str().ok_or("the coffer program's path is not UTF-8")?.to_owned();
        return Ok(vec![exe, "rotation".to_owned(), "random-password-step".to_owned(), function.spec.clone()]);
    }
    let spec: serde_json::Value = serde_json::from_str(&function.spec).map_err(|e| format!("bad spec: {e}"))?;
    let argv: Vec<String> = spec["argv"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if argv.is_empty() { Err("the function has no command line".to_owned()) } else { Ok(argv) }
}

async fn command(function: &RotationFunction, endpoint: &Endpoint, call: &Call<'_>) -> Result<(), String> {
    let argv = argv(function)?;
    let credentials = call.credentials.ok_or("no credentials for the function's role")?;
    let mut cmd = tokio::process::Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL", &endpoint.url)
        .env("SECRETS_MANAGER_ENDPOINT", &endpoint.url)
        .env("AWS_REGION", call.region)
        .env("AWS_DEFAULT_REGION", call.region)
        .env("AWS_ACCESS_KEY_ID", &credentials.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", credentials.secret_access_key.expose_secret())
        .env("AWS_SESSION_TOKEN", credentials.session_token.expose_secret())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A step that times out is dropped: its process must not outlive it.
        .kill_on_drop(true);
    if let Some(bundle) = &endpoint.ca_bundle {
        cmd.env("AWS_CA_BUNDLE", bundle);
    }
    let mut child = cmd.spawn().map_err(|e| format!("cannot start {}: {e}", argv[0]))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let event = serde_json::to_vec(call.event).map_err(|e| e.to_string())?;
    // A program that does not read its stdin is not a failure in itself.
    let _ = stdin.write_all(&event).await;
    drop(stdin);
    let name = function.name.clone();
    let log = |pipe: Option<tokio::process::ChildStderr>| {
        let name = name.clone();
        async move {
            let Some(pipe) = pipe else { return };
            let mut lines = tokio::io::BufReader::new(pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::info!(function = %name, "{line}");
            }
        }
    };
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let (status, (), ()) = tokio::join!(child.wait(), log(stderr), async {
        // Drained so a chatty program never blocks on a full pipe; not logged (it may print
        // what it read).
        if let Some(mut out) = stdout {
            let _ = tokio::io::copy(&mut out, &mut tokio::io::sink()).await;
        }
    });
    let status = status.map_err(|e| e.to_string())?;
    if status.success() { Ok(()) } else { Err(format!("{} exited with {status}", argv[0])) }
}

/// `sha256=<hex>` of `body` under `key`.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    format!("sha256={}", hex::encode(aws_lc_rs::hmac::sign(&key, body).as_ref()))
}

async fn webhook(function: &RotationFunction, call: &Call<'_>) -> Result<(), String> {
    let spec: serde_json::Value = serde_json::from_str(&function.spec).map_err(|e| format!("bad spec: {e}"))?;
    let url = spec["url"].as_str().ok_or("the function has no URL")?;
    let key = call.webhook_key.ok_or("the webhook has no signing key")?;
    let body = serde_json::to_vec(call.event).map_err(|e| e.to_string())?;
    let status = crate::webhook::post(url, &body, &signature(key.expose(), &body)).await?;
    if (200..300).contains(&status) { Ok(()) } else { Err(format!("{url} answered HTTP {status}")) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn signs_like_rfc_4231() {
        // RFC 4231 test case 2.
        assert_eq!(
            super::signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
