//! File names: what may be sent, what a listing skips, the temporary and archive names.

use crate::error::{Result, TransportError};
use sha2::{Digest, Sha256};

/// Refuses names that are not one plain file in the remote folder. A slash would escape the
/// folder, a leading dot or a `.tmp` suffix would hide the file from every reader's listing.
pub(crate) fn check(transport: &str, name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        Some("empty")
    } else if name.len() > 200 {
        Some("longer than 200 bytes")
    } else if name.starts_with('.') {
        Some("starts with a dot (hidden and temporary files do)")
    } else if name.ends_with(".tmp") {
        Some("ends in .tmp (temporary files do)")
    } else if name.contains(['/', '\\']) {
        Some("contains a path separator")
    } else if name.chars().any(|c| c.is_control()) {
        Some("contains a control character")
    } else {
        None
    };
    match reason {
        Some(reason) => {
            Err(TransportError::InvalidName { transport: transport.to_string(), name: name.to_string(), reason })
        }
        None => Ok(()),
    }
}

/// Whether a listed name is a finished file for readers (not a dot file, not a temporary file).
pub(crate) fn is_listable(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.ends_with(".tmp")
}

/// `.<name>.<uuid>.tmp`: the temporary name the platform's writers and readers agree on.
pub(crate) fn temp_name(name: &str) -> String {
    format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple())
}

/// Hex SHA-256 of the content.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The name an archived file takes when `processed/` already holds a different file of its name:
/// `<name>.<first 12 hex of its SHA-256>`, as the submission service's `move_into` does.
pub(crate) fn archive_alt_name(name: &str, bytes: &[u8]) -> String {
    format!("{name}.{}", &sha256_hex(bytes)[..12])
}

/// Joins a remote (POSIX) folder and a file name.
pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check("t", "acme-000000001-87726.837").is_ok());
        for bad in ["", ".a.837", "a.837.tmp", "../a", "a/b", "a\\b", "a\nb"] {
            assert!(check("t", bad).is_err(), "{bad:?}");
        }
        assert!(!is_listable(".a.837.0190.tmp"));
        assert!(!is_listable("x.tmp"));
        assert!(is_listable("a.999"));
        let t = temp_name("a.837");
        assert!(t.starts_with(".a.837.") && t.ends_with(".tmp") && !is_listable(&t));
        assert_eq!(join("/in/", "a"), "/in/a");
        assert_eq!(join("in", "a"), "in/a");
        assert_eq!(join("", "a"), "a");
        assert_eq!(archive_alt_name("a", b"abc"), "a.ba7816bf8f01");
    }
}
