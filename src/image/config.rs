//! A lenient view of an image config blob (OCI image config or Docker image JSON).
//!
//! Only what platform and distro derivation need is read: the platform fields, labels,
//! environment and the `created_by` lines of the history. The blob must be a UTF-8 JSON
//! object; inside it, a field of an unexpected type is ignored (and logged), because a
//! config that runs is worth recording even when a tool wrote it carelessly.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use tracing::debug;

use super::media_type;
use super::wire::json_kind;

/// The parts of an image config nuccrawl reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    /// `os`.
    pub os: Option<String>,
    /// `architecture`.
    pub architecture: Option<String>,
    /// `variant`.
    pub variant: Option<String>,
    /// `os.version` (Windows build).
    pub os_version: Option<String>,
    /// `os.features`.
    pub os_features: Vec<String>,
    /// `config.Labels`.
    pub labels: BTreeMap<String, String>,
    /// `config.Env`, as `NAME=value` lines.
    pub env: Vec<String>,
    /// `history[].created_by`, oldest first; entries without one are left out.
    pub history: Vec<String>,
}

/// Why a config blob cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The blob is not UTF-8 text.
    #[error("image config is not valid UTF-8 (bad byte at offset {0})")]
    NotUtf8(usize),
    /// The blob is not JSON.
    #[error("image config is not valid JSON")]
    Json(#[source] serde_json::Error),
    /// The blob is JSON but not an object.
    #[error("image config is a JSON {0}, not an object")]
    NotObject(&'static str),
}

/// True when `mt` is the OCI or Docker image config media type (parameters ignored).
pub fn is_image_config_media_type(mt: &str) -> bool {
    media_type::is_image_config(mt)
}

/// Read a config blob from its exact bytes.
pub fn parse(bytes: &[u8]) -> Result<ImageConfig, ConfigError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ConfigError::NotUtf8(e.valid_up_to()))?;
    let value: Value = serde_json::from_str(text).map_err(ConfigError::Json)?;
    let Value::Object(root) = value else {
        return Err(ConfigError::NotObject(json_kind(&value)));
    };
    let inner = root.get("config").and_then(Value::as_object);
    Ok(ImageConfig {
        os: string(&root, "os"),
        architecture: string(&root, "architecture"),
        variant: string(&root, "variant"),
        os_version: string(&root, "os.version"),
        os_features: strings(&root, "os.features"),
        labels: inner.map(labels).unwrap_or_default(),
        env: inner.map(|c| strings(c, "Env")).unwrap_or_default(),
        history: history(&root),
    })
}

/// A string field; anything else is ignored.
fn string(object: &Map<String, Value>, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => {
            debug!(
                key,
                kind = json_kind(other),
                "config field is not a string; ignored"
            );
            None
        }
    }
}

/// A list of strings; non-string items and non-list values are ignored.
fn strings(object: &Map<String, Value>, key: &str) -> Vec<String> {
    let Some(Value::Array(items)) = object.get(key) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| item.as_str().map(str::to_owned))
        .collect()
}

/// `Labels` of the inner `config` object, keeping string values only.
fn labels(config: &Map<String, Value>) -> BTreeMap<String, String> {
    let Some(Value::Object(labels)) = config.get("Labels") else {
        return BTreeMap::new();
    };
    labels
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect()
}

