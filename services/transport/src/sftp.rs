//! SFTP over SSH (russh + russh-sftp): key authentication, the server's host key pinned by a
//! known_hosts file or a `SHA256:` fingerprint, one connection reused across calls.
//!
//! Puts write `.<name>.<uuid>.tmp` (created exclusively, fsynced with `fsync@openssh.com` when
//! the server has it), then rename it into place. OpenSSH's `rename` refuses an existing target;
//! we also look before renaming, so a server whose rename would overwrite is covered except for a
//! writer racing us on the same name in that instant.
//!
//! A call on a connection that has died while idle (server restarted, NAT timeout) reconnects and
//! runs once more, which is safe because every call is idempotent; a failure on a fresh connection
//! is returned as it is, retryable or not, for [`crate::retry`] to handle.

use crate::config::SftpConfig;
use crate::error::{Result, TransportError, chain};
use crate::{Put, RemoteFile, Transport, names};
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh_sftp::client::SftpSession;
use russh_sftp::client::error::Error as SftpError;
use russh_sftp::protocol::{OpenFlags, StatusCode};
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

/// An SFTP endpoint. Connects on first use; cheap to share behind an `Arc`.
pub struct SftpTransport {
    cfg: SftpConfig,
    description: String,
    key: Arc<PrivateKey>,
    trust: Arc<HostTrust>,
    ssh: Arc<russh::client::Config>,
    timeout: Duration,
    conn: Mutex<Option<Arc<Conn>>>,
}

/// How the server proves it is the configured one.
#[derive(Debug)]
enum HostTrust {
    /// `SHA256:<base64>` as `ssh-keygen -lf` prints it.
    Fingerprint(String),
    KnownHosts(PathBuf),
}

struct Conn {
    handle: russh::client::Handle<Client>,
    sftp: SftpSession,
}

/// The russh handler: decides on the host key and remembers why it refused one, for the error.
struct Client {
    trust: Arc<HostTrust>,
    host: String,
    port: u16,
    refusal: Arc<StdMutex<Option<String>>>,
}

impl russh::client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let refuse = |why: String| {
            *self.refusal.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
            Ok(false)
        };
        let PublicKeyOrCertificate::PublicKey { key, .. } = key else {
            return refuse("the server presented a host certificate; only pinned host keys are supported".into());
        };
        let seen = key.fingerprint(HashAlg::Sha256).to_string();
        let alg = key.algorithm().to_string();
        match &*self.trust {
            HostTrust::Fingerprint(want) if *want == seen => Ok(true),
            HostTrust::Fingerprint(want) => {
                refuse(format!("the server's {alg} host key is {seen}, not the configured {want}"))
            }
            HostTrust::KnownHosts(path) => {
                match russh::keys::check_known_hosts_path(&self.host, self.port, key, path) {
                    Ok(true) => Ok(true),
                    Ok(false) => refuse(format!(
                        "the server's {alg} host key {seen} is not in {} for this host and port",
                        path.display()
                    )),
                    Err(russh::keys::Error::KeyChanged { line }) => refuse(format!(
                        "the server's {alg} host key {seen} differs from line {line} of {}: the key changed or someone is in between",
                        path.display()
                    )),
                    Err(e) => refuse(format!("cannot read known_hosts {}: {e}", path.display())),
                }
            }
        }
    }
}

/// Normalises a configured fingerprint: `SHA256:` and 43 base64 characters, alone or within the
/// line `ssh-keygen -lf` prints (`256 SHA256:... comment (ED25519)`).
pub(crate) fn parse_fingerprint(s: &str) -> Result<String, String> {
    let token = s.split_whitespace().find(|t| t.starts_with("SHA256:"));
    let ok = token.map(|t| t.trim_end_matches('=')).filter(|t| {
        let b64 = &t["SHA256:".len()..];
        b64.len() == 43 && b64.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    });
    ok.map(str::to_string).ok_or_else(|| {
        "host_key_sha256 is not a fingerprint as `ssh-keygen -lf` prints it (SHA256: and 43 base64 characters)".into()
    })
}

