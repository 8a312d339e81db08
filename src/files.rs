//! Files and directories only their owner may read: the log, the recordings and the state
//! directory hold release names, who acted and what the cluster said, and are created 0600 and
//! 0700 (an existing file or directory keeps the mode it has).

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Creates `dir` and its missing parents, each 0700.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// The parent directory of `path`, created 0700 when missing.
pub fn private_parent(path: &Path) -> io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => private_dir(dir),
        None => Ok(()),
    }
}

/// Opens `path` for appending, created 0600 when missing.
pub fn append_private(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
}

/// Creates (or truncates) `path` for writing, created 0600 when missing.
pub fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_files_and_directories_are_the_owners_alone() {
        let base = std::env::temp_dir().join(format!("canary-files-{}", std::process::id()));
        let file = base.join("a/b/canary.log");
        private_parent(&file).unwrap();
        assert_eq!(mode(&base.join("a")), 0o700);
        assert_eq!(mode(&base.join("a/b")), 0o700);
        append_private(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        let rec = base.join("a/b/session.jsonl");
        create_private(&rec).unwrap();
        assert_eq!(mode(&rec), 0o600);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
