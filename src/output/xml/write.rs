//! Writing the XML encoding.

use std::io::Write;

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use super::{illegal_char, ASSET, ASSETS, LISTS, ROOT};
use crate::asset::{Asset, AssetFile, FieldValue};
use crate::output::{Format, OutputError};

/// Spaces per nesting level; the files are read by people as well as Nucleus.
const INDENT: usize = 2;

/// The metadata fields.
fn metadata(file: &AssetFile) -> [(&'static str, &str); 3] {
    [
        ("nucleus_import_version", &file.nucleus_import_version),
        ("scan_tool", &file.scan_tool),
        ("scan_type", &file.scan_type),
    ]
}

/// Writes `file` as an indented XML document, after checking that XML can hold it.
pub(in crate::output) fn encode<W: Write>(file: &AssetFile, w: W) -> Result<(), OutputError> {
    check_embeddable(file)?;
    let mut xml = Writer::new_with_indent(w, b' ', INDENT);
    xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    xml.write_event(Event::Start(BytesStart::new(ROOT)))?;
    for (name, value) in metadata(file) {
        leaf(&mut xml, name, value)?;
    }
    xml.write_event(Event::Start(BytesStart::new(ASSETS)))?;
    for asset in &file.assets {
        write_asset(&mut xml, asset)?;
    }
    xml.write_event(Event::End(BytesEnd::new(ASSETS)))?;
    xml.write_event(Event::End(BytesEnd::new(ROOT)))?;
    let mut w = xml.into_inner();
    w.write_all(b"\n")?;
    w.flush()?;
    Ok(())
}

/// The metadata must consist of characters XML 1.0 allows (the assets are checked by
/// `output::encode` through `output::representable`).
fn check_embeddable(file: &AssetFile) -> Result<(), OutputError> {
    for (field, value) in metadata(file) {
        if let Some(reason) = illegal_char(value) {
            return Err(OutputError::Unrepresentable {
                format: Format::Xml,
                asset: None,
                image: None,
                field,
                reason,
            });
        }
    }
    Ok(())
}

fn write_asset<W: Write>(xml: &mut Writer<W>, asset: &Asset) -> Result<(), OutputError> {
    xml.write_event(Event::Start(BytesStart::new(ASSET)))?;
    for (name, value) in asset.fields() {
        match value {
            FieldValue::One(Some(text)) if !text.is_empty() => leaf(xml, name, text)?,
            FieldValue::Many(items) if !items.is_empty() => list(xml, name, items)?,
            _ => {}
        }
    }
    xml.write_event(Event::End(BytesEnd::new(ASSET)))?;
    Ok(())
}

/// A list element holding one item element per entry.
fn list<W: Write>(xml: &mut Writer<W>, name: &str, items: &[String]) -> Result<(), OutputError> {
    let item_name = LISTS
        .iter()
        .find(|(list, _)| *list == name)
        .map_or("item", |(_, item)| item);
    xml.write_event(Event::Start(BytesStart::new(name)))?;
    for item in items {
        leaf(xml, item_name, item)?;
    }
    xml.write_event(Event::End(BytesEnd::new(name)))?;
    Ok(())
}

/// `<name>text</name>` with the text escaped for an exact read-back.
fn leaf<W: Write>(xml: &mut Writer<W>, name: &str, text: &str) -> Result<(), OutputError> {
    xml.create_element(name)
        .write_text_content(BytesText::from_escaped(escape(text)))?;
    Ok(())
}

/// Escapes the markup characters, and CR so that it is not read back as LF.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}
