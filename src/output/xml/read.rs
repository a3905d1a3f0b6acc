//! Reading the XML encoding, by hand-made files as well: element order, indentation,
//! comments, CDATA sections and empty elements are all accepted. Text outside the root
//! element, a second root element and a missing `<assets>` are errors.
//!
//! The document is first read into a small element tree whose text has references
//! resolved, then mapped onto the asset model.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{illegal_char, ASSET, ASSETS, LISTS, ROOT};
use crate::asset::{Asset, AssetFile, Violation};
use crate::output::{Format, OutputError};

/// An element with its resolved text and child elements.
#[derive(Debug, Default)]
struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
}

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

/// The document element as a tree.
fn parse_tree(text: &str) -> Result<Element, OutputError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    let mut open: Vec<Element> = Vec::new();
    // Index of the current (or last) `<asset>`, for messages.
    let mut asset: Option<usize> = None;
    loop {
        match reader.read_event()? {
            Event::Start(e) => {
                let name = local_name(&e);
                if open.len() == 2 && open[1].name == ASSETS && name == ASSET {
                    asset = Some(asset.map_or(0, |i| i + 1));
                }
                open.push(Element {
                    name,
                    ..Element::default()
                })
            }
            Event::End(_) => {
                let done = open.pop().expect("the reader checks end tags");
                match open.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return after_root(&mut reader).map(|()| done),
                }
            }
            Event::Text(t) => push_text(&mut open, asset, &t.xml10_content())?,
            Event::CData(t) => push_text(&mut open, asset, &t.xml10_content())?,
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref()? {
                    Some(c) => c.to_string(),
                    None => resolve_predefined_entity(&r)
                        .ok_or_else(|| {
                            OutputError::structure(Format::Xml, format!("unknown entity &{};", &*r))
                        })?
                        .to_owned(),
                };
                push_text(&mut open, asset, &resolved)?;
            }
            Event::Eof => {
                return Err(OutputError::structure(
                    Format::Xml,
                    "the document ends early",
                ));
            }
            Event::Empty(_) | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::DocType(_) => {}
        }
    }
}

/// The element name without a namespace prefix.
fn local_name(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_owned()
}

/// After the root element only whitespace, comments and processing instructions may
/// follow.
fn after_root(reader: &mut Reader<&[u8]>) -> Result<(), OutputError> {
    loop {
        let refuse = |what: &str| {
            Err(OutputError::structure(
                Format::Xml,
                format!("{what} after the root element <{ROOT}>"),
            ))
        };
        match reader.read_event()? {
            Event::Eof => return Ok(()),
            Event::Comment(_) | Event::PI(_) => {}
            Event::Text(t) if t.xml10_content().trim().is_empty() => {}
            Event::Start(e) | Event::Empty(e) => {
                return refuse(&format!("a second root element <{}>", local_name(&e)))
            }
            _ => return refuse("text"),
        }
    }
}

/// Appends text to the innermost open element; outside the root only whitespace may
/// appear. `asset` is the index of the `<asset>` being read, if any, for messages.
fn push_text(open: &mut [Element], asset: Option<usize>, text: &str) -> Result<(), OutputError> {
    let depth = open.len();
    let Some(element) = open.last_mut() else {
        if text.trim().is_empty() {
            return Ok(());
        }
        return Err(OutputError::structure(
            Format::Xml,
            format!("text {:?} before the root element <{ROOT}>", text.trim()),
        ));
    };
    if let Some(reason) = illegal_char(text) {
        let place = match asset {
            Some(i) if depth > 3 => format!("asset {i}, <{}>", element.name),
            _ => format!("<{}>", element.name),
        };
        return Err(OutputError::structure(
            Format::Xml,
            format!("{place}: {reason}"),
        ));
    }
    element.text.push_str(text);
    Ok(())
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
