//! The file drop: atomic writes (temporary file, fsync, rename, fsync of the directory) and moves.
//! Temporary files start with a dot and end in `.tmp`, so no reader of `*.837` or `*.999` sees them.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `<data_dir>/<tenant>/outbound`: our 837P files.
pub fn outbound(data_dir: &Path, tenant: &str) -> PathBuf {
    data_dir.join(tenant).join("outbound")
}

/// `<data_dir>/<tenant>/inbound`: 999, 277CA and 835 files from the clearinghouse.
pub fn inbound(data_dir: &Path, tenant: &str) -> PathBuf {
    data_dir.join(tenant).join("inbound")
}

/// Writes `content` to `dir/name` so that a reader sees either no file or the whole file.
pub fn write_atomic(dir: &Path, name: &str, content: &[u8]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple()));
    let target = dir.join(name);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)?;
        std::fs::File::open(dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(&target, e)
    })
}

/// Moves `from` into `dir` under its own name; when a different file of that name is already
/// there, under `<name>.<tag>` instead. Nothing is overwritten.
pub fn move_into(from: &Path, dir: &Path, tag: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = from.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut target = dir.join(&name);
    if target.exists() {
        if std::fs::read(&target).ok() == std::fs::read(from).ok() {
            std::fs::remove_file(from).map_err(|e| Error::io(from, e))?;
            return Ok(target);
        }
        target = dir.join(format!("{name}.{tag}"));
    }
    std::fs::rename(from, &target).map_err(|e| Error::io(from, e))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_only_the_file_and_moves_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), "a.837", b"one").unwrap();
        write_atomic(dir.path(), "a.837", b"one").unwrap();
        let names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(names, vec!["a.837".to_string()]);

        let done = dir.path().join("done");
        move_into(&dir.path().join("a.837"), &done, "x").unwrap();
        write_atomic(dir.path(), "a.837", b"one").unwrap();
        move_into(&dir.path().join("a.837"), &done, "x").unwrap();
        write_atomic(dir.path(), "a.837", b"two").unwrap();
        move_into(&dir.path().join("a.837"), &done, "x").unwrap();
        assert_eq!(std::fs::read(done.join("a.837")).unwrap(), b"one");
        assert_eq!(std::fs::read(done.join("a.837.x")).unwrap(), b"two");
        assert!(!dir.path().join("a.837").exists());
    }
}
