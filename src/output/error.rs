//! What can go wrong turning an [`AssetFile`](crate::asset::AssetFile) into bytes or back.

use std::path::PathBuf;

use super::Format;

/// Why an asset file could not be encoded, decoded or written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The format name or file extension is not one nuccrawl writes.
    #[error("unknown output format `{0}`; expected json, xml or csv")]
    UnknownFormat(String),
    /// A value cannot be carried by the format without changing its bytes.
    #[error(
        "{}{field}: cannot be written as {format} without changing it: {reason}",
        asset_prefix(.asset, .image)
    )]
    Unrepresentable {
        /// The format that cannot carry the value.
        format: Format,
        /// Index of the asset in the file (0-based); `None` for the file metadata.
        asset: Option<usize>,
        /// The asset's image as `repository@digest` (or the repository alone), to find it.
        image: Option<String>,
        /// The field holding the value.
        field: &'static str,
        /// What is in the way.
        reason: String,
    },
    /// The JSON could not be written or read.
    #[error("JSON")]
    Json(#[from] serde_json::Error),
    /// The XML could not be written.
    #[error("XML")]
    Xml(#[from] quick_xml::Error),
    /// The XML read is not well-formed. quick-xml's message is kept as text, not as a
    /// source: its outer error's text already holds the inner one.
    #[error("XML is not well-formed at line {line}, column {column}: {reason}")]
    XmlSyntax {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What is wrong, as the parser says it.
        reason: String,
    },
    /// The CSV could not be written or read.
    #[error("CSV")]
    Csv(#[from] csv::Error),
    /// The document parsed but is not an asset file of its format.
    #[error("{format} is not a Container Image asset file: {reason}")]
    Structure {
        /// The format being read.
        format: Format,
        /// What was expected and not found.
        reason: String,
    },
    /// Writing to the destination failed.
    #[error("write failed")]
    Io(#[from] std::io::Error),
    /// Something went wrong with a file; the cause is in the source chain.
    #[error("{}", path.display())]
    File {
        /// The file being read or written.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: Box<OutputError>,
    },
}

impl OutputError {
    /// Wraps `self` with the path of the file it concerns.
    pub fn at(self, path: impl Into<PathBuf>) -> Self {
        OutputError::File {
            path: path.into(),
            source: Box::new(self),
        }
    }

    /// A structure error for `format`.
    pub(crate) fn structure(format: Format, reason: impl Into<String>) -> Self {
        OutputError::Structure {
            format,
            reason: reason.into(),
        }
    }
}

/// `asset 3 (team/api@sha256:…), ` for a value inside an asset, nothing for file metadata.
fn asset_prefix(asset: &Option<usize>, image: &Option<String>) -> String {
    match (asset, image) {
        (Some(i), Some(image)) => format!("asset {i} ({image}), "),
        (Some(i), None) => format!("asset {i}, "),
        (None, _) => String::new(),
    }
}
