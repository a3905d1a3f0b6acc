//! Reading the XML encoding, by hand-made files as well: element order, indentation,
//! comments, CDATA sections and empty elements are all accepted. Text outside the root
//! element, a second root element and a missing `<assets>` are errors.
//!
//! The document is first read into a small element tree (`tree.rs`) whose text has
//! references resolved, then mapped onto the asset model here.

use super::tree::{parse_tree, Element};
use super::{ASSET, ASSETS, LISTS, ROOT};
use crate::asset::{Asset, AssetFile, Violation};
use crate::output::{Format, OutputError};

/// Reads an XML asset file (every problem of the XML encoding is an error, so the list of
/// violations is always empty).
pub(in crate::output) fn decode(bytes: &[u8]) -> Result<(AssetFile, Vec<Violation>), OutputError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| OutputError::structure(Format::Xml, format!("not UTF-8: {e}")))?;
    let root = parse_tree(text)?;
    if root.name != ROOT {
        return Err(OutputError::structure(
            Format::Xml,
            format!("the root element is <{}>, expected <{ROOT}>", root.name),
        ));
    }
    Ok((to_file(root)?, Vec::new()))
}

fn to_file(root: Element) -> Result<AssetFile, OutputError> {
    let mut file = AssetFile::new(Vec::new());
    let mut seen = [false; 3];
    let mut has_assets = false;
    for child in root.children {
        match child.name.as_str() {
            "nucleus_import_version" => (file.nucleus_import_version, seen[0]) = (child.text, true),
            "scan_tool" => (file.scan_tool, seen[1]) = (child.text, true),
            "scan_type" => (file.scan_type, seen[2]) = (child.text, true),
            ASSETS => (file.assets, has_assets) = (to_assets(child)?, true),
            other => {
                return Err(OutputError::structure(
                    Format::Xml,
                    format!("<{ROOT}> holds <{other}>, not a Container Image element"),
                ))
            }
        }
    }
    let names = ["nucleus_import_version", "scan_tool", "scan_type"];
    if let Some(missing) = names.iter().zip(seen).find(|(_, seen)| !seen) {
        return Err(OutputError::structure(
            Format::Xml,
            format!("no <{}>", missing.0),
        ));
    }
    if !has_assets {
        return Err(OutputError::structure(
            Format::Xml,
            format!("no <{ASSETS}>"),
        ));
    }
    Ok(file)
}

fn to_assets(assets: Element) -> Result<Vec<Asset>, OutputError> {
    assets
        .children
        .into_iter()
        .enumerate()
        .map(|(index, child)| match child.name.as_str() {
            ASSET => to_asset(index, child),
            other => Err(OutputError::structure(
                Format::Xml,
                format!("<{ASSETS}> holds <{other}>, expected <{ASSET}>"),
            )),
        })
        .collect()
}

fn to_asset(index: usize, element: Element) -> Result<Asset, OutputError> {
    let mut a = Asset::default();
    let mut seen = std::collections::BTreeSet::new();
    let refuse =
        |reason: String| OutputError::structure(Format::Xml, format!("asset {index}: {reason}"));
    for field in element.children {
        if !seen.insert(field.name.clone()) {
            return Err(refuse(format!("<{}> is given twice", field.name)));
        }
        let is_list = LISTS.iter().any(|(name, _)| *name == field.name);
        if is_list && !field.text.trim().is_empty() {
            return Err(refuse(format!(
                "<{}> holds text outside its items",
                field.name
            )));
        }
        let text = || Some(field.text.clone());
        match field.name.as_str() {
            "image_repo" => a.image_repo = field.text,
            "image_manifest_digest" => a.image_manifest_digest = text(),
            "image_config_digest" => a.image_config_digest = text(),
            "image_registry" => a.image_registry = text(),
            "image_distro" => a.image_distro = text(),
            "image_platform_os" => a.image_platform_os = text(),
            "image_platform_arch" => a.image_platform_arch = text(),
            "image_platform_os_version" => a.image_platform_os_version = text(),
            "image_platform_arch_variant" => a.image_platform_arch_variant = text(),
            "image_manifest" => a.image_manifest = text(),
            "image_config" => a.image_config = text(),
            "image_tags" => a.image_tags = items(field)?,
            "image_secondary_registries" => a.image_secondary_registries = items(field)?,
            "image_platform_os_features" => a.image_platform_os_features = items(field)?,
            "image_platform_arch_features" => a.image_platform_arch_features = items(field)?,
            other => return Err(refuse(format!("<{other}> is not a Container Image field"))),
        }
    }
    Ok(a)
}

/// The items of a list element, which must all carry the item name FORMAT.md gives.
fn items(list: Element) -> Result<Vec<String>, OutputError> {
    let item_name = LISTS
        .iter()
        .find(|(name, _)| *name == list.name)
        .map(|(_, item)| *item)
        .expect("only list fields reach here");
    list.children
        .into_iter()
        .map(|item| {
            if item.name == item_name {
                Ok(item.text)
            } else {
                Err(OutputError::structure(
                    Format::Xml,
                    format!(
                        "<{}> holds <{}>, expected <{item_name}>",
                        list.name, item.name
                    ),
                ))
            }
        })
        .collect()
}
