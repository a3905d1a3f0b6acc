//! XML text into a small element tree: the well-formedness checks, with line and column
//! for a document that is not well-formed, and the refusal of what the Container Image
//! format never uses (attributes, namespace declarations and prefixes), naming the asset
//! and element. Text is kept with character and entity references resolved.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{illegal_char, ASSET, ASSETS, ROOT};
use crate::output::{Format, OutputError};

/// An element with its resolved text and child elements.
#[derive(Debug, Default)]
pub(super) struct Element {
    /// The element's name.
    pub name: String,
    /// Its text, references resolved.
    pub text: String,
    /// Its child elements, in document order.
    pub children: Vec<Element>,
}

/// Depth of an `<asset>` element: root, `<assets>`, `<asset>`.
const ASSET_DEPTH: usize = 3;

/// The document element of `text` as a tree.
pub(super) fn parse_tree(text: &str) -> Result<Element, OutputError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    let mut tree = Builder::default();
    loop {
        let event = reader.read_event().map_err(|e| syntax(text, &reader, e))?;
        match event {
            Event::Start(e) => tree.open(&e)?,
            Event::End(_) => {
                if let Some(root) = tree.close() {
                    return after_root(text, &mut reader).map(|()| root);
                }
            }
            Event::Text(t) => tree.push_text(&t.xml10_content())?,
            Event::CData(t) => tree.push_text(&t.xml10_content())?,
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| syntax(text, &reader, e))? {
                    Some(c) => c.to_string(),
                    None => resolve_predefined_entity(&r)
                        .ok_or_else(|| structure(format!("unknown entity &{};", &*r)))?
                        .to_owned(),
                };
                tree.push_text(&resolved)?;
            }
            Event::Eof => return Err(structure("the document ends early")),
            Event::Empty(_) | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::DocType(_) => {}
        }
    }
}

/// The open elements and where they are, for messages.
#[derive(Debug, Default)]
struct Builder {
    /// Elements opened and not yet closed, the root first.
    open: Vec<Element>,
    /// `<asset>` elements opened so far.
    assets_seen: usize,
    /// Index of the `<asset>` being read, if inside one.
    asset: Option<usize>,
}

impl Builder {
    /// Opens an element after checking it carries nothing the format does not have.
    fn open(&mut self, e: &BytesStart<'_>) -> Result<(), OutputError> {
        let depth = self.open.len() + 1;
        let is_asset = depth == ASSET_DEPTH && self.open[1].name == ASSETS;
        let name = e.name().as_ref().to_owned();
        if is_asset && e.local_name().as_ref() == ASSET {
            self.asset = Some(self.assets_seen);
            self.assets_seen += 1;
        }
        if let Some(reason) = foreign_markup(e) {
            return Err(structure(format!("{}: {reason}", self.place(&name))));
        }
        self.open.push(Element {
            name,
            ..Element::default()
        });
        Ok(())
    }

    /// Closes the innermost element; the root, once closed, is returned.
    fn close(&mut self) -> Option<Element> {
        let done = self.open.pop().expect("the reader checks end tags");
        if self.open.len() < ASSET_DEPTH {
            self.asset = None;
        }
        match self.open.last_mut() {
            Some(parent) => {
                parent.children.push(done);
                None
            }
            None => Some(done),
        }
    }

    /// Appends text to the innermost open element; outside the root only whitespace may
    /// appear.
    fn push_text(&mut self, text: &str) -> Result<(), OutputError> {
        let Some(name) = self.open.last().map(|e| e.name.clone()) else {
            if text.trim().is_empty() {
                return Ok(());
            }
            let text = text.trim();
            return Err(structure(format!(
                "text {text:?} before the root element <{ROOT}>"
            )));
        };
        if let Some(reason) = illegal_char(text) {
            return Err(structure(format!("{}: {reason}", self.place(&name))));
        }
        let element = self.open.last_mut().expect("checked above");
        element.text.push_str(text);
        Ok(())
    }

    /// `asset 3, <image_repo>` inside an asset, `<assets>` outside one.
    fn place(&self, element: &str) -> String {
        match self.asset {
            Some(i) => format!("asset {i}, <{element}>"),
            None => format!("<{element}>"),
        }
    }
}

/// Why an element's start tag is not one the format writes: a namespace prefix, a
/// namespace declaration or another attribute.
fn foreign_markup(e: &BytesStart<'_>) -> Option<String> {
    if let Some(prefix) = e.name().prefix() {
        let prefix: &str = prefix.as_ref();
        return Some(format!(
            "namespace prefix `{prefix}:`; Container Image elements have no namespace"
        ));
    }
    let raw = e.attributes_raw().trim();
    if raw.is_empty() {
        return None;
    }
    let key = match e.attributes().next() {
        Some(Ok(attribute)) => attribute.key.as_ref().to_owned(),
        _ => raw.to_owned(),
    };
    let what = if key == "xmlns" || key.starts_with("xmlns:") {
        "namespace declaration"
    } else {
        "attribute"
    };
    Some(format!(
        "{what} `{key}`; Container Image elements have no attributes"
    ))
}

/// After the root element only whitespace, comments and processing instructions may
/// follow.
fn after_root(text: &str, reader: &mut Reader<&[u8]>) -> Result<(), OutputError> {
    let refuse = |what: &str| Err(structure(format!("{what} after the root element <{ROOT}>")));
    loop {
        match reader.read_event().map_err(|e| syntax(text, reader, e))? {
            Event::Eof => return Ok(()),
            Event::Comment(_) | Event::PI(_) => {}
            Event::Text(t) if t.xml10_content().trim().is_empty() => {}
            Event::Start(e) | Event::Empty(e) => {
                let name = e.local_name().as_ref().to_owned();
                return refuse(&format!("a second root element <{name}>"));
            }
            _ => return refuse("text"),
        }
    }
}

/// A structure error of the XML encoding.
fn structure(reason: impl Into<String>) -> OutputError {
    OutputError::structure(Format::Xml, reason)
}

/// The reader's error at the line and column where it found it. The message is taken
/// whole from quick-xml's outer error, whose text already holds the inner one, so the
/// cause is not kept as a source (it would print twice).
fn syntax(text: &str, reader: &Reader<&[u8]>, error: quick_xml::Error) -> OutputError {
    let offset = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
    let (line, column) = line_and_column(text, offset);
    OutputError::XmlSyntax {
        line,
        column,
        reason: error.to_string(),
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`; an offset past
/// the end or inside a character counts from the character it falls in.
pub(super) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    (line, before[line_start..].chars().count() + 1)
}
