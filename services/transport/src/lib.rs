//! `rcm-transport`: moves EDI files between us and a clearinghouse, behind one interface.
//!
//! A [`Transport`] puts our files (837P) into the remote *outbound* place and reads the remote
//! *inbound* place (999, 277CA, 835). Three kinds, chosen per tenant by a [`TransportConfig`]:
//!
//! - **folder**: local directories, `<data_dir>/<tenant>/outbound` and `<data_dir>/<tenant>/inbound`
//!   as the platform has always used ([`TransportConfig::folder_for_tenant`]). Temporary files are
//!   `.<name>.<uuid>.tmp`, archived files go to `inbound/processed/`.
//! - **sftp**: an SSH server (russh + russh-sftp), key authentication, the server's host key checked
//!   against a known_hosts file or a `SHA256:` fingerprint.
//! - **https**: the small protocol below, over rustls (ring), with a bearer token.
//!
//! Every kind keeps the same promises:
//!
//! - [`Transport::put`] is atomic (the remote reader never sees half a file: a dot-named temporary
//!   file, then a rename) and idempotent: the same name with the same bytes is
//!   [`Put::AlreadyThere`]; the same name with other bytes is [`TransportError::Conflict`] and
//!   nothing is overwritten. A caller that crashed after sending can therefore simply send again.
//! - [`Transport::list_inbound`] lists plain files only (no dot files, no `*.tmp`, no folders),
//!   sorted by name.
//! - [`Transport::archive`] moves an inbound file to `processed/` without overwriting anything
//!   (a different file already archived under that name stays, the new one is kept as
//!   `<name>.<first 12 hex of its SHA-256>`, as the submission service has always done); archiving
//!   an already archived file is `Ok`.
//! - Errors say which transport and file, never credentials or content, and tell whether a retry
//!   can help ([`TransportError::is_retryable`]); [`retry`] retries with backoff.
//!
//! [`TransportConfig::build`] returns the transport wrapped in [`Instrumented`]: a `tracing` span
//! per call (transport description and file name, no content) and `metrics` counters
//! `rcm_transport_{puts,lists,fetches,archives}_total{kind,outcome}`,
//! `rcm_transport_bytes_total{kind,direction}` and the histogram `rcm_transport_seconds{kind,op}`.
//!
//! # The HTTPS protocol
//!
//! All paths are relative to the configured `base_url` (for example
//! `https://edi.example.com/v1/acme`); every request carries `Authorization: Bearer <token>`.
//! Names are single path segments (percent-encoded when needed).
//!
//! | request | success | other answers |
//! |---|---|---|
//! | `PUT {base}/outbound/{name}`, body = the file | `201 Created`: stored; `200 OK` (or `204`): the same bytes were already there | `409 Conflict`: a different file has that name, nothing changed |
//! | `HEAD {base}/outbound/{name}` (optional, not used by this client) | `200` with `Content-Length` | `404` |
//! | `GET {base}/inbound/` | `200`, JSON array `[{"name": "x.999", "size": 123}, ...]` of the files waiting | |
//! | `GET {base}/inbound/{name}` | `200`, the file's bytes | `404` |
//! | `POST {base}/inbound/{name}/archive` | `200` or `204`: moved out of the listing, also when it was already archived | `404`: never seen |
//!
//! The server must store a PUT atomically (a reader of the outbound side never sees part of a
//! body). `401`/`403` mean the token is refused; `408`, `429` and `5xx` are temporary and retried
//! by [`retry`]; redirects are not followed.

mod config;
mod error;
mod folder;
mod https;
mod instrument;
mod names;
mod retry;
mod sftp;

pub use config::{FolderConfig, HttpsConfig, SftpConfig, TransportConfig};
pub use error::{Result, TransportError};
pub use folder::FolderTransport;
pub use https::HttpsTransport;
pub use instrument::Instrumented;
pub use retry::{RetryPolicy, retry};
pub use sftp::SftpTransport;

/// What [`Transport::put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// The file was delivered now.
    Written,
    /// The remote already held this name with the same bytes; nothing was written.
    AlreadyThere,
}

/// A file waiting in the remote inbound place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct RemoteFile {
    pub name: String,
    pub size: u64,
}

/// Moves files between us and one clearinghouse endpoint. Object safe, to be held as
/// `Arc<dyn Transport>` and chosen by configuration.
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    /// The kind for metrics labels: `folder`, `sftp` or `https`.
    fn kind(&self) -> &'static str;

    /// Where this transport points, without credentials (e.g. `sftp://user@host:22 out=/outbound in=/inbound`).
    fn describe(&self) -> String;

    /// Delivers `bytes` as `name` to the remote outbound place, atomically and at most once.
    async fn put(&self, name: &str, bytes: &[u8]) -> Result<Put>;

    /// The files waiting in the remote inbound place, sorted by name.
    async fn list_inbound(&self) -> Result<Vec<RemoteFile>>;

    /// The content of one inbound file.
    async fn fetch(&self, name: &str) -> Result<Vec<u8>>;

    /// Moves an inbound file (already stored on our side) out of the listing, to `processed/`.
    async fn archive(&self, name: &str) -> Result<()>;
}
