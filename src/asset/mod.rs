//! The Nucleus asset model and the rules every asset must satisfy before it is written.

mod model;
mod rules;
pub mod validate;

pub use model::{Asset, AssetFile, FieldValue, ASSET_FIELDS, IMPORT_VERSION, SCAN_TOOL, SCAN_TYPE};
pub use validate::{validate_asset, validate_file, Violation};
