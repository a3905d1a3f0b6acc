//! Replacing an output file so that readers see the old file or the new one, never a
//! half-written one: write a temporary file beside it, flush it to disk, then rename it
//! over the old one. Any error before the rename leaves the old file untouched and
//! removes the temporary file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use tempfile::NamedTempFile;

use super::{encode, Format, OutputError};
use crate::asset::AssetFile;

/// Mode for a new file before the umask, as `File::create` would give it; the temporary
/// file's own default (0600) would hide the output from other users.
#[cfg(unix)]
const NEW_FILE_MODE: u32 = 0o666;

/// Encodes `file` as `format` into `path`, replacing any existing file atomically.
pub fn write_atomically(path: &Path, file: &AssetFile, format: Format) -> Result<(), OutputError> {
    write_inner(path, file, format).map_err(|e| e.at(path))
}

fn write_inner(path: &Path, file: &AssetFile, format: Format) -> Result<(), OutputError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let temp = temp_file_in(dir)?;
    let mut out = BufWriter::new(temp);
    encode(file, format, &mut out)?;
    out.flush()?;
    let temp = out.into_inner().map_err(|e| e.into_error())?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir);
    tracing::debug!(path = %path.display(), assets = file.assets.len(), "wrote asset file");
    Ok(())
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
}
