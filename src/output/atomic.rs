//! Replacing an output file so that readers see the old file or the new one, never a
//! half-written one: write a temporary file beside it, flush it to disk, then rename it
//! over the old one. Any error before the rename leaves the old file untouched and
//! removes the temporary file.
//!
//! The rename replaces a regular file only. A symlink is followed, so the file it points
//! at is replaced and the link stays; an existing file keeps its permission bits; and a
//! path that is not a regular file (`/dev/null`, `/dev/stdout`, a FIFO) is written into
//! as it is, since there is nothing there to replace atomically.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::{encode, Format, OutputError};
use crate::asset::AssetFile;

/// Mode for a new file before the umask, as `File::create` would give it; the temporary
/// file's own default (0600) would hide the output from other users.
#[cfg(unix)]
const NEW_FILE_MODE: u32 = 0o666;

/// Encodes `file` as `format` into `path`, replacing any existing file atomically.
pub fn write_atomically(path: &Path, file: &AssetFile, format: Format) -> Result<(), OutputError> {
    replace_file(path, |w| encode(file, format, w))?;
    tracing::debug!(path = %path.display(), assets = file.assets.len(), "wrote asset file");
    Ok(())
}

/// Writes what `write` produces into `path` by the same rules as the asset file (the run
/// report uses it too); errors name the path.
pub fn replace_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), OutputError>,
) -> Result<(), OutputError> {
    write_inner(path, write).map_err(|e| e.at(path))
}

/// Symlinks followed before giving up: the limit Linux itself applies (ELOOP).
const MAX_SYMLINKS: usize = 40;

fn write_inner(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), OutputError>,
) -> Result<(), OutputError> {
    let target = follow_symlinks(path)?;
    let path = target.as_path();
    let existing = std::fs::metadata(path).ok();
    if let Some(meta) = existing.as_ref().filter(|m| !m.is_file()) {
        return write_in_place(path, meta, write);
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let temp = temp_file_in(dir)?;
    if let Some(meta) = &existing {
        temp.as_file().set_permissions(meta.permissions())?;
    }
    let mut out = BufWriter::new(temp);
    write(&mut out)?;
    out.flush()?;
    let temp = out.into_inner().map_err(|e| e.into_error())?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir);
    Ok(())
}

/// The path a chain of symlinks ends at (which need not exist yet).
fn follow_symlinks(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_SYMLINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other(format!(
        "more than {MAX_SYMLINKS} symlinks"
    )))
}

/// Writes into a device, FIFO or socket as it is: it cannot be replaced by a rename. A
/// FIFO nobody reads is refused at once rather than waited on forever.
fn write_in_place(
    path: &Path,
    meta: &std::fs::Metadata,
    write: impl FnOnce(&mut dyn Write) -> Result<(), OutputError>,
) -> Result<(), OutputError> {
    #[cfg(unix)]
    let file = if std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()) {
        open_fifo_with_reader(path)?
    } else {
        std::fs::OpenOptions::new().write(true).open(path)?
    };
    #[cfg(not(unix))]
    let file = {
        let _ = meta;
        std::fs::OpenOptions::new().write(true).open(path)?
    };
    let mut out = BufWriter::new(file);
    write(&mut out)?;
    out.flush()?;
    tracing::debug!(path = %path.display(), "wrote asset file in place (not a regular file)");
    Ok(())
}

/// How long a FIFO may go without a reader before the write is refused: long enough for
/// a reader started alongside nuccrawl to open it.
#[cfg(unix)]
const FIFO_READER_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Opens the FIFO for writing once some process has it open for reading; refuses after
/// the grace period instead of blocking in `open` for ever (where no signal could end
/// the run). The descriptor that found the reader is the one written to: closing it and
/// opening again would hand the reader an early end of file.
#[cfg(unix)]
fn open_fifo_with_reader(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    use std::os::unix::io::AsRawFd as _;
    let deadline = std::time::Instant::now() + FIFO_READER_GRACE;
    loop {
        let probe = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path);
        match probe {
            Ok(file) => {
                // SAFETY: fcntl(2) on a descriptor this function owns; it reads and sets
                // only that descriptor's status flags.
                let cleared = unsafe {
                    let flags = libc::fcntl(file.as_raw_fd(), libc::F_GETFL);
                    flags >= 0
                        && libc::fcntl(file.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK)
                            == 0
                };
                if !cleared {
                    return Err(std::io::Error::last_os_error());
                }
                return Ok(file);
            }
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                if std::time::Instant::now() >= deadline {
                    return Err(std::io::Error::other("no process is reading this FIFO"));
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(unix)]
fn temp_file_in(dir: &Path) -> std::io::Result<NamedTempFile> {
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new()
        .prefix(".nuccrawl-")
        .permissions(std::fs::Permissions::from_mode(NEW_FILE_MODE))
        .tempfile_in(dir)
}

#[cfg(not(unix))]
fn temp_file_in(dir: &Path) -> std::io::Result<NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".nuccrawl-")
        .tempfile_in(dir)
}

/// Makes the rename itself durable where the platform allows syncing a directory.
fn sync_dir(dir: &Path) {
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::debug!(dir = %dir.display(), error = %e, "could not sync the directory");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{decode, sample::tricky_file};

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("assets.xml");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, &tricky_file(), Format::Xml).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(decode(&bytes, Format::Xml).unwrap(), tricky_file());
        assert_eq!(entries(dir.path()), ["assets.xml"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_ne!(mode & 0o044, 0, "readable like a normal new file: {mode:o}");
        }
    }

    #[test]
    fn encode_error_leaves_previous_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("assets.xml");
        write_atomically(&path, &tricky_file(), Format::Xml).unwrap();
        let before = std::fs::read(&path).unwrap();
        let mut bad = tricky_file();
        bad.assets[0].image_manifest = Some("{\"x\":\"\u{7}\"}".into());
        let err = write_atomically(&path, &bad, Format::Xml).unwrap_err();
        assert!(err.to_string().contains("assets.xml"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(
            entries(dir.path()),
            ["assets.xml"],
            "no temporary file left"
        );
    }

    #[test]
    fn missing_directory_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope/assets.json");
        let err = write_atomically(&path, &tricky_file(), Format::Json).unwrap_err();
        assert!(err.to_string().contains("nope/assets.json"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn symlink_is_followed_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        write_atomically(&link, &tricky_file(), Format::Json).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        let written = decode(&std::fs::read(&real).unwrap(), Format::Json).unwrap();
        assert_eq!(written, tricky_file());
    }

    #[cfg(unix)]
    #[test]
    fn existing_permissions_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("private.json");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, &tricky_file(), Format::Json).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_into_not_replaced() {
        use std::io::Read as _;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo");
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut text = Vec::new();
                File::open(fifo).unwrap().read_to_end(&mut text).unwrap();
                text
            })
        };
        write_atomically(&fifo, &tricky_file(), Format::Json).unwrap();
        let text = reader.join().unwrap();
        assert_eq!(decode(&text, Format::Json).unwrap(), tricky_file());
        use std::os::unix::fs::FileTypeExt as _;
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_nobody_reads_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("unread.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo");
        let err = write_atomically(&fifo, &tricky_file(), Format::Json).unwrap_err();
        assert!(
            format!("{err:?}").contains("no process is reading"),
            "{err:?}"
        );
    }
}
