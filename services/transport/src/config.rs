//! Which transport a tenant uses, as configuration (TOML, JSON, env through figment).
//!
//! Secrets never live here: the SSH key and the bearer token are named by path or environment
//! variable, so a configuration file can be shown, logged and committed.

use crate::error::{Result, TransportError};
use crate::{FolderTransport, HttpsTransport, Instrumented, SftpTransport, Transport};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One tenant's clearinghouse endpoint, tagged by `kind`:
///
/// ```toml
/// kind = "sftp"
/// host = "sftp.clearinghouse.example"
/// user = "acme"
/// private_key_path = "/run/secrets/acme_ed25519"
/// host_key_sha256 = "SHA256:jIYCMYrgPOuUiJbAMUEyIulMD2MBclhjO/8iNM3x7n0"
/// outbound_dir = "/outbound"
/// inbound_dir = "/inbound"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransportConfig {
    Folder(FolderConfig),
    Sftp(SftpConfig),
    Https(HttpsConfig),
}

/// Local directories.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FolderConfig {
    /// Where our files go (`<data_dir>/<tenant>/outbound`).
    pub outbound_dir: PathBuf,
    /// Where the clearinghouse's files arrive (`<data_dir>/<tenant>/inbound`).
    pub inbound_dir: PathBuf,
}

/// An SFTP server, key authentication, verified host key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SftpConfig {
    pub host: String,
    #[serde(default = "default_ssh_port")]
    pub port: u16,
    pub user: String,
    /// An OpenSSH private key file (ed25519, ECDSA or RSA).
    pub private_key_path: PathBuf,
    /// The environment variable holding the key's passphrase, when it has one.
    #[serde(default)]
    pub private_key_passphrase_env: Option<String>,
    /// A known_hosts file with the server's key (`[host]:port` entries for ports other than 22).
    #[serde(default)]
    pub known_hosts_path: Option<PathBuf>,
    /// The server key's fingerprint as `ssh-keygen -lf` prints it (`SHA256:...`; the whole line
    /// is accepted too). Use this or `known_hosts_path`.
    #[serde(default)]
    pub host_key_sha256: Option<String>,
    /// Remote folder for our files; relative paths start at the login folder.
    #[serde(default = "default_outbound")]
    pub outbound_dir: String,
    /// Remote folder where the clearinghouse leaves its files.
    #[serde(default = "default_inbound")]
    pub inbound_dir: String,
    /// Limit for connecting and for each call, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

/// An HTTPS endpoint speaking the crate's protocol (see the crate docs).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpsConfig {
    /// `https://host[:port][/path]`; no user, query or fragment.
    pub base_url: String,
    /// A file holding the bearer token (read at each call, so a rotated token is picked up).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// An environment variable holding the bearer token. Use this or `token_file`.
    #[serde(default)]
    pub token_env: Option<String>,
    /// A PEM file of CA certificates to trust instead of the system's (a private CA).
    #[serde(default)]
    pub ca_cert_path: Option<PathBuf>,
    /// Limit for each request, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_ssh_port() -> u16 {
    22
}
fn default_outbound() -> String {
    "outbound".into()
}
fn default_inbound() -> String {
    "inbound".into()
}
fn default_timeout_ms() -> u64 {
    30_000
}

impl TransportConfig {
    /// The platform's folder layout for a tenant: `<data_dir>/<tenant>/outbound` and `.../inbound`.
    pub fn folder_for_tenant(data_dir: &Path, tenant: &str) -> Self {
        TransportConfig::Folder(FolderConfig {
            outbound_dir: data_dir.join(tenant).join("outbound"),
            inbound_dir: data_dir.join(tenant).join("inbound"),
        })
    }

    /// Where it points, without credentials (the same text the built transport describes itself with).
    pub fn describe(&self) -> String {
        match self {
            TransportConfig::Folder(c) => {
                format!("folder out={} in={}", c.outbound_dir.display(), c.inbound_dir.display())
            }
            TransportConfig::Sftp(c) => SftpTransport::description(c),
            TransportConfig::Https(c) => crate::https::redacted(&c.base_url),
        }
    }

