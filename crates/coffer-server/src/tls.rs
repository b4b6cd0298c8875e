//! TLS for `coffer serve`: rustls on the aws-lc-rs provider, TLS 1.3 and 1.2, HTTP/2 and
//! HTTP/1.1 offered by ALPN, and a certificate that can be replaced while serving. The
//! resolver hands each new handshake the certificate current at that moment, so a reload
//! (SIGHUP) changes what new connections see and leaves open ones alone.

use rustls::crypto::{CryptoProvider, aws_lc_rs};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

pub use tokio_rustls::TlsAcceptor;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: rustls_pki_types::pem::Error },
    #[error("{path} holds no PEM certificate")]
    NoCertificate { path: String },
    #[error("cannot use the key in {key} with the certificate in {cert}: {source}")]
    Key { cert: String, key: String, source: rustls::Error },
}

/// The PEM files a certificate is read from: the chain (server certificate first) and its
/// private key (PKCS#8, PKCS#1 or SEC1).
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    fn load(&self, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
        let read_error = |path: &Path| {
            let path = path.display().to_string();
            move |source| TlsError::Read { path, source }
        };
        let chain = CertificateDer::pem_file_iter(&self.cert)
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(read_error(&self.cert))?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate { path: self.cert.display().to_string() });
        }
        let key = PrivateKeyDer::from_pem_file(&self.key).map_err(read_error(&self.key))?;
        CertifiedKey::from_der(chain, key, provider).map_err(|source| TlsError::Key {
            cert: self.cert.display().to_string(),
            key: self.key.display().to_string(),
            source,
        })
    }
}

/// The server's certificate, replaceable while serving.
#[derive(Debug)]
pub struct Certificate {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificate {
    /// Reads `files`; fails if they cannot serve (unreadable, no certificate, key not the
    /// certificate's).
    pub fn load(files: TlsFiles) -> Result<Arc<Self>, TlsError> {
        let provider = Arc::new(aws_lc_rs::default_provider());
        let current = RwLock::new(Arc::new(files.load(&provider)?));
        Ok(Arc::new(Self { files, provider, current }))
    }

    /// Reads the files again. On failure the certificate in use stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let fresh = Arc::new(self.files.load(&self.provider)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }

    /// An acceptor for TLS 1.3 and 1.2 connections that offers HTTP/2 and HTTP/1.1.
    pub fn acceptor(self: &Arc<Self>) -> TlsAcceptor {
        let mut config = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .expect("aws-lc-rs supports TLS 1.2 and 1.3")
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        TlsAcceptor::from(Arc::new(config))
    }
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|e| e.into_inner()).clone())
    }
}