impl SftpTransport {
    /// Loads the key and the host-key pin; does not connect.
    pub fn new(cfg: SftpConfig) -> Result<Self> {
        let description = Self::description(&cfg);
        let config_err = |reason: String| TransportError::Config { transport: description.clone(), reason };
        let passphrase = match &cfg.private_key_passphrase_env {
            Some(var) => Some(
                std::env::var(var)
                    .map_err(|_| config_err(format!("private_key_passphrase_env names {var}, which is not set")))?,
            ),
            None => None,
        };
        let key = russh::keys::load_secret_key(&cfg.private_key_path, passphrase.as_deref())
            .map_err(|e| config_err(format!("cannot load the private key {}: {e}", cfg.private_key_path.display())))?;
        let trust = match (&cfg.host_key_sha256, &cfg.known_hosts_path) {
            (Some(f), None) => HostTrust::Fingerprint(parse_fingerprint(f).map_err(config_err)?),
            (None, Some(p)) => HostTrust::KnownHosts(p.clone()),
            _ => return Err(config_err("set exactly one of known_hosts_path and host_key_sha256".into())),
        };
        let ssh = russh::client::Config {
            // Notice a dead peer on an idle connection instead of hanging on the next call.
            keepalive_interval: Some(Duration::from_secs(30)),
            keepalive_max: 3,
            ..Default::default()
        };
        Ok(SftpTransport {
            timeout: Duration::from_millis(cfg.timeout_ms.max(1)),
            cfg,
            description,
            key: Arc::new(key),
            trust: Arc::new(trust),
            ssh: Arc::new(ssh),
            conn: Mutex::new(None),
        })
    }

    /// `sftp://user@host:port out=<dir> in=<dir>`.
    pub(crate) fn description(cfg: &SftpConfig) -> String {
        let host = if cfg.host.contains(':') { format!("[{}]", cfg.host) } else { cfg.host.clone() };
        format!("sftp://{}@{host}:{} out={} in={}", cfg.user, cfg.port, cfg.outbound_dir, cfg.inbound_dir)
    }

    fn ssh_err(&self, op: &'static str, name: &str, e: russh::Error) -> TransportError {
        use russh::Error as E;
        let transport = self.description.clone();
        let name = name.to_string();
        let reason = chain(&e);
        match e {
            E::IO(_)
            | E::Disconnect
            | E::HUP
            | E::ConnectionTimeout
            | E::KeepaliveTimeout
            | E::InactivityTimeout
            | E::SendError
            | E::RecvError
            | E::Elapsed(_)
            | E::Join(_) => TransportError::Connect { transport, op, name, reason },
            E::NotAuthenticated | E::NoAuthMethod | E::UnsupportedAuthMethod => {
                TransportError::Auth { transport, reason }
            }
            // The server is busy (MaxSessions and the like).
            E::ChannelOpenFailure(_) => TransportError::Io { transport, op, name, reason, retryable: true },
            _ => TransportError::Protocol { transport, op, name, reason },
        }
    }

    fn sftp_err(&self, op: &'static str, name: &str, e: SftpError) -> TransportError {
        let transport = self.description.clone();
        let name = name.to_string();
        match e {
            SftpError::Status(s) => match s.status_code {
                StatusCode::NoSuchFile => TransportError::NotFound { transport, op, name },
                StatusCode::NoConnection | StatusCode::ConnectionLost => {
                    TransportError::Connect { transport, op, name, reason: s.status_code.to_string() }
                }
                code => TransportError::Io {
                    transport,
                    op,
                    name,
                    reason: format!("{code}: {}", s.error_message),
                    retryable: false,
                },
            },
            SftpError::Timeout => TransportError::Timeout { transport, op, name, after_ms: self.cfg.timeout_ms },
            // The channel under the SFTP session is gone (russh-sftp reports a closed channel so).
            SftpError::IO(reason) | SftpError::UnexpectedBehavior(reason) => {
                TransportError::Connect { transport, op, name, reason }
            }
            e @ (SftpError::Limited(_) | SftpError::UnexpectedPacket) => {
                TransportError::Protocol { transport, op, name, reason: e.to_string() }
            }
        }
    }

    /// Errors from reading or writing an open remote file.
    fn file_err(&self, op: &'static str, name: &str, e: std::io::Error) -> TransportError {
        if e.kind() == std::io::ErrorKind::TimedOut {
            return TransportError::Timeout {
                transport: self.description.clone(),
                op,
                name: name.to_string(),
                after_ms: self.cfg.timeout_ms,
            };
        }
        // A failed write status (disk full, quota) arrives here as text too; retrying is harmless.
        TransportError::Io {
            transport: self.description.clone(),
            op,
            name: name.to_string(),
            reason: e.to_string(),
            retryable: true,
        }
    }

