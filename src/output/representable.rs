//! Whether one asset can be carried by a format without changing any of its bytes. The
//! encoders refuse a file holding such an asset, and the crawl's last gate
//! (`crawl::check`) asks the same question first, so one bad value costs one field or one
//! image instead of the whole run.

use std::fmt;

use super::{xml, Format};
use crate::asset::{Asset, FieldValue};

/// Separator between the items of a CSV list cell.
pub(super) const LIST_SEPARATOR: char = ';';

/// A value of an asset that `format` cannot carry exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrepresentable {
    /// The `FORMAT.md` field holding the value.
    pub field: &'static str,
    /// What is in the way.
    pub reason: String,
}

impl fmt::Display for Unrepresentable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// The first field of `asset` (in FORMAT.md order) that `format` cannot carry exactly.
pub fn representable(asset: &Asset, format: Format) -> Result<(), Unrepresentable> {
    for (field, value) in asset.fields() {
        let reason = match (format, value) {
            (Format::Json, _) => None,
            (Format::Xml, FieldValue::One(text)) => text.and_then(xml::illegal_char),
            (Format::Xml, FieldValue::Many(items)) => {
                items.iter().find_map(|i| xml::illegal_char(i))
            }
            (Format::Csv, FieldValue::One(_)) => None,
            (Format::Csv, FieldValue::Many(items)) => csv_list_problem(items),
        };
        if let Some(reason) = reason {
            return Err(Unrepresentable { field, reason });
        }
    }
    Ok(())
}

/// Why a list cannot be joined into one CSV cell and split back into the same items.
fn csv_list_problem(items: &[String]) -> Option<String> {
    if let Some(item) = items.iter().find(|i| i.contains(LIST_SEPARATOR)) {
        return Some(format!(
            "list item {item:?} contains the list separator `{LIST_SEPARATOR}`"
        ));
    }
    items
        .iter()
        .any(String::is_empty)
        .then(|| "an empty list item cannot be told apart from no item".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::sample::tricky_file;

    #[test]
    fn names_the_first_field_a_format_cannot_carry() {
        let mut a = tricky_file().assets.remove(0);
        for format in Format::ALL {
            assert_eq!(representable(&a, format), Ok(()), "{format}");
        }
        a.image_platform_os_features = vec!["x;y".into()];
        a.image_config = Some("\u{FFFF}".into());
        assert_eq!(representable(&a, Format::Json), Ok(()));
        let csv = representable(&a, Format::Csv).unwrap_err();
        assert_eq!(csv.field, "image_platform_os_features");
        let xml = representable(&a, Format::Xml).unwrap_err();
        assert_eq!(xml.field, "image_config");
        assert!(xml.reason.contains("U+FFFF"), "{xml}");
        a.image_platform_os_features = vec!["a".into(), String::new()];
        let empty = representable(&a, Format::Csv).unwrap_err();
        assert!(empty.reason.contains("empty"), "{empty}");
    }
}
