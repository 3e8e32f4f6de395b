//! A real HTTPS server for the tests: the crate's protocol on a temporary directory (axum over
//! tokio-rustls), certificates from a CA made with rcgen at test time.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// A certificate authority of our own.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        Ca { issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap() }
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for these names (DNS names or IP addresses), with its key.
    pub fn server_cert(&self, names: &[&str]) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let params = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (vec![cert.der().clone()], PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())))
    }
}

pub struct Api {
    root: PathBuf,
    token: String,
    /// Answer this many next requests with 503, as a server in trouble would.
    pub fail_next: AtomicU32,
    pub requests: AtomicU32,
}

pub struct Server {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub api: Arc<Api>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Serves `/edi/v1/...` on 127.0.0.1 with this certificate, requiring this token.
    pub async fn start(token: &str, cert: (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["outbound", "inbound"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let api = Arc::new(Api {
            root: dir.path().to_path_buf(),
            token: token.to_string(),
            fail_next: AtomicU32::new(0),
            requests: AtomicU32::new(0),
        });
        let routes = Router::new()
            .route("/outbound/{name}", put(put_outbound).head(head_outbound))
            .route("/inbound/", get(list_inbound))
            .route("/inbound/{name}", get(get_inbound))
            .route("/inbound/{name}/archive", post(archive_inbound))
            .with_state(api.clone());
        let app = Router::new().nest("/edi/v1", routes);
        let tls = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(cert.0, cert.1)
            .unwrap();
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let listener = TlsListener { tcp, acceptor: TlsAcceptor::from(Arc::new(tls)) };
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Server { addr, dir, api, task }
    }

    pub fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}/edi/v1", self.addr.port())
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
}

/// TCP accept plus TLS handshake; a failed handshake (a client that does not trust us) is
/// dropped and the next connection awaited.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else { continue };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// The checks every call shares: injected failures, then the token.
fn gate(api: &Api, headers: &HeaderMap) -> Result<(), StatusCode> {
    api.requests.fetch_add(1, Ordering::SeqCst);
    if api.fail_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        return Err(StatusCode::SERVICE_UNAVAILABLE);
    }
    let expected = format!("Bearer {}", api.token);
    match headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        Some(got) if got == expected => Ok(()),
        _ => Err(StatusCode::UNAUTHORIZED),
    }
}

fn plain(name: &str) -> Result<(), StatusCode> {
    if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\']) {
        Err(StatusCode::BAD_REQUEST)
    } else {
        Ok(())
    }
}

async fn put_outbound(
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
    UrlPath(name): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    if let Err(s) = gate(&api, &headers).and_then(|_| plain(&name)) {
        return s;
    }
    let target = api.root.join("outbound").join(&name);
    if let Ok(there) = std::fs::read(&target) {
        return if there == body { StatusCode::OK } else { StatusCode::CONFLICT };
    }
    let tmp = api.root.join("outbound").join(format!(".{name}.tmp"));
    std::fs::write(&tmp, &body).unwrap();
    std::fs::rename(&tmp, &target).unwrap();
    StatusCode::CREATED
}

async fn head_outbound(State(api): State<Arc<Api>>, headers: HeaderMap, UrlPath(name): UrlPath<String>) -> Response {
    if let Err(s) = gate(&api, &headers).and_then(|_| plain(&name)) {
        return s.into_response();
    }
    match std::fs::metadata(api.root.join("outbound").join(&name)) {
        Ok(m) => ([(header::CONTENT_LENGTH, m.len().to_string())], StatusCode::OK).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn list_inbound(State(api): State<Arc<Api>>, headers: HeaderMap) -> Response {
    if let Err(s) = gate(&api, &headers) {
        return s.into_response();
    }
    // Everything regular, temporary files included: the client must skip those itself.
    let mut files = Vec::new();
    for e in std::fs::read_dir(api.root.join("inbound")).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            files.push(
                serde_json::json!({"name": e.file_name().to_string_lossy(), "size": e.metadata().unwrap().len()}),
            );
        }
    }
    ([(header::CONTENT_TYPE, "application/json")], serde_json::Value::Array(files).to_string()).into_response()
}

async fn get_inbound(State(api): State<Arc<Api>>, headers: HeaderMap, UrlPath(name): UrlPath<String>) -> Response {
    if let Err(s) = gate(&api, &headers).and_then(|_| plain(&name)) {
        return s.into_response();
    }
    match std::fs::read(api.root.join("inbound").join(&name)) {
        Ok(b) => b.into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn archive_inbound(
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
    UrlPath(name): UrlPath<String>,
) -> StatusCode {
    if let Err(s) = gate(&api, &headers).and_then(|_| plain(&name)) {
        return s;
    }
    let inbound = api.root.join("inbound");
    let processed = inbound.join("processed");
    std::fs::create_dir_all(&processed).unwrap();
    if inbound.join(&name).is_file() {
        std::fs::rename(inbound.join(&name), processed.join(&name)).unwrap();
        StatusCode::NO_CONTENT
    } else if processed.join(&name).is_file() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}