/// The `created_by` line of every history entry that has one.
fn history(root: &Map<String, Value>) -> Vec<String> {
    let Some(Value::Array(entries)) = root.get("history") else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|e| e.get("created_by")?.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::image::test_images::Archive;

    #[test]
    fn reads_platform_labels_env_history() {
        let body = br#"{"os":"windows","architecture":"amd64","variant":null,
            "os.version":"10.0.17763.5458","os.features":["win32k",3],
            "config":{"Labels":{"a":"b","n":1},"Env":["PATH=/bin"]},
            "history":[{"created_by":"ADD x /"},{"empty_layer":true},{"created_by":"CMD"}]}"#;
        let config = parse(body).expect("parses");
        assert_eq!(config.os.as_deref(), Some("windows"));
        assert_eq!(config.variant, None);
        assert_eq!(config.os_version.as_deref(), Some("10.0.17763.5458"));
        assert_eq!(config.os_features, ["win32k"]);
        assert_eq!(config.labels.len(), 1);
        assert_eq!(config.labels["a"], "b");
        assert_eq!(config.env, ["PATH=/bin"]);
        assert_eq!(config.history, ["ADD x /", "CMD"]);
    }

    #[test]
    fn tolerates_missing_and_mistyped_fields() {
        let config =
            parse(br#"{"architecture":5,"config":{"Labels":null,"Env":"x"}}"#).expect("parses");
        assert_eq!(config, ImageConfig::default());
        assert_eq!(parse(b"{}").expect("parses"), ImageConfig::default());
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(matches!(
            parse(b"{\"a\":\"\xff\"}"),
            Err(ConfigError::NotUtf8(6))
        ));
        assert!(matches!(parse(b"{\"a\":"), Err(ConfigError::Json(_))));
        assert!(matches!(
            parse(b"\"text\""),
            Err(ConfigError::NotObject("string"))
        ));
        let message = parse(b"[]").expect_err("array").to_string();
        assert_eq!(message, "image config is a JSON array, not an object");
    }

    #[test]
    fn image_config_media_types() {
        assert!(is_image_config_media_type(media_type::OCI_CONFIG));
        assert!(is_image_config_media_type(
            "application/vnd.docker.container.image.v1+json; charset=utf-8"
        ));
        assert!(!is_image_config_media_type(media_type::HELM_CONFIG));
        assert!(!is_image_config_media_type(media_type::OCI_EMPTY));
    }

    #[test]
    fn real_centos6_config() {
        let archive = Archive::open("centos/centos6-trimmed.docker-archive.tar");
        let config = parse(&archive.images()[0].config).expect("parses");
        assert_eq!(config.os.as_deref(), Some("linux"));
        assert_eq!(config.architecture.as_deref(), Some("amd64"));
        assert_eq!(config.labels["org.label-schema.name"], "CentOS Base Image");
        assert_eq!(config.history.len(), 4);
        assert!(config.history[1].contains("ADD file:"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn fields_round_trip(
            os in "\\PC{0,12}",
            architecture in "[a-z0-9]{1,8}",
            variant in proptest::option::of("v[0-9]"),
            labels in proptest::collection::btree_map("\\PC{1,10}", "\\PC{0,10}", 0..4),
            env in proptest::collection::vec("[A-Z]{1,5}=\\PC{0,10}", 0..4),
            history in proptest::collection::vec("\\PC{0,20}", 0..4),
        ) {
            let body = serde_json::json!({"os": os, "architecture": architecture,
                "variant": variant, "config": {"Labels": labels, "Env": env},
                "history": history.iter().map(|h| serde_json::json!({"created_by": h}))
                    .collect::<Vec<_>>()});
            let config = parse(&serde_json::to_vec(&body).unwrap()).unwrap();
            prop_assert_eq!(config, ImageConfig {
                os: Some(os), architecture: Some(architecture), variant, labels, env, history,
                ..ImageConfig::default()
            });
        }

        #[test]
        fn non_utf8_is_refused_at_its_offset(prefix in "[a-z ]{0,20}", bad in 0x80u8..=0xff) {
            let mut bytes = format!("{{\"os\":\"{prefix}").into_bytes();
            let offset = bytes.len();
            bytes.push(bad);
            bytes.extend_from_slice(b"\"}");
            let refused = matches!(parse(&bytes), Err(ConfigError::NotUtf8(at)) if at == offset);
            prop_assert!(refused);
        }

        #[test]
        fn parse_never_panics_on_json_like_text(text in r#"\{("[a-zA-Z.]{0,12}":( ?[\[\]{}0-9",:a-zA-Z]{0,24}),?){0,6}\}"#) {
            let _ = parse(text.as_bytes());
        }
    }
}
