//! The POST a webhook function gets: one request per connection, HTTPS with the system's
//! roots (plain HTTP only to a loopback address, where nothing crosses a network).

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::sync::Arc;

/// POSTs `body` (JSON) to `url` with the signature header; the answer's status.
pub async fn post(url: &str, body: &[u8], signature: &str) -> Result<u16, String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("bad webhook URL {url}: {e}"))?;
    let host = uri.host().ok_or_else(|| format!("webhook URL {url} has no host"))?.to_owned();
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(format!("webhook URL {url} is neither https nor http")),
    };
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let tcp = tokio::net::TcpStream::connect((host.trim_start_matches('[').trim_end_matches(']'), port))
        .await
        .map_err(|e| format!("cannot connect to {url}: {e}"))?;
    if !https && !tcp.peer_addr().is_ok_and(|a| a.ip().is_loopback()) {
        return Err(format!("refusing plain HTTP to {url}: a webhook off this host must be https"));
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let request = hyper::Request::post(path)
        .header(hyper::header::HOST, uri.authority().map_or(host.as_str(), |a| a.as_str()))
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header("x-coffer-signature", signature)
        .body(Full::new(Bytes::copy_from_slice(body)))
        .map_err(|e| e.to_string())?;
    if https {
        let config = rustls::ClientConfig::builder().with_root_certificates(roots()).with_no_client_auth();
        let name = rustls_pki_types::ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {url} failed: {e}"))?;
        send(TokioIo::new(tls), request).await
    } else {
        send(TokioIo::new(tcp), request).await
    }
}

async fn send<T>(io: T, request: hyper::Request<Full<Bytes>>) -> Result<u16, String>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await.map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    // Read to the end so the peer sees a clean close; the body itself is not used.
    let _ = response.into_body().collect().await;
    Ok(status)
}

/// The system's trusted roots.
fn roots() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    roots
}
