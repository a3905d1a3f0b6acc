//! The XML encoding: root `nucleusCustomScan` with the three metadata elements and
//! `assets`, one `asset` element per asset with one child element per non-empty field,
//! and list items as `image_tags/image_tag`, `image_secondary_registries/image_registry`
//! and `image_platform_{os,arch}_features/feature`.
//!
//! Text is escaped so that any XML parser gives back the exact bytes: `&`, `<`, `>` as
//! entities and CR as `&#13;` (a literal CR would be read back as LF). XML 1.0 cannot
//! hold other control characters or U+FFFE/U+FFFF at all, so such a value is an error.

mod read;
mod tree;
mod write;

pub(super) use read::decode;
pub(super) use write::encode;

/// The document element.
const ROOT: &str = "nucleusCustomScan";
/// The element holding the assets.
const ASSETS: &str = "assets";
/// One asset.
const ASSET: &str = "asset";

/// List fields and the element name of their items.
const LISTS: [(&str, &str); 4] = [
    ("image_tags", "image_tag"),
    ("image_secondary_registries", "image_registry"),
    ("image_platform_os_features", "feature"),
    ("image_platform_arch_features", "feature"),
];

/// Whether XML 1.0 allows `c` in a document (its `Char` production).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// The first character of `text` that XML 1.0 cannot hold, described for a message.
pub(super) fn illegal_char(text: &str) -> Option<String> {
    text.chars()
        .find(|&c| !is_xml_char(c))
        .map(|c| format!("character U+{:04X} is not allowed in XML 1.0", u32::from(c)))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::output::proptest_support::{asset_file, tricky_text};

    use super::*;
    use crate::output::sample::tricky_file;
    use crate::output::tidy::tidy;
    use crate::output::{Format, OutputError};

    fn to_text(file: &crate::asset::AssetFile) -> String {
        let mut out = Vec::new();
        encode(file, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn layout_matches_format_md() {
        let text = to_text(&tricky_file());
        let declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
        assert!(text.starts_with(&format!("{declaration}<nucleusCustomScan>")));
        assert!(text.contains("\n  <nucleus_import_version>1</nucleus_import_version>"));
        let tags = "<image_tags>\n        <image_tag>1.4.2</image_tag>\n        <image_tag>stable";
        assert!(text.contains(tags), "{text}");
        assert!(
            text.contains("<image_secondary_registries>\n        <image_registry>127.0.0.1:5000")
        );
        assert!(text.contains("<image_platform_os_features>\n        <feature>win32k</feature>"));
        assert!(
            text.contains("2,&#13;\n\t"),
            "CR must be a character reference: {text}"
        );
        assert!(text.contains("]]&gt; &lt;tag&gt; &amp;amp; &amp; "));
        // The second asset has no distro, tags or manifest: no empty elements for them.
        let second = &text[text.rfind("<asset>").unwrap()..];
        assert!(
            !second.contains("image_distro") && !second.contains("image_tags"),
            "{second}"
        );
    }

    #[test]
    fn control_characters_are_refused_by_asset_and_field() {
        let mut file = tricky_file();
        file.assets[1].image_config = Some("{\"a\":\"\u{1}\"}".into());
        let err = crate::output::encode(&file, Format::Xml, Vec::new()).unwrap_err();
        assert!(
            matches!(
                err,
                OutputError::Unrepresentable {
                    format: Format::Xml,
                    asset: Some(1),
                    field: "image_config",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("U+0001"), "{err}");
        assert!(
            err.to_string().contains("asset 1 (solo), image_config"),
            "{err}"
        );
        file.assets[1].image_config = None;
        file.assets[0].image_distro = Some("x\u{FFFF}".into());
        let err = crate::output::encode(&file, Format::Xml, Vec::new()).unwrap_err();
        let image = format!(
            "team/api@{}",
            file.assets[0].image_manifest_digest.as_deref().unwrap()
        );
        assert!(err.to_string().contains(&image), "{err}");
        file.assets[0].image_distro = Some("tab\tand \u{FFFD} are fine".into());
        assert!(crate::output::encode(&file, Format::Xml, Vec::new()).is_ok());
    }

    #[test]
    fn reads_hand_made_files() {
        let text = "<?xml version=\"1.0\"?>\n<!-- made by hand -->\n<nucleusCustomScan>\
            <scan_type>Container Image</scan_type><assets>\n  <asset>\
            <image_tags> <image_tag> latest </image_tag>\n<image_tag>8</image_tag></image_tags>\
            <image_distro/><image_repo>\n centos\n</image_repo>\
            <image_manifest><![CDATA[{\"a\": \"<&>\"}]]></image_manifest>\
            <image_config>{&quot;b&quot;:&#x9;&#13;1}</image_config>\
            </asset></assets><scan_tool>Asset</scan_tool>\
            <nucleus_import_version>1</nucleus_import_version></nucleusCustomScan>";
        let file = tidy(decode(text.as_bytes()).unwrap().0);
        assert_eq!(file.scan_type, "Container Image");
        let a = &file.assets[0];
        assert_eq!(a.image_repo, "centos");
        assert_eq!(a.image_tags, ["latest", "8"]);
        assert_eq!(a.image_distro, None);
        assert_eq!(a.image_manifest.as_deref(), Some("{\"a\": \"<&>\"}"));
        assert_eq!(a.image_config.as_deref(), Some("{\"b\":\t\r1}"));
    }

    #[test]
    fn refuses_other_documents() {
        assert!(decode(b"<other/>").is_err());
        assert!(decode(b"<nucleusCustomScan><assets>").is_err());
        let wrong_item = "<nucleusCustomScan><nucleus_import_version>1</nucleus_import_version>\
            <scan_tool>Asset</scan_tool><scan_type>Container Image</scan_type><assets><asset>\
            <image_repo>a</image_repo><image_tags><tag>x</tag></image_tags></asset></assets>\
            </nucleusCustomScan>";
        let err = decode(wrong_item.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("image_tag"), "{err}");
        assert!(decode(b"<nucleusCustomScan>&#1;</nucleusCustomScan>").is_err());
    }

    #[test]
    fn refuses_unknown_duplicate_and_stray_content() {
        let wrap = |asset: &str, extra: &str| {
            format!(
                "<nucleusCustomScan><nucleus_import_version>1</nucleus_import_version>\
                 <scan_tool>Asset</scan_tool><scan_type>Container Image</scan_type>{extra}\
                 <assets><asset>{asset}</asset></assets></nucleusCustomScan>"
            )
        };
        let good = "<image_repo>a</image_repo><image_tags><image_tag>x</image_tag></image_tags>";
        assert!(decode(wrap(good, "").as_bytes()).is_ok());
        for (asset, extra, needle) in [
            (
                "<image_repo>a</image_repo><image_repo>b</image_repo>",
                "",
                "twice",
            ),
            ("<image_repo>a</image_repo><foo>1</foo>", "", "<foo>"),
            (
                "<image_repo>a</image_repo><image_tags>x<image_tag>y</image_tag></image_tags>",
                "",
                "text outside",
            ),
            (good, "<extra>1</extra>", "<extra>"),
        ] {
            let err = decode(wrap(asset, extra).as_bytes()).unwrap_err();
            assert!(format!("{err}").contains(needle), "{asset}{extra}: {err}");
        }
    }

    /// The error and its sources, joined as `main` prints them.
    fn chain(err: &OutputError) -> String {
        let mut text = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            text.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        text
    }

    #[test]
    fn ill_formed_documents_name_line_and_column_once() {
        for (text, line, column, reason) in [
            (
                "<nucleusCustomScan>\n<assets>\n<asset></assetx>",
                3,
                8,
                "expected `</asset>`, but `</assetx>` was found",
            ),
            (
                "<nucleusCustomScan>\n  <assets a=\"1>\n",
                2,
                3,
                "attribute value not closed",
            ),
            ("<nucleusCustomScan>\n é\n<é", 3, 1, "not closed"),
        ] {
            let err = decode(text.as_bytes()).unwrap_err();
            let OutputError::XmlSyntax {
                line: l, column: c, ..
            } = &err
            else {
                panic!("{text:?}: not a syntax error: {err}");
            };
            assert_eq!((*l, *c), (line, column), "{text:?}: {err}");
            let said = chain(&err);
            assert_eq!(said.matches(reason).count(), 1, "{said}");
            assert!(
                said.contains(&format!("line {line}, column {column}")),
                "{said}"
            );
        }
    }

    #[test]
    fn line_and_column_count_characters() {
        use super::tree::line_and_column;
        assert_eq!(line_and_column("abc", 0), (1, 1));
        assert_eq!(line_and_column("a\nbc", 3), (2, 2));
        assert_eq!(line_and_column("a\néé<", 6), (2, 3));
        // Inside a character: the column of that character; past the end: the end.
        assert_eq!(line_and_column("a\néé<", 5), (2, 2));
        assert_eq!(line_and_column("a\n", 99), (2, 1));
    }

    #[test]
    fn attributes_and_namespaces_are_refused_naming_asset_and_element() {
        let wrap = |root_attr: &str, assets: &str| {
            format!(
                "<nucleusCustomScan{root_attr}><nucleus_import_version>1\
                 </nucleus_import_version><scan_tool>Asset</scan_tool>\
                 <scan_type>Container Image</scan_type><assets>{assets}</assets>\
                 </nucleusCustomScan>"
            )
        };
        let repo = "<asset><image_repo>a</image_repo></asset>";
        assert!(decode(wrap("", &format!("{repo}{repo}")).as_bytes()).is_ok());
        for (root_attr, assets, needle) in [
            (
                "",
                "<asset><image_repo>a</image_repo></asset>\
                 <asset><image_repo id=\"7\">b</image_repo></asset>",
                "asset 1, <image_repo>: attribute `id`",
            ),
            (
                "",
                "<asset lang=\"en\"><image_repo>a</image_repo></asset>",
                "asset 0, <asset>: attribute `lang`",
            ),
            (
                " xmlns=\"urn:x\"",
                repo,
                "<nucleusCustomScan>: namespace declaration `xmlns`",
            ),
            (
                "",
                "<asset><image_tags xmlns:n=\"urn:x\"><image_tag>t</image_tag>\
                 </image_tags></asset>",
                "asset 0, <image_tags>: namespace declaration `xmlns:n`",
            ),
            (
                "",
                "<asset><image_repo>a</image_repo><n:image_distro>d</n:image_distro></asset>",
                "asset 0, <n:image_distro>: namespace prefix `n:`",
            ),
            (
                "",
                "<n:asset><image_repo>a</image_repo></n:asset>",
                "asset 0, <n:asset>: namespace prefix",
            ),
        ] {
            let text = wrap(root_attr, assets);
            let err = decode(text.as_bytes()).unwrap_err();
            assert!(err.to_string().contains(needle), "{text}: {err}");
        }
    }

    /// Any string made of characters XML 1.0 allows.
    fn xml_text() -> impl Strategy<Value = String> + Clone {
        any::<String>().prop_map(|s| s.chars().filter(|&c| is_xml_char(c)).collect())
    }

    proptest! {
        #[test]
        fn round_trips_any_xml_text(file in asset_file(tricky_text(xml_text()))) {
            let mut out = Vec::new();
            encode(&file, &mut out).unwrap();
            prop_assert_eq!(tidy(decode(&out).unwrap().0), file);
        }
    }
}
