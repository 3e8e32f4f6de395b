//! The folder drop: local directories, laid out as the platform has always used them
//! (`<data_dir>/<tenant>/outbound`, `<data_dir>/<tenant>/inbound`, `inbound/processed/`).
//!
//! Writes go to `.<name>.<uuid>.tmp`, are fsynced, then linked into place with `link(2)`, which
//! refuses an existing target: unlike `rename(2)`, two writers racing on one name can never
//! overwrite each other. Where the file system has no hard links, a checked `rename` is used.

use crate::error::{Result, TransportError};
use crate::{Put, RemoteFile, Transport, names};
use std::fs;
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Local outbound and inbound directories.
#[derive(Debug, Clone)]
pub struct FolderTransport {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    outbound: PathBuf,
    inbound: PathBuf,
    description: String,
}

impl FolderTransport {
    pub fn new(outbound: impl Into<PathBuf>, inbound: impl Into<PathBuf>) -> Self {
        let (outbound, inbound) = (outbound.into(), inbound.into());
        let description = format!("folder out={} in={}", outbound.display(), inbound.display());
        FolderTransport { inner: Arc::new(Inner { outbound, inbound, description }) }
    }

    /// Runs blocking file system work off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        op: &'static str,
        name: &str,
        f: impl FnOnce(&Inner) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        match tokio::task::spawn_blocking(move || f(&inner)).await {
            Ok(r) => r,
            Err(e) => Err(TransportError::Io {
                transport: self.inner.description.clone(),
                op,
                name: name.to_string(),
                reason: format!("worker failed: {e}"),
                retryable: true,
            }),
        }
    }
}

impl Inner {
    fn io(&self, op: &'static str, name: &str, e: io::Error) -> TransportError {
        if e.kind() == ErrorKind::NotFound {
            return TransportError::NotFound { transport: self.description.clone(), op, name: name.to_string() };
        }
        // Network file systems have passing failures; a full or read-only disk needs a person.
        let retryable = matches!(
            e.kind(),
            ErrorKind::TimedOut
                | ErrorKind::Interrupted
                | ErrorKind::WouldBlock
                | ErrorKind::ResourceBusy
                | ErrorKind::StaleNetworkFileHandle
        );
        TransportError::Io {
            transport: self.description.clone(),
            op,
            name: name.to_string(),
            reason: e.to_string(),
            retryable,
        }
    }

    fn conflict(&self, name: &str, size: usize, remote_size: u64) -> TransportError {
        TransportError::Conflict {
            transport: self.description.clone(),
            name: name.to_string(),
            size: size as u64,
            remote_size: Some(remote_size),
        }
    }

    fn put(&self, name: &str, bytes: &[u8]) -> Result<Put> {
        let err = |e| self.io("put", name, e);
        fs::create_dir_all(&self.outbound).map_err(err)?;
        let target = self.outbound.join(name);
        if let Some(found) = self.existing(name, &target, bytes)? {
            return Ok(found);
        }
        let tmp = self.outbound.join(names::temp_name(name));
        let written = (|| {
            let mut f = fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            move_no_replace(&tmp, &target)
        })();
        match written {
            Ok(true) => {
                sync_dir(&self.outbound).map_err(err)?;
                Ok(Put::Written)
            }
            Ok(false) => {
                // Another writer got there first: same bytes is fine, others are a conflict.
                let _ = fs::remove_file(&tmp);
                match self.existing(name, &target, bytes)? {
                    Some(found) => Ok(found),
                    None => Err(err(io::Error::other("the file appeared and vanished while being written"))),
                }
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(err(e))
            }
        }
    }

    /// `Some(AlreadyThere)` when `target` holds exactly `bytes`, a conflict when it holds
    /// something else, `None` when there is no such file.
    fn existing(&self, name: &str, target: &Path, bytes: &[u8]) -> Result<Option<Put>> {
        match same_content(target, bytes) {
            Ok(None) => Ok(None),
            Ok(Some((true, _))) => Ok(Some(Put::AlreadyThere)),
            Ok(Some((false, size))) => Err(self.conflict(name, bytes.len(), size)),
            Err(e) => Err(self.io("put", name, e)),
        }
    }

