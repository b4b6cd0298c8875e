//! `coffer audit …`: read and verify the hash-chained audit trail in the store.

use crate::config::StoreArgs;
use clap::{Args, Subcommand};
use coffer_aws::Timestamp;
use coffer_store::audit::{AuditQuery, ChainStatus};
use std::io::Write as _;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// List audit records, newest first.
    Ls(LsArgs),
    /// Check that no record was edited, deleted, reordered or cut off.
    Verify(StoreArgs),
}

#[derive(Args, Debug)]
pub struct LsArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Only requests made by this principal ARN.
    #[arg(long)]
    principal: Option<String>,
    /// Only requests that touched this resource ARN.
    #[arg(long)]
    resource: Option<String>,
    /// Only this operation (e.g. GetParameters).
    #[arg(long)]
    event: Option<String>,
    /// Only records at or after this time (epoch seconds).
    #[arg(long)]
    since: Option<i64>,
    /// Only records at or before this time (epoch seconds).
    #[arg(long)]
    until: Option<i64>,
    /// At most this many records (0: all).
    #[arg(long, default_value_t = 100)]
    limit: i64,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(cmd: AuditCommand) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Ls(args) => ls(args).await,
        AuditCommand::Verify(args) => verify(args).await,
    }
}

async fn ls(args: LsArgs) -> anyhow::Result<()> {
    let store = args.store.open_command().await?;
    let query = AuditQuery {
        principal_arn: args.principal,
        resource: args.resource,
        event_name: args.event,
        since: args.since.map(|s| Timestamp(s * 1000)),
        until: args.until.map(|s| Timestamp(s * 1000)),
        limit: args.limit,
    };
    let records = store.audit_list(&query).await?;
    store.close().await;
    let mut out = std::io::stdout().lock();
    for r in records {
        let line = if args.json {
            serde_json::to_string(&r)?
        } else {
            let e = &r.event;
            format!(
                "{}\t{}\t{}\t{}:{}\t{}\t{}",
                r.seq,
                coffer_services::query::iso8601(e.time),
                e.principal_arn.as_deref().unwrap_or("-"),
                e.event_source.trim_end_matches(".amazonaws.com"),
                e.event_name,
                e.error_code.as_deref().unwrap_or("OK"),
                e.resources.join(","),
            )
        };
        match writeln!(out, "{line}") {
            Ok(()) => {}
            // A reader that stopped early (`coffer audit ls | head`) is no error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

async fn verify(args: StoreArgs) -> anyhow::Result<()> {
    let store = args.open_command().await?;
    let status = store.audit_verify().await?;
    store.close().await;
    match status {
        ChainStatus::Intact { records } => {
            crate::ui::data(format!("audit chain intact: {records} records"));
            Ok(())
        }
        ChainStatus::Broken { seq, reason } => anyhow::bail!("audit chain broken at record {seq}: {reason}"),
    }
}
