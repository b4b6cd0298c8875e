//! `coffer serve`'s TLS options, and `--tls-self-signed`: a private CA kept in the data
//! directory (made once, so the bundle clients trust stays valid across restarts) and a server
//! certificate it signs at every start for the names the server is reached by.

use anyhow::Context as _;
use clap::Args;
use coffer_server::tls::{Certificate, TlsFiles};
use coffer_store::private;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use std::io::Write as _;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

#[derive(Args, Debug)]
pub struct TlsArgs {
    /// PEM certificate chain to serve HTTPS with (server certificate first); reloaded on SIGHUP.
    #[arg(long, env = "COFFER_TLS_CERT", value_name = "FILE", requires = "tls_key", help_heading = "TLS")]
    tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "COFFER_TLS_KEY", value_name = "FILE", requires = "tls_cert", help_heading = "TLS")]
    tls_key: Option<PathBuf>,

    /// Serve HTTPS with a certificate from a private CA kept in the data directory (made on
    /// first use); prints the AWS_CA_BUNDLE line clients need.
    #[arg(long, env = "COFFER_TLS_SELF_SIGNED", conflicts_with = "tls_cert", help_heading = "TLS")]
    tls_self_signed: bool,

    /// Another DNS name or IP address the self-signed certificate is valid for (repeatable);
    /// localhost, the loopback addresses, the host name and the listen address always are.
    #[arg(long = "tls-name", value_name = "NAME", requires = "tls_self_signed", help_heading = "TLS")]
    tls_names: Vec<String>,
}

/// Where `--tls-self-signed` keeps its files, inside the data directory.
const TLS_DIR: &str = "tls";
const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca.key";
const SERVER_CERT: &str = "server.pem";
const SERVER_KEY: &str = "server.key";

impl TlsArgs {
    pub fn enabled(&self) -> bool {
        self.tls_cert.is_some() || self.tls_self_signed
    }

    /// The certificate to serve, if TLS is asked for; with `--tls-self-signed`, also the CA
    /// bundle clients must trust.
    pub fn certificate(
        &self,
        data_dir: &Path,
        listen: SocketAddr,
    ) -> anyhow::Result<Option<(Arc<Certificate>, Option<PathBuf>)>> {
        let (files, bundle) = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => (TlsFiles { cert: cert.clone(), key: key.clone() }, None),
            _ if self.tls_self_signed => {
                let (files, bundle) = self_signed(&data_dir.join(TLS_DIR), listen, &self.tls_names)?;
                (files, Some(bundle))
            }
            _ => return Ok(None),
        };
        Ok(Some((Certificate::load(files)?, bundle)))
    }
}

/// The CA (made if missing) and a fresh server certificate it signs: the server's files and
/// the CA bundle's path.
fn self_signed(dir: &Path, listen: SocketAddr, extra_names: &[String]) -> anyhow::Result<(TlsFiles, PathBuf)> {
    private::ensure_dir(dir)?;
    let ca_params = ca_params();
    let (ca_cert, ca_key) = (dir.join(CA_CERT), dir.join(CA_KEY));
    let ca_key_pair = if private::check_file(&ca_key)? && private::check_file(&ca_cert)? {
        let pem = std::fs::read_to_string(&ca_key).with_context(|| format!("cannot read {}", ca_key.display()))?;
        KeyPair::from_pem(&pem).with_context(|| format!("{} is not a key Coffer wrote", ca_key.display()))?
    } else {
        let key = KeyPair::generate()?;
        let cert = ca_params.self_signed(&key)?;
        write_private(&ca_key, &key.serialize_pem())?;
        write_private(&ca_cert, &cert.pem())?;
        tracing::info!(path = %ca_cert.display(), "made a private certificate authority for --tls-self-signed");
        key
    };
    let issuer = Issuer::new(ca_params, ca_key_pair);
    let mut params = CertificateParams::new(server_names(listen, extra_names))?;
    params.distinguished_name.push(DnType::CommonName, "coffer serve");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    let now = OffsetDateTime::now_utc();
    (params.not_before, params.not_after) = (now - Duration::hours(1), now + Duration::days(365));
    let server_key = KeyPair::generate()?;
    let server_cert = params.signed_by(&server_key, &issuer)?;
    let files = TlsFiles { cert: dir.join(SERVER_CERT), key: dir.join(SERVER_KEY) };
    write_private(&files.key, &server_key.serialize_pem())?;
    write_private(&files.cert, &server_cert.pem())?;
    Ok((files, ca_cert))
}

/// The CA's parameters: the same at every start, so certificates signed later chain to the
/// CA certificate made the first time.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::OrganizationName, "Coffer");
    params.distinguished_name.push(DnType::CommonName, "Coffer private CA (coffer serve --tls-self-signed)");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let now = OffsetDateTime::now_utc();
    (params.not_before, params.not_after) = (now - Duration::hours(1), now + Duration::days(3650));
    params
}

/// localhost, the loopback addresses, the host name, the listen address when it names one
/// interface, and `extra`.
fn server_names(listen: SocketAddr, extra: &[String]) -> Vec<String> {
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    let host = rustix::system::uname().nodename().to_string_lossy().into_owned();
    if !host.is_empty() {
        names.push(host);
    }
    if !listen.ip().is_unspecified() {
        names.push(listen.ip().to_string());
    }
    names.extend(extra.iter().cloned());
    names.sort();
    names.dedup();
    names
}

/// Writes `path` whole, mode 0600 (replacing it).
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let partial = path.with_extension("partial");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all())?;
    std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Reloads the certificate files on every SIGHUP; a failed reload keeps the certificate in use.
pub async fn reload_on_hangup(certificate: Arc<Certificate>) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP: the TLS certificate will not be reloaded");
        return;
    };
    while hangups.recv().await.is_some() {
        match certificate.reload() {
            Ok(()) => tracing::info!("SIGHUP: TLS certificate reloaded"),
            Err(e) => {
                tracing::error!(error = %e, "SIGHUP: TLS certificate not reloaded; the previous one stays in use")
            }
        }
    }
}
