//! The CSV encoding: a header row, then one row per asset with the file metadata repeated
//! on each. Lists are joined with `;`. Quoting follows RFC 4180 (fields with a comma,
//! quote or line break are quoted, quotes doubled), so manifest and config bytes,
//! including CR LF, come back exactly.
//!
//! Reading finds columns by header name and reads blank cells as absent values; a header
//! that is not exactly FORMAT.md's 18 columns in order, a row of another length and an
//! empty list item are still read but reported as violations. A file with no rows has no
//! metadata to read and gets nuccrawl's.

use std::collections::HashMap;
use std::io::Write;

use csv::{ReaderBuilder, StringRecord, Terminator, WriterBuilder};

use super::representable::LIST_SEPARATOR;
use super::{Format, OutputError};
use crate::asset::{Asset, AssetFile, Violation, ASSET_FIELDS};

/// The file's metadata fields, which CSV repeats on every row before the asset fields.
const METADATA_COLUMNS: [&str; 3] = ["nucleus_import_version", "scan_tool", "scan_type"];

/// The columns, in the order FORMAT.md gives them: metadata, then the asset fields.
pub(super) const COLUMNS: [&str; 18] = columns();

const fn columns() -> [&'static str; 18] {
    let mut out = [""; 18];
    let mut i = 0;
    while i < out.len() {
        out[i] = if i < METADATA_COLUMNS.len() {
            METADATA_COLUMNS[i]
        } else {
            ASSET_FIELDS[i - METADATA_COLUMNS.len()]
        };
        i += 1;
    }
    out
}

/// Writes `file` as CSV with CR LF line ends (RFC 4180).
pub(super) fn encode<W: Write>(file: &AssetFile, w: W) -> Result<(), OutputError> {
    let mut out = WriterBuilder::new()
        .terminator(Terminator::CRLF)
        .from_writer(w);
    out.write_record(COLUMNS)?;
    for asset in &file.assets {
        out.write_record(row(file, asset))?;
    }
    out.flush()?;
    Ok(())
}

/// The cells of one asset's row, in [`COLUMNS`] order (the caller has checked that
/// every list can be joined: see `output::representable`).
fn row(file: &AssetFile, a: &Asset) -> [String; 18] {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let list = |items: &[String]| items.join(&LIST_SEPARATOR.to_string());
    [
        file.nucleus_import_version.clone(),
        file.scan_tool.clone(),
        file.scan_type.clone(),
        a.image_repo.clone(),
        text(&a.image_manifest_digest),
        text(&a.image_config_digest),
        list(&a.image_tags),
        text(&a.image_registry),
        list(&a.image_secondary_registries),
        text(&a.image_distro),
        text(&a.image_platform_os),
        text(&a.image_platform_arch),
        text(&a.image_platform_os_version),
        list(&a.image_platform_os_features),
        text(&a.image_platform_arch_variant),
        list(&a.image_platform_arch_features),
        text(&a.image_manifest),
        text(&a.image_config),
    ]
}

/// The `field` of violations about the header row.
const HEADER: &str = "header row";

/// Reads a CSV asset file, with what it breaks of the CSV encoding.
pub(super) fn decode(bytes: &[u8]) -> Result<(AssetFile, Vec<Violation>), OutputError> {
    let mut reader = ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = reader.headers()?.clone();
    let columns = Columns::new(&header)?;
    let mut found = header_violations(&header);
    let mut file: Option<AssetFile> = None;
    for (index, record) in reader.records().enumerate() {
        let record = record?;
        if record.len() != header.len() {
            let mut v = Violation::new(
                "row",
                format!(
                    "data row {} has {} cells, the header row {}",
                    index + 1,
                    record.len(),
                    header.len()
                ),
            );
            v.asset = Some(index);
            found.push(v);
        }
        let cells = Cells {
            record: &record,
            columns: &columns,
        };
        let row_meta = AssetFile {
            nucleus_import_version: cells.text("nucleus_import_version"),
            scan_tool: cells.text("scan_tool"),
            scan_type: cells.text("scan_type"),
            assets: Vec::new(),
        };
        let file = file.get_or_insert(row_meta.clone());
        check_same_metadata(file, &row_meta, index)?;
        file.assets.push(cells.asset(index, &mut found));
    }
    Ok((file.unwrap_or_else(|| AssetFile::new(Vec::new())), found))
}