    /// Connects, authenticates and opens the SFTP channel; errors name the call that needed it.
    async fn connect(&self, op: &'static str, name: &str) -> Result<Conn> {
        let refusal = Arc::new(StdMutex::new(None));
        let client = Client {
            trust: self.trust.clone(),
            host: self.cfg.host.clone(),
            port: self.cfg.port,
            refusal: refusal.clone(),
        };
        let addr = (self.cfg.host.as_str(), self.cfg.port);
        let mut handle = match russh::client::connect(self.ssh.clone(), addr, client).await {
            Ok(h) => h,
            Err(russh::Error::UnknownKey) => {
                let reason = refusal.lock().unwrap_or_else(|p| p.into_inner()).take();
                return Err(TransportError::UntrustedServer {
                    transport: self.description.clone(),
                    reason: reason.unwrap_or_else(|| "host key refused".into()),
                });
            }
            Err(e) => return Err(self.ssh_err(op, name, e)),
        };
        let hash = if self.key.algorithm().is_rsa() {
            handle.best_supported_rsa_hash().await.map_err(|e| self.ssh_err(op, name, e))?.flatten()
        } else {
            None
        };
        let auth = handle
            .authenticate_publickey(self.cfg.user.clone(), PrivateKeyWithHashAlg::new(self.key.clone(), hash))
            .await
            .map_err(|e| self.ssh_err(op, name, e))?;
        if !auth.success() {
            return Err(TransportError::Auth {
                transport: self.description.clone(),
                reason: format!(
                    "the server refused the key {} for user {}",
                    self.cfg.private_key_path.display(),
                    self.cfg.user
                ),
            });
        }
        let channel = handle.channel_open_session().await.map_err(|e| self.ssh_err(op, name, e))?;
        channel.request_subsystem(true, "sftp").await.map_err(|e| self.ssh_err(op, name, e))?;
        let sftp = SftpSession::new(channel.into_stream()).await.map_err(|e| self.sftp_err(op, name, e))?;
        sftp.set_timeout(self.cfg.timeout_ms.div_ceil(1000).max(1));
        tracing::info!(transport = %self.description, "sftp connected");
        Ok(Conn { handle, sftp })
    }

    /// The open connection, or a new one; `true` when new.
    async fn conn(&self, op: &'static str, name: &str) -> Result<(Arc<Conn>, bool)> {
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref()
            && !c.handle.is_closed()
        {
            return Ok((c.clone(), false));
        }
        *slot = None;
        let c = Arc::new(self.connect(op, name).await?);
        *slot = Some(c.clone());
        Ok((c, true))
    }

    /// Forgets a connection that failed, so the next call makes a new one.
    async fn forget(&self, conn: Option<&Arc<Conn>>) {
        let mut slot = self.conn.lock().await;
        if conn.is_none() || slot.as_ref().zip(conn).is_some_and(|(a, b)| Arc::ptr_eq(a, b)) {
            *slot = None;
        }
    }

    /// Runs `f` on a connection within the time limit; see the module docs for the one reconnect.
    async fn run<T, F, Fut>(&self, op: &'static str, name: &str, f: F) -> Result<T>
    where
        F: Fn(Arc<Conn>) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let attempt = async {
            let (conn, fresh) = self.conn(op, name).await?;
            match f(conn.clone()).await {
                Err(e) if e.is_retryable() => {
                    self.forget(Some(&conn)).await;
                    if fresh {
                        return Err(e);
                    }
                    tracing::debug!(transport = %self.description, file = name, error = %e, "reused sftp connection failed; reconnecting");
                    let (conn, _) = self.conn(op, name).await?;
                    let r = f(conn.clone()).await;
                    if matches!(&r, Err(e) if e.is_retryable()) {
                        self.forget(Some(&conn)).await;
                    }
                    r
                }
                r => r,
            }
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Ok(r) => r,
            Err(_) => {
                self.forget(None).await;
                Err(TransportError::Timeout {
                    transport: self.description.clone(),
                    op,
                    name: name.to_string(),
                    after_ms: self.cfg.timeout_ms,
                })
            }
        }
    }