    /// Every problem with the settings at once, so a bad file is fixed in one go. Also looks at
    /// the files and variables named (key, known_hosts, CA, token), without reading secrets into
    /// any message.
    pub fn check(&self) -> Result<()> {
        let mut problems: Vec<String> = Vec::new();
        let need_file = |what: &str, p: &Path, problems: &mut Vec<String>| {
            if !p.is_file() {
                problems.push(format!("{what} {} is not a readable file", p.display()));
            }
        };
        match self {
            TransportConfig::Folder(c) => {
                if c.outbound_dir.as_os_str().is_empty() {
                    problems.push("outbound_dir is empty".into());
                }
                if c.inbound_dir.as_os_str().is_empty() {
                    problems.push("inbound_dir is empty".into());
                }
                if c.outbound_dir == c.inbound_dir {
                    problems.push(
                        "outbound_dir and inbound_dir are the same folder: our own files would be read back as answers"
                            .into(),
                    );
                }
            }
            TransportConfig::Sftp(c) => {
                if c.host.trim().is_empty() {
                    problems.push("host is empty".into());
                }
                if c.port == 0 {
                    problems.push("port is 0".into());
                }
                if c.user.trim().is_empty() {
                    problems.push("user is empty".into());
                }
                need_file("private_key_path", &c.private_key_path, &mut problems);
                if let Some(var) = &c.private_key_passphrase_env
                    && std::env::var_os(var).is_none()
                {
                    problems.push(format!("private_key_passphrase_env names {var}, which is not set"));
                }
                match (&c.known_hosts_path, &c.host_key_sha256) {
                    (None, None) => problems.push(
                        "the server's host key is not pinned: set known_hosts_path or host_key_sha256 (from `ssh-keygen -lf`)"
                            .into(),
                    ),
                    (Some(_), Some(_)) => problems.push("set known_hosts_path or host_key_sha256, not both".into()),
                    (Some(p), None) => need_file("known_hosts_path", p, &mut problems),
                    (None, Some(f)) => {
                        if let Err(e) = crate::sftp::parse_fingerprint(f) {
                            problems.push(e);
                        }
                    }
                }
                if c.outbound_dir.is_empty() || c.inbound_dir.is_empty() {
                    problems.push("outbound_dir and inbound_dir must not be empty".into());
                } else if c.outbound_dir.trim_end_matches('/') == c.inbound_dir.trim_end_matches('/') {
                    problems.push("outbound_dir and inbound_dir are the same folder".into());
                }
                if c.timeout_ms == 0 {
                    problems.push("timeout_ms is 0".into());
                }
            }
            TransportConfig::Https(c) => {
                if let Err(e) = crate::https::parse_base_url(&c.base_url) {
                    problems.push(e);
                }
                match (&c.token_file, &c.token_env) {
                    (None, None) => problems.push("no bearer token: set token_file or token_env".into()),
                    (Some(_), Some(_)) => problems.push("set token_file or token_env, not both".into()),
                    (Some(p), None) => need_file("token_file", p, &mut problems),
                    (None, Some(var)) => {
                        if std::env::var_os(var).is_none() {
                            problems.push(format!("token_env names {var}, which is not set"));
                        }
                    }
                }
                if let Some(p) = &c.ca_cert_path {
                    need_file("ca_cert_path", p, &mut problems);
                }
                if c.timeout_ms == 0 {
                    problems.push("timeout_ms is 0".into());
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(TransportError::Config { transport: self.describe(), reason: problems.join("; ") })
        }
    }

    /// Checks the settings and makes the transport, instrumented. Connects lazily: a server that
    /// is down now is not a configuration error.
    pub fn build(&self) -> Result<Arc<dyn Transport>> {
        self.check()?;
        Ok(match self {
            TransportConfig::Folder(c) => {
                Arc::new(Instrumented::new(FolderTransport::new(c.outbound_dir.clone(), c.inbound_dir.clone())))
            }
            TransportConfig::Sftp(c) => Arc::new(Instrumented::new(SftpTransport::new(c.clone())?)),
            TransportConfig::Https(c) => Arc::new(Instrumented::new(HttpsTransport::new(c.clone())?)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tagged_config_and_reports_every_problem() {
        let c: TransportConfig = serde_json::from_str(
            r#"{"kind":"sftp","host":"h","user":"u","private_key_path":"/nonexistent/key","outbound_dir":"/x","inbound_dir":"/x/"}"#,
        )
        .unwrap();
        let TransportConfig::Sftp(s) = &c else { panic!("not sftp") };
        assert_eq!(s.port, 22);
        assert_eq!(s.timeout_ms, 30_000);
        let e = c.check().unwrap_err().to_string();
        assert!(e.starts_with("sftp://u@h:22"), "{e}");
        assert!(e.contains("private_key_path /nonexistent/key is not a readable file"), "{e}");
        assert!(e.contains("host key is not pinned"), "{e}");
        assert!(e.contains("same folder"), "{e}");

        let unknown =
            serde_json::from_str::<TransportConfig>(r#"{"kind":"folder","outbound_dir":"a","inbound_dir":"b","x":1}"#);
        assert!(unknown.is_err());

        let h = TransportConfig::Https(HttpsConfig {
            base_url: "http://user:pw@example.com/x?q=1".into(),
            token_file: None,
            token_env: None,
            ca_cert_path: None,
            timeout_ms: 1000,
        });
        let e = h.check().unwrap_err().to_string();
        assert!(!e.contains("pw"), "{e}");
        assert!(e.contains("https"), "{e}");
        assert!(e.contains("no bearer token"), "{e}");

        let f = TransportConfig::folder_for_tenant(Path::new("/data"), "acme");
        assert_eq!(f.describe(), "folder out=/data/acme/outbound in=/data/acme/inbound");
        assert!(f.check().is_ok());
    }
}