    fn list(&self) -> Result<Vec<RemoteFile>> {
        let err = |e| self.io("list", "inbound", e);
        let entries = match fs::read_dir(&self.inbound) {
            Ok(entries) => entries,
            // The platform creates the inbound folder lazily: none yet means nothing waiting.
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(err(e)),
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(err)?;
            // Not following symlinks: only plain files the clearinghouse dropped.
            if !entry.file_type().map_err(err)?.is_file() {
                continue;
            }
            let Ok(name) = entry.file_name().into_string() else {
                tracing::warn!(dir = %self.inbound.display(), "inbound file with a name that is not UTF-8; skipped");
                continue;
            };
            if !names::is_listable(&name) {
                continue;
            }
            let size = entry.metadata().map_err(err)?.len();
            files.push(RemoteFile { name, size });
        }
        files.sort();
        Ok(files)
    }

    fn fetch(&self, name: &str) -> Result<Vec<u8>> {
        fs::read(self.inbound.join(name)).map_err(|e| self.io("fetch", name, e))
    }

    fn archive(&self, name: &str) -> Result<()> {
        let err = |e| self.io("archive", name, e);
        let src = self.inbound.join(name);
        let processed = self.inbound.join("processed");
        let dst = processed.join(name);
        let bytes = match fs::read(&src) {
            Ok(b) => b,
            // Archived before (by us, or by another replica a moment ago).
            Err(e) if e.kind() == ErrorKind::NotFound && dst.is_file() => return Ok(()),
            Err(e) => return Err(err(e)),
        };
        fs::create_dir_all(&processed).map_err(err)?;
        let alt = processed.join(names::archive_alt_name(name, &bytes));
        for target in [&dst, &alt] {
            match same_content(target, &bytes).map_err(err)? {
                // The same file is archived already: only the inbound copy has to go.
                Some((true, _)) => {
                    fs::remove_file(&src).or_else(ignore_not_found).map_err(err)?;
                    return sync_dir(&self.inbound).map_err(err);
                }
                Some((false, _)) => continue,
                None => {
                    if move_no_replace(&src, target).map_err(err)? {
                        sync_dir(&processed).map_err(err)?;
                        return sync_dir(&self.inbound).map_err(err);
                    }
                    // Someone archived a file under this name meanwhile: look again.
                    return self.archive(name);
                }
            }
        }
        Err(err(io::Error::other("processed/ holds different files under both the name and its hashed name")))
    }
}

fn ignore_not_found(e: io::Error) -> io::Result<()> {
    if e.kind() == ErrorKind::NotFound { Ok(()) } else { Err(e) }
}

/// `None` when `path` does not exist, else whether it holds exactly `bytes`, and its size.
fn same_content(path: &Path, bytes: &[u8]) -> io::Result<Option<(bool, u64)>> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if !meta.is_file() {
        return Err(io::Error::other("a folder or special file has that name"));
    }
    if meta.len() != bytes.len() as u64 {
        return Ok(Some((false, meta.len())));
    }
    let mut there = Vec::with_capacity(bytes.len());
    fs::File::open(path)?.read_to_end(&mut there)?;
    Ok(Some((there == bytes, meta.len())))
}

/// Moves `from` to `to` unless `to` exists; `Ok(false)` when it does (nothing moved).
fn move_no_replace(from: &Path, to: &Path) -> io::Result<bool> {
    match fs::hard_link(from, to) {
        Ok(()) => {
            fs::remove_file(from)?;
            Ok(true)
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
        // No hard links here (some network and FAT file systems): check, then rename.
        Err(_) => {
            if fs::symlink_metadata(to).is_ok() {
                return Ok(false);
            }
            fs::rename(from, to)?;
            Ok(true)
        }
    }
}

/// Makes a rename or link in `dir` durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[async_trait::async_trait]
impl Transport for FolderTransport {
    fn kind(&self) -> &'static str {
        "folder"
    }

    fn describe(&self) -> String {
        self.inner.description.clone()
    }

    async fn put(&self, name: &str, bytes: &[u8]) -> Result<Put> {
        names::check(&self.inner.description, name)?;
        let (n, b) = (name.to_string(), bytes.to_vec());
        self.blocking("put", name, move |i| i.put(&n, &b)).await
    }

    async fn list_inbound(&self) -> Result<Vec<RemoteFile>> {
        self.blocking("list", "inbound", |i| i.list()).await
    }

    async fn fetch(&self, name: &str) -> Result<Vec<u8>> {
        names::check(&self.inner.description, name)?;
        let n = name.to_string();
        self.blocking("fetch", name, move |i| i.fetch(&n)).await
    }

    async fn archive(&self, name: &str) -> Result<()> {
        names::check(&self.inner.description, name)?;
        let n = name.to_string();
        self.blocking("archive", name, move |i| i.archive(&n)).await
    }
}
