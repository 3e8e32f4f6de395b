//! HTTPS: the small protocol described in the crate docs, over reqwest with rustls (ring).
//!
//! TLS is configured here rather than by reqwest's defaults so the build has one crypto provider
//! (ring, as async-nats uses) and no process-wide provider has to be installed. With
//! `ca_cert_path` only that CA is trusted (a clearinghouse's private CA should not widen to every
//! public one); without it the operating system's roots are.

use crate::config::HttpsConfig;
use crate::error::{Result, TransportError, chain};
use crate::{Put, RemoteFile, Transport, names};
use reqwest::{Method, StatusCode, Url};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::sync::Arc;
use std::time::Duration;

/// An HTTPS endpoint.
pub struct HttpsTransport {
    cfg: HttpsConfig,
    base: Url,
    description: String,
    client: reqwest::Client,
}

/// The base URL, refused when it is not plain `https://host[:port][/path]`. Messages never
/// repeat the URL: a user or query in it may be a secret.
pub(crate) fn parse_base_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s).map_err(|e| format!("base_url is not a URL ({e})"))?;
    if url.scheme() != "https" {
        return Err("base_url must start with https://".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("base_url must not carry a user or password (the token comes from token_file or token_env)".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("base_url must not have a query or a fragment".into());
    }
    if url.host().is_none() {
        return Err("base_url has no host".into());
    }
    Ok(url)
}

/// The base URL without anything that could be a secret, for descriptions.
pub(crate) fn redacted(s: &str) -> String {
    match Url::parse(s) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.as_str().trim_end_matches('/').to_string()
        }
        Err(_) => "https:(base_url unparsable)".into(),
    }
}

fn tls_config(cfg: &HttpsConfig) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    let config = match &cfg.ca_cert_path {
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(|it| it.collect::<Result<_, _>>())
                .map_err(|e| format!("ca_cert_path {}: {e}", path.display()))?;
            let mut roots = rustls::RootCertStore::empty();
            for cert in certs {
                roots.add(cert).map_err(|e| format!("ca_cert_path {}: {e}", path.display()))?;
            }
            if roots.is_empty() {
                return Err(format!("ca_cert_path {} holds no certificate", path.display()));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => {
            let verifier = rustls_platform_verifier::Verifier::new(provider)
                .map_err(|e| format!("the system's CA certificates: {e}"))?;
            builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth()
        }
    };
    Ok(config)
}

/// The TLS failure inside a request error, if that is what it is. rustls errors travel wrapped
/// in `io::Error`s (sometimes one inside another), whose `source()` skips the wrapped error, hence
/// the walk through `get_ref`.
fn tls_failure<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<rustls::Error>() {
            return Some(t);
        }
        cur = match err.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

impl HttpsTransport {
    /// Builds the client (TLS roots, timeouts); does not connect.
    pub fn new(cfg: HttpsConfig) -> Result<Self> {
        let description = redacted(&cfg.base_url);
        let config_err = |reason: String| TransportError::Config { transport: description.clone(), reason };
        let base = parse_base_url(&cfg.base_url).map_err(config_err)?;
        let tls = tls_config(&cfg).map_err(config_err)?;
        let timeout = Duration::from_millis(cfg.timeout_ms.max(1));
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .https_only(true)
            // The token must not follow a redirect anywhere, and a PUT body cannot be replayed.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("rcm-transport/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| config_err(format!("HTTP client: {}", chain(&e))))?;
        Ok(HttpsTransport { cfg, base, description, client })
    }

    fn config_err(&self, reason: String) -> TransportError {
        TransportError::Config { transport: self.description.clone(), reason }
    }

    /// The token, read at each call so a rotated one is used without a restart.
    async fn token(&self) -> Result<String> {
        let raw = match (&self.cfg.token_file, &self.cfg.token_env) {
            (Some(path), None) => tokio::fs::read_to_string(path)
                .await
                .map_err(|e| self.config_err(format!("cannot read token_file {}: {e}", path.display())))?,
            (None, Some(var)) => {
                std::env::var(var).map_err(|_| self.config_err(format!("token_env names {var}, which is not set")))?
            }
            _ => return Err(self.config_err("set exactly one of token_file and token_env".into())),
        };
        let token = raw.trim();
        if token.is_empty() {
            return Err(self.config_err("the bearer token is empty".into()));
        }
        Ok(token.to_string())
    }

    /// `{base}/{segments...}`, each segment percent-encoded; `dir` adds the trailing slash.
    fn url(&self, segments: &[&str], dir: bool) -> Result<Url> {
        let mut url = self.base.clone();
        {
            let mut path =
                url.path_segments_mut().map_err(|_| self.config_err("base_url cannot take a path".into()))?;
            path.pop_if_empty();
            path.extend(segments);
            if dir {
                path.push("");
            }
        }
        Ok(url)
    }