    async fn exists(&self, c: &Conn, op: &'static str, name: &str, path: &str) -> Result<bool> {
        c.sftp.try_exists(path).await.map_err(|e| self.sftp_err(op, name, e))
    }

    /// `None` when `path` does not exist, else whether it holds exactly `bytes` (sizes first, then
    /// the bytes), and its size.
    async fn same_content(
        &self,
        c: &Conn,
        op: &'static str,
        name: &str,
        path: &str,
        bytes: &[u8],
    ) -> Result<Option<(bool, Option<u64>)>> {
        let meta = match c.sftp.metadata(path).await {
            Ok(m) => m,
            Err(SftpError::Status(s)) if s.status_code == StatusCode::NoSuchFile => return Ok(None),
            Err(e) => return Err(self.sftp_err(op, name, e)),
        };
        if meta.is_dir() {
            return Err(TransportError::Io {
                transport: self.description.clone(),
                op,
                name: name.to_string(),
                reason: "a folder has that name".into(),
                retryable: false,
            });
        }
        if let Some(size) = meta.size
            && size != bytes.len() as u64
        {
            return Ok(Some((false, Some(size))));
        }
        let there = c.sftp.read(path).await.map_err(|e| self.sftp_err(op, name, e))?;
        Ok(Some((there == bytes, Some(there.len() as u64))))
    }

    /// The remote folders are the clearinghouse's to make; a missing one is a setup error.
    fn missing_folder(&self, op: &'static str, name: &str, which: &str) -> TransportError {
        let dir = if which == "outbound" { &self.cfg.outbound_dir } else { &self.cfg.inbound_dir };
        TransportError::Io {
            transport: self.description.clone(),
            op,
            name: name.to_string(),
            reason: format!("the {which} folder {dir} does not exist on the server"),
            retryable: false,
        }
    }

    fn conflict(&self, name: &str, size: usize, remote_size: Option<u64>) -> TransportError {
        TransportError::Conflict {
            transport: self.description.clone(),
            name: name.to_string(),
            size: size as u64,
            remote_size,
        }
    }

    async fn put_on(&self, c: &Conn, name: &str, bytes: &[u8]) -> Result<Put> {
        let op = "put";
        let target = names::join(&self.cfg.outbound_dir, name);
        match self.same_content(c, op, name, &target, bytes).await? {
            Some((true, _)) => return Ok(Put::AlreadyThere),
            Some((false, size)) => return Err(self.conflict(name, bytes.len(), size)),
            None => {}
        }
        let tmp = names::join(&self.cfg.outbound_dir, &names::temp_name(name));
        let flags = OpenFlags::CREATE | OpenFlags::EXCLUDE | OpenFlags::WRITE;
        let mut file = c.sftp.open_with_flags(tmp.clone(), flags).await.map_err(|e| match e {
            SftpError::Status(s) if s.status_code == StatusCode::NoSuchFile => {
                self.missing_folder(op, name, "outbound")
            }
            e => self.sftp_err(op, name, e),
        })?;
        let written = async {
            file.write_all(bytes).await.map_err(|e| self.file_err(op, name, e))?;
            file.sync_all().await.map_err(|e| self.sftp_err(op, name, e))?;
            file.shutdown().await.map_err(|e| self.file_err(op, name, e))
        }
        .await;
        if let Err(e) = written {
            let _ = c.sftp.remove_file(tmp).await;
            return Err(e);
        }
        match c.sftp.rename(tmp.clone(), target.clone()).await {
            Ok(()) => Ok(Put::Written),
            Err(e) => {
                let _ = c.sftp.remove_file(tmp).await;
                // Refused because another writer put the name there meanwhile?
                match self.same_content(c, op, name, &target, bytes).await? {
                    Some((true, _)) => Ok(Put::AlreadyThere),
                    Some((false, size)) => Err(self.conflict(name, bytes.len(), size)),
                    None => Err(self.sftp_err(op, name, e)),
                }
            }
        }
    }