/// The header must be FORMAT.md's columns, each once, unpadded and in order.
fn header_violations(header: &StringRecord) -> Vec<Violation> {
    let mut found = Vec::new();
    let names: Vec<&str> = header.iter().collect();
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            found.push(Violation::new(
                HEADER,
                format!("column {name:?} appears twice"),
            ));
        } else if !COLUMNS.contains(name) {
            found.push(Violation::new(HEADER, format!("unknown column {name:?}")));
        }
    }
    for column in COLUMNS.iter().filter(|c| !names.contains(c)) {
        found.push(Violation::new(HEADER, format!("missing column {column:?}")));
    }
    if found.is_empty() && names != COLUMNS {
        found.push(Violation::new(
            HEADER,
            format!(
                "columns must be in the Container Image format's order: {}",
                COLUMNS.join(",")
            ),
        ));
    }
    found
}

/// Every row must carry the same metadata as the first (blank cells are let through).
fn check_same_metadata(file: &AssetFile, row: &AssetFile, index: usize) -> Result<(), OutputError> {
    let pairs = [
        (&file.nucleus_import_version, &row.nucleus_import_version),
        (&file.scan_tool, &row.scan_tool),
        (&file.scan_type, &row.scan_type),
    ];
    match pairs
        .iter()
        .find(|(a, b)| !b.is_empty() && a.trim() != b.trim())
    {
        None => Ok(()),
        Some((first, this)) => Err(OutputError::structure(
            Format::Csv,
            format!(
                "data row {}: metadata {this:?} differs from the first row's {first:?}",
                index + 1
            ),
        )),
    }
}

/// Header name to column index.
struct Columns(HashMap<String, usize>);

impl Columns {
    fn new(header: &StringRecord) -> Result<Self, OutputError> {
        let mut map = HashMap::new();
        for (i, name) in header.iter().enumerate() {
            let name = name.trim();
            if !COLUMNS.contains(&name) {
                tracing::warn!(column = name, "ignoring unknown CSV column");
            }
            map.entry(name.to_owned()).or_insert(i);
        }
        if !map.contains_key("image_repo") {
            return Err(OutputError::structure(
                Format::Csv,
                "the header row has no image_repo column",
            ));
        }
        Ok(Columns(map))
    }
}

/// One data row, read by column name.
struct Cells<'a> {
    record: &'a StringRecord,
    columns: &'a Columns,
}