    fn request_err(&self, op: &'static str, name: &str, e: reqwest::Error) -> TransportError {
        let transport = self.description.clone();
        let name = name.to_string();
        if let Some(tls) = tls_failure(&e) {
            return match tls {
                rustls::Error::InvalidCertificate(why) => TransportError::UntrustedServer {
                    transport,
                    reason: format!("the server's TLS certificate was refused: {why:?}"),
                },
                other => TransportError::Protocol { transport, op, name, reason: format!("TLS: {other}") },
            };
        }
        let e = e.without_url();
        if e.is_timeout() {
            return TransportError::Timeout { transport, op, name, after_ms: self.cfg.timeout_ms };
        }
        if e.is_builder() {
            return TransportError::Config { transport, reason: chain(&e) };
        }
        TransportError::Connect { transport, op, name, reason: chain(&e) }
    }

    fn status_err(&self, op: &'static str, name: &str, status: StatusCode) -> TransportError {
        let transport = self.description.clone();
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => TransportError::Auth {
                transport,
                reason: format!("{op} {name}: HTTP {} (check the bearer token)", status.as_u16()),
            },
            StatusCode::NOT_FOUND if op == "fetch" || op == "archive" => {
                TransportError::NotFound { transport, op, name: name.to_string() }
            }
            _ => TransportError::Status { transport, op, name: name.to_string(), status: status.as_u16() },
        }
    }

    async fn send(
        &self,
        op: &'static str,
        name: &str,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<reqwest::Response> {
        let token = self.token().await?;
        let mut req = self.client.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            req = req.header(reqwest::header::CONTENT_TYPE, "application/octet-stream").body(body);
        }
        req.send().await.map_err(|e| self.request_err(op, name, e))
    }

    async fn body(&self, op: &'static str, name: &str, resp: reqwest::Response) -> Result<Vec<u8>> {
        Ok(resp.bytes().await.map_err(|e| self.request_err(op, name, e))?.to_vec())
    }
}

#[async_trait::async_trait]
impl Transport for HttpsTransport {
    fn kind(&self) -> &'static str {
        "https"
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    async fn put(&self, name: &str, bytes: &[u8]) -> Result<Put> {
        names::check(&self.description, name)?;
        let url = self.url(&["outbound", name], false)?;
        let resp = self.send("put", name, Method::PUT, url, Some(bytes.to_vec())).await?;
        match resp.status() {
            StatusCode::CREATED => Ok(Put::Written),
            StatusCode::OK | StatusCode::NO_CONTENT => Ok(Put::AlreadyThere),
            StatusCode::CONFLICT => Err(TransportError::Conflict {
                transport: self.description.clone(),
                name: name.to_string(),
                size: bytes.len() as u64,
                remote_size: None,
            }),
            other => Err(self.status_err("put", name, other)),
        }
    }

    async fn list_inbound(&self) -> Result<Vec<RemoteFile>> {
        let (op, name) = ("list", "inbound");
        let url = self.url(&["inbound"], true)?;
        let resp = self.send(op, name, Method::GET, url, None).await?;
        if resp.status() != StatusCode::OK {
            return Err(self.status_err(op, name, resp.status()));
        }
        let body = self.body(op, name, resp).await?;
        let listed: Vec<RemoteFile> = serde_json::from_slice(&body).map_err(|e| TransportError::Protocol {
            transport: self.description.clone(),
            op,
            name: name.to_string(),
            reason: format!("the listing is not a JSON array of {{name, size}}: {e}"),
        })?;
        let mut files = Vec::with_capacity(listed.len());
        for f in listed {
            if !names::is_listable(&f.name) {
                continue;
            }
            // A name we could not ask for again (a path, control characters) is reported, not used.
            if let Err(e) = names::check(&self.description, &f.name) {
                tracing::warn!(error = %e, "inbound listing has an unusable name; skipped");
                continue;
            }
            files.push(f);
        }
        files.sort();
        Ok(files)
    }

    async fn fetch(&self, name: &str) -> Result<Vec<u8>> {
        names::check(&self.description, name)?;
        let url = self.url(&["inbound", name], false)?;
        let resp = self.send("fetch", name, Method::GET, url, None).await?;
        if resp.status() != StatusCode::OK {
            return Err(self.status_err("fetch", name, resp.status()));
        }
        self.body("fetch", name, resp).await
    }

    async fn archive(&self, name: &str) -> Result<()> {
        names::check(&self.description, name)?;
        let url = self.url(&["inbound", name, "archive"], false)?;
        let resp = self.send("archive", name, Method::POST, url, None).await?;
        match resp.status() {
            StatusCode::OK | StatusCode::NO_CONTENT => Ok(()),
            other => Err(self.status_err("archive", name, other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert!(parse_base_url("https://edi.example.com/v1/acme").is_ok());
        for bad in ["http://edi.example.com", "https://u:p@edi.example.com", "https://edi.example.com/?t=1", "nope"] {
            let e = parse_base_url(bad).unwrap_err();
            assert!(!e.contains("edi.example.com"), "{e}");
        }
        assert_eq!(redacted("https://u:secret@h.example/x/?t=secret"), "https://h.example/x");
    }
}