    async fn list_on(&self, c: &Conn) -> Result<Vec<RemoteFile>> {
        let dir = c.sftp.read_dir(self.cfg.inbound_dir.clone()).await.map_err(|e| match e {
            SftpError::Status(s) if s.status_code == StatusCode::NoSuchFile => {
                self.missing_folder("list", "inbound", "inbound")
            }
            e => self.sftp_err("list", "inbound", e),
        })?;
        let mut files: Vec<RemoteFile> = dir
            .filter(|e| e.file_type().is_file() && names::is_listable(&e.file_name()))
            .map(|e| RemoteFile { name: e.file_name(), size: e.metadata().len() })
            .collect();
        files.sort();
        Ok(files)
    }

    async fn fetch_on(&self, c: &Conn, name: &str) -> Result<Vec<u8>> {
        let path = names::join(&self.cfg.inbound_dir, name);
        c.sftp.read(path).await.map_err(|e| self.sftp_err("fetch", name, e))
    }

    async fn archive_on(&self, c: &Conn, name: &str) -> Result<()> {
        let op = "archive";
        let src = names::join(&self.cfg.inbound_dir, name);
        let processed = names::join(&self.cfg.inbound_dir, "processed");
        let dst = names::join(&processed, name);
        if !self.exists(c, op, name, &src).await? {
            // Archived before (by us, or by another replica a moment ago).
            return if self.exists(c, op, name, &dst).await? {
                Ok(())
            } else {
                Err(TransportError::NotFound { transport: self.description.clone(), op, name: name.to_string() })
            };
        }
        if let Err(e) = c.sftp.create_dir(processed.clone()).await
            && !self.exists(c, op, name, &processed).await?
        {
            return Err(self.sftp_err(op, name, e));
        }
        // The common case needs no download: nothing of that name archived yet.
        if !self.exists(c, op, name, &dst).await? && c.sftp.rename(src.clone(), dst.clone()).await.is_ok() {
            return Ok(());
        }
        let bytes = match self.fetch_on(c, name).await {
            Ok(b) => b,
            // Gone since we looked: archived by another replica just now.
            Err(TransportError::NotFound { .. }) if self.exists(c, op, name, &dst).await? => return Ok(()),
            Err(e) => return Err(e),
        };
        let alt = names::join(&processed, &names::archive_alt_name(name, &bytes));
        for target in [&dst, &alt] {
            match self.same_content(c, op, name, target, &bytes).await? {
                Some((true, _)) => {
                    // The same file is archived already: only the inbound copy has to go.
                    return match c.sftp.remove_file(src.clone()).await {
                        Ok(()) => Ok(()),
                        Err(SftpError::Status(s)) if s.status_code == StatusCode::NoSuchFile => Ok(()),
                        Err(e) => Err(self.sftp_err(op, name, e)),
                    };
                }
                Some((false, _)) => continue,
                None => {
                    return c.sftp.rename(src.clone(), target.clone()).await.map_err(|e| self.sftp_err(op, name, e));
                }
            }
        }
        Err(TransportError::Io {
            transport: self.description.clone(),
            op,
            name: name.to_string(),
            reason: "processed/ holds different files under both the name and its hashed name".into(),
            retryable: false,
        })
    }
}

#[async_trait::async_trait]
impl Transport for SftpTransport {
    fn kind(&self) -> &'static str {
        "sftp"
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    async fn put(&self, name: &str, bytes: &[u8]) -> Result<Put> {
        names::check(&self.description, name)?;
        self.run("put", name, |c| async move { self.put_on(&c, name, bytes).await }).await
    }

    async fn list_inbound(&self) -> Result<Vec<RemoteFile>> {
        self.run("list", "inbound", |c| async move { self.list_on(&c).await }).await
    }

    async fn fetch(&self, name: &str) -> Result<Vec<u8>> {
        names::check(&self.description, name)?;
        self.run("fetch", name, |c| async move { self.fetch_on(&c, name).await }).await
    }

    async fn archive(&self, name: &str) -> Result<()> {
        names::check(&self.description, name)?;
        self.run("archive", name, |c| async move { self.archive_on(&c, name).await }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_as_ssh_keygen_prints_them() {
        let fp = "SHA256:jIYCMYrgPOuUiJbAMUEyIulMD2MBclhjO/8iNM3x7n0";
        assert_eq!(parse_fingerprint(fp).unwrap(), fp);
        assert_eq!(parse_fingerprint(&format!("256 {fp} host (ED25519)")).unwrap(), fp);
        assert!(parse_fingerprint("MD5:aa:bb").is_err());
        assert!(parse_fingerprint("SHA256:short").is_err());
    }
}
