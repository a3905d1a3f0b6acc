//! Proptest strategies for asset files that every encoding must carry unchanged.
//!
//! Names and list items are tokens without whitespace or `;` (the decoders trim names and
//! CSV splits lists on `;`); free text, manifest and config come from the caller's
//! strategy, so each format can test the widest text it promises to carry.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use crate::asset::{Asset, AssetFile};

/// A name-like value: no whitespace, no `;`, never empty.
fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,15}"
}

/// Text made mostly of the characters the encodings must protect, mixed with `other`
/// (random strings alone rarely hold a CR or a `]]>`).
pub(crate) fn tricky_text<S>(other: S) -> impl Strategy<Value = String> + Clone
where
    S: Strategy<Value = String> + Clone,
{
    prop_oneof![
        "[ \t\r\n<>&;,\"'\\\\\\]=+@a-z\u{e9}\u{1F433}{}-]{0,24}",
        other,
    ]
}

/// An optional token.
fn opt_token() -> impl Strategy<Value = Option<String>> {
    option::of(token())
}

/// A short list of tokens.
fn tokens() -> impl Strategy<Value = Vec<String>> {
    vec(token(), 0..3)
}

/// An optional, non-empty free text drawn from `text`.
fn opt_text<S>(text: S) -> impl Strategy<Value = Option<String>>
where
    S: Strategy<Value = String>,
{
    option::of(text.prop_filter("blank text reads back as absent", |s| !s.is_empty()))
}

/// One asset with free text from `text`.
fn asset<S>(text: S) -> impl Strategy<Value = Asset>
where
    S: Strategy<Value = String> + Clone,
{
    let names = (
        token(),
        opt_token(),
        opt_token(),
        opt_token(),
        opt_token(),
        opt_token(),
    );
    let more_names = (opt_token(), tokens(), tokens(), tokens(), tokens());
    let free = (
        opt_text(text.clone()),
        opt_text(text.clone()),
        opt_text(text.clone()),
        opt_text(text),
    );
    (names, more_names, free).prop_map(|(n, m, f)| Asset {
        image_repo: n.0,
        image_manifest_digest: n.1,
        image_config_digest: n.2,
        image_registry: n.3,
        image_platform_os: n.4,
        image_platform_arch: n.5,
        image_platform_arch_variant: m.0,
        image_tags: m.1,
        image_secondary_registries: m.2,
        image_platform_os_features: m.3,
        image_platform_arch_features: m.4,
        image_distro: f.0,
        image_platform_os_version: f.1,
        image_manifest: f.2,
        image_config: f.3,
    })
}

/// A file of up to three assets with free text from `text`.
pub(crate) fn asset_file<S>(text: S) -> impl Strategy<Value = AssetFile>
where
    S: Strategy<Value = String> + Clone,
{
    vec(asset(text), 0..4).prop_map(AssetFile::new)
}
