//! The payer's memory of the claims it adjudicated, for its duplicate check (CO-18).
//!
//! Each claim adjudicated (accepted by the 277CA, not a void) under a [`duplicate_key`] not seen
//! before is remembered under that key with where it was first answered: the 837 file's name and the
//! claim's ordinal in the file. A later claim with the same key is a duplicate, unless it is that
//! very claim answered again (after a crash between a file's answers and its marker), which keeps
//! an answer given again the same as the first.
//!
//! [`AnsweredDir`] keeps the memory on disk, one small file per key under
//! `<data_dir>/<tenant>/outbound/answered/claims/<key>` holding `<file>\t<ordinal>`, each written by
//! a temporary file and a rename, so a restart keeps it. It holds no patient data: the key is a hash.
//!
//! [`duplicate_key`]: crate::adjudicate::duplicate_key

use std::io;
use std::path::{Path, PathBuf};

/// Where a claim was first answered.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FirstAnswered {
    /// The 837 file's name (`acme-000000001-P1.837`).
    pub file: String,
    /// The claim's ordinal among the claims of the file's readable transaction sets (0-based).
    pub claim: u32,
}

/// Looks up the claim first answered with a duplicate key.
pub trait AnsweredClaims {
    fn first(&self, key: &str) -> io::Result<Option<FirstAnswered>>;
}

/// A payer that remembers nothing (every claim is new to it).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAnsweredClaims;

impl AnsweredClaims for NoAnsweredClaims {
    fn first(&self, _: &str) -> io::Result<Option<FirstAnswered>> {
        Ok(None)
    }
}

/// The memory on disk, under `<answered>/claims/`.
#[derive(Debug, Clone)]
pub struct AnsweredDir {
    dir: PathBuf,
}

impl AnsweredDir {
    /// The memory kept in `answered` (the directory of the answered markers).
    pub fn new(answered: &Path) -> Self {
        AnsweredDir { dir: answered.join("claims") }
    }

    /// Remembers `first` under `key`, atomically. Recording the same again changes nothing.
    pub fn record(&self, key: &str, first: &FirstAnswered) -> io::Result<()> {
        if !is_key(key) || first.file.contains(['\t', '\n']) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a duplicate key or file name"));
        }
        crate::run::write_atomic(&self.dir, key, format!("{}\t{}\n", first.file, first.claim).as_bytes())
    }
}

impl AnsweredClaims for AnsweredDir {
    fn first(&self, key: &str) -> io::Result<Option<FirstAnswered>> {
        if !is_key(key) {
            return Ok(None);
        }
        let text = match std::fs::read_to_string(self.dir.join(key)) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let bad = || io::Error::new(io::ErrorKind::InvalidData, format!("answered-claims entry {key} is malformed"));
        let (file, claim) = text.trim_end_matches('\n').split_once('\t').ok_or_else(bad)?;
        let claim = claim.parse().map_err(|_| bad())?;
        Ok(Some(FirstAnswered { file: file.to_string(), claim }))
    }
}

/// Keys are hex digits only (they become file names).
fn is_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 64 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let index = AnsweredDir::new(dir.path());
        let key = "0123456789abcdef0123456789abcdef";
        assert_eq!(index.first(key).unwrap(), None);
        let first = FirstAnswered { file: "acme-000000001-P1.837".into(), claim: 3 };
        index.record(key, &first).unwrap();
        assert_eq!(AnsweredDir::new(dir.path()).first(key).unwrap(), Some(first));
        assert!(index.record("../x", &FirstAnswered { file: "a".into(), claim: 0 }).is_err());
        assert_eq!(index.first("../x").unwrap(), None);
    }
}