impl Cells<'_> {
    /// The cell under `name`, empty when the column or cell is missing.
    fn text(&self, name: &str) -> String {
        let cell = self.columns.0.get(name).and_then(|&i| self.record.get(i));
        cell.unwrap_or_default().to_owned()
    }

    fn opt(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|s| !s.is_empty())
    }

    /// The items of a list cell; empty items are left out and reported.
    fn list(&self, name: &'static str, index: usize, found: &mut Vec<Violation>) -> Vec<String> {
        let cell = self.text(name);
        if cell.is_empty() {
            return Vec::new();
        }
        let items: Vec<String> = cell.split(LIST_SEPARATOR).map(str::to_owned).collect();
        if items.iter().any(String::is_empty) {
            let mut v = Violation::new(name, format!("empty list item in {cell:?}"));
            v.asset = Some(index);
            found.push(v);
        }
        items.into_iter().filter(|i| !i.is_empty()).collect()
    }

    fn asset(&self, index: usize, found: &mut Vec<Violation>) -> Asset {
        let mut list = |name| self.list(name, index, found);
        Asset {
            image_repo: self.text("image_repo"),
            image_manifest_digest: self.opt("image_manifest_digest"),
            image_config_digest: self.opt("image_config_digest"),
            image_tags: list("image_tags"),
            image_registry: self.opt("image_registry"),
            image_secondary_registries: list("image_secondary_registries"),
            image_distro: self.opt("image_distro"),
            image_platform_os: self.opt("image_platform_os"),
            image_platform_arch: self.opt("image_platform_arch"),
            image_platform_os_version: self.opt("image_platform_os_version"),
            image_platform_os_features: list("image_platform_os_features"),
            image_platform_arch_variant: self.opt("image_platform_arch_variant"),
            image_platform_arch_features: list("image_platform_arch_features"),
            image_manifest: self.opt("image_manifest"),
            image_config: self.opt("image_config"),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::output::proptest_support::{asset_file, tricky_text};

    use super::*;
    use crate::output::sample::tricky_file;
    use crate::output::tidy::tidy;

    #[test]
    fn columns_follow_format_md() {
        assert_eq!(COLUMNS[3..], crate::asset::ASSET_FIELDS);
        assert_eq!(COLUMNS[..3], METADATA_COLUMNS);
    }

    #[test]
    fn header_and_quoting_follow_rfc_4180() {
        let mut out = Vec::new();
        encode(&tricky_file(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let header = text.split("\r\n").next().unwrap();
        assert_eq!(header, COLUMNS.join(","));
        // FORMAT.md's column list, written out here so the test does not check the
        // constant against itself.
        let spec = "nucleus_import_version,scan_tool,scan_type,image_repo,\
            image_manifest_digest,image_config_digest,image_tags,image_registry,\
            image_secondary_registries,image_distro,image_platform_os,image_platform_arch,\
            image_platform_os_version,image_platform_os_features,image_platform_arch_variant,\
            image_platform_arch_features,image_manifest,image_config";
        assert_eq!(header, spec);
        let row = &text[header.len() + 2..];
        assert!(
            row.starts_with("1,Asset,Container Image,team/api,sha256:"),
            "{row}"
        );
        assert!(row.contains(",1.4.2;stable,ghcr.io,127.0.0.1:5000;public.ecr.aws,"));
        assert!(row.contains("\"  Distro, \"\"quoted\"\"; with\r\nlines & <stuff>\t\""));
        assert!(
            row.contains(",win32k;\"a,b\"") || row.contains(",\"win32k;a,b\","),
            "{row}"
        );
    }

    #[test]
    fn reads_columns_in_any_order_with_blanks() {
        let text = "image_tags, image_repo ,scan_type,nucleus_import_version,scan_tool\n\
                    a;b,centos,Container Image,1,Asset\n\
                    ,ubuntu\n";
        let file = tidy(decode(text.as_bytes()).unwrap().0);
        assert_eq!(file.scan_tool, "Asset");
        assert_eq!(file.assets.len(), 2);
        assert_eq!(file.assets[0].image_tags, ["a", "b"]);
        assert_eq!(file.assets[1].image_repo, "ubuntu");
        assert!(file.assets[1].image_tags.is_empty());
        assert_eq!(file.assets[1].image_distro, None);
    }

    #[test]
    fn refuses_what_it_cannot_carry() {
        assert!(decode(b"repo,tags\nx,y\n").is_err());
        let mixed = "image_repo,scan_tool\na,Asset\nb,Other\n";
        let err = decode(mixed.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("row 2"), "{err}");
        let mut file = tricky_file();
        file.assets[1].image_platform_os_features = vec!["x;y".into()];
        let err = crate::output::encode(&file, Format::Csv, Vec::new()).unwrap_err();
        assert!(
            matches!(
                err,
                OutputError::Unrepresentable {
                    asset: Some(1),
                    field: "image_platform_os_features",
                    ..
                }
            ),
            "{err}"
        );
    }

    proptest! {
        #[test]
        fn round_trips_any_text(file in asset_file(tricky_text(any::<String>()))) {
            let mut out = Vec::new();
            encode(&file, &mut out).unwrap();
            prop_assert_eq!(tidy(decode(&out).unwrap().0), file);
        }
    }
}
