//! The three encodings of an asset file and how to tell which one a path wants.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use super::OutputError;

/// An encoding of the asset file that Nucleus imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// One JSON object, pretty-printed.
    Json,
    /// A `nucleusCustomScan` XML document.
    Xml,
    /// A header row and one row per asset.
    Csv,
}

impl Format {
    /// Every format, in the order help text lists them.
    pub const ALL: [Format; 3] = [Format::Json, Format::Xml, Format::Csv];

    /// The format a file name's extension names (case-insensitive), if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        path.extension()?.to_str()?.parse().ok()
    }

    /// The lower-case name, also the file extension.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Xml => "xml",
            Format::Csv => "csv",
        }
    }
}

impl FromStr for Format {
    type Err = OutputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| OutputError::UnknownFormat(s.into()))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json => "JSON",
            Format::Xml => "XML",
            Format::Csv => "CSV",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_extension_and_name() {
        assert_eq!(
            Format::from_path(Path::new("out/a.json")),
            Some(Format::Json)
        );
        assert_eq!(Format::from_path(Path::new("A.XML")), Some(Format::Xml));
        assert_eq!(Format::from_path(Path::new("a.csv")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("a.txt")), None);
        assert_eq!(Format::from_path(Path::new("json")), None);
        assert_eq!("csv".parse::<Format>().unwrap(), Format::Csv);
        let err = "yaml".parse::<Format>().unwrap_err();
        assert!(err.to_string().contains("yaml"), "{err}");
    }
}
