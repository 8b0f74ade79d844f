//! Atomic file replacement: a reader (or a crash, or `kill -9`) sees the
//! old file or the new one, never a mix, and a failed write leaves the old
//! file untouched. The file stays the user's: a symlink is written through
//! (the file it points to is replaced, the link stays), and the file keeps
//! its permissions.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// How many symlinks are followed before giving up (a loop).
const MAX_LINKS: usize = 16;

/// Write `bytes` to `path` through a temporary file in the same directory
/// as the file it finally names: write, fsync, give it the old file's
/// permissions, rename over it, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let target = resolve_links(path)?;
    let dir = parent_dir(&target);
    let name = target
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
    let tmp = dir.join(temp_name(&name.to_string_lossy(), std::process::id()));
    let permissions = fs::metadata(&target).ok().map(|m| m.permissions());
    let result = (|| {
        let mut f = File::create(&tmp)?;
        #[cfg(debug_assertions)]
        let bytes = torn_write_for_tests(&mut f, bytes)?;
        f.write_all(bytes)?;
        if let Some(p) = permissions {
            f.set_permissions(p)?;
        }
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, &target)?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Remove temporary files that an earlier process writing `path` left
/// behind when it was killed mid-write (theirs, never a live process's).
/// Returns how many went.
pub fn remove_stale_temps(path: &Path) -> usize {
    let Ok(target) = resolve_links(path) else {
        return 0;
    };
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return 0;
    };
    let dir = parent_dir(&target);
    let prefix = temp_name(&name, 0);
    let prefix = prefix.trim_end_matches('0');
    let Ok(entries) = fs::read_dir(&dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = file
            .strip_prefix(prefix)
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) && fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// In builds with debug assertions, `FADERD_TEST_WRITE_PAUSE_MS` writes
/// half the file, pauses that long, and leaves the rest to the caller: a
/// test can then kill the process in the middle of a write, for sure.
#[cfg(debug_assertions)]
fn torn_write_for_tests<'a>(f: &mut File, bytes: &'a [u8]) -> io::Result<&'a [u8]> {
    let Some(ms) = std::env::var("FADERD_TEST_WRITE_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return Ok(bytes);
    };
    let (first, rest) = bytes.split_at(bytes.len() / 2);
    f.write_all(first)?;
    f.flush()?;
    std::thread::sleep(std::time::Duration::from_millis(ms));
    Ok(rest)
}

/// `.NAME.tmp-PID`: hidden, and naming the process that writes it.
fn temp_name(name: &str, pid: u32) -> String {
    format!(".{name}.tmp-{pid}")
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The file `path` finally names, following symlinks (a link to a file
/// that does not exist yet names that file).
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = fs::read_link(&p)?;
                p = if to.is_absolute() {
                    to
                } else {
                    parent_dir(&p).join(to)
                };
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::other(format!(
        "{}: more than {MAX_LINKS} symbolic links",
        path.display()
    )))
}

/// True while process `pid` runs (or when that cannot be told: a file of
/// a process we cannot see is left alone).
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.yaml");
        fs::write(&p, "old").unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing-dir").join("s.yaml");
        assert!(write_atomic(&p, b"new").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_written_through_and_permissions_are_kept() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let real = dir.path().join("real").join("s.yaml");
        fs::write(&real, "old").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link.yaml");
        symlink("real/s.yaml", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        let mode = fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.yaml");
        fs::write(&p, "x").unwrap();
        // A pid far above any running one, and our own (a write in flight).
        let dead = dir.path().join(temp_name("s.yaml", 4_000_000_000));
        let ours = dir.path().join(temp_name("s.yaml", std::process::id()));
        let other = dir.path().join(".t.yaml.tmp-4000000000");
        for f in [&dead, &ours, &other] {
            fs::write(f, "partial").unwrap();
        }
        assert_eq!(remove_stale_temps(&p), 1);
        assert!(!dead.exists() && ours.exists() && other.exists());
    }
}
