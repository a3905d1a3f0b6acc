//! `nuccrawl validate`: accepts what nuccrawl writes, refuses the vendor's own example
//! (its embedded manifest does not hash to its digest) and hand-made mistakes, naming
//! the asset and field.

use nuccrawl_testkit::{load_samples, LocalRegistry};

use crate::support::{nuccrawl, nuccrawl_expect, shared_dir, temp_path};

/// The first ```json block of the vendor page in `shared/seed`.
fn vendor_example() -> String {
    let page = std::fs::read_to_string(shared_dir().join("seed/container-images.md"))
        .expect("shared/seed/container-images.md is beside the repository");
    let start = page.find("```json").expect("a json block") + "```json".len();
    let end = start + page[start..].find("```").expect("block end");
    page[start..end].to_owned()
}

#[test]
fn vendor_example_fails_on_its_manifest_digest() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_path(&dir, "vendor.json");
    std::fs::write(&path, vendor_example()).unwrap();
    let run = nuccrawl(&["validate", path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("asset 0"), "{}", run.stderr);
    assert!(
        run.stderr.contains("image_manifest_digest"),
        "{}",
        run.stderr
    );
}

#[test]
fn crawled_files_pass_and_a_tampered_one_fails() {
    let registry = LocalRegistry::start().expect("registry starts");
    load_samples(&registry.addr()).expect("samples load");
    let dir = tempfile::tempdir().unwrap();
    let target = format!("{}/samples/multi", registry.addr());
    for ext in ["json", "xml", "csv"] {
        let path = temp_path(&dir, &format!("a.{ext}"));
        nuccrawl_expect(&[&target, "-o", path.to_str().unwrap(), "-q"], 0);
        nuccrawl_expect(&["validate", path.to_str().unwrap()], 0);
    }
    let json = temp_path(&dir, "a.json");
    let text = std::fs::read_to_string(&json).unwrap();
    // One changed byte inside the embedded config breaks its digest.
    let tampered = text.replacen("\\\"architecture\\\":\\\"", "\\\"architecture\\\": \\\"", 1);
    assert_ne!(
        tampered, text,
        "the config text should contain an architecture field"
    );
    let bad = temp_path(&dir, "tampered.json");
    std::fs::write(&bad, tampered).unwrap();
    let run = nuccrawl(&["validate", bad.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("image_config_digest"), "{}", run.stderr);
}

#[test]
fn unreadable_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_path(&dir, "broken.xml");
    std::fs::write(&path, "<nucleusCustomScan><assets>").unwrap();
    let run = nuccrawl(&["validate", path.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("broken.xml"), "{}", run.stderr);
    let run = nuccrawl(&["validate", "/nonexistent/file.json"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("/nonexistent/file.json"),
        "{}",
        run.stderr
    );
}

#[test]
fn hand_made_mistakes_in_each_encoding_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let json = format!(
        r#"{{"nucleus_import_version": 1, "scan_tool": "Asset", "scan_type": "Container Image",
           "assets": [{{"image_repo": "team/api", "image_manifest_digest": "{digest}",
                        "image_tag": ["v1"]}}]}}"#
    );
    let header = "nucleus_import_version,scan_tool,scan_type,image_repo,image_manifest_digest";
    let csv = format!("{header}\n1,Asset,Container Image,team/api,{digest}\n");
    for (name, text, needle) in [
        ("number.json", json.as_str(), "nucleus_import_version"),
        ("typo.json", json.as_str(), "image_tag"),
        ("short.csv", csv.as_str(), "header row"),
    ] {
        let path = temp_path(&dir, name);
        std::fs::write(&path, text).unwrap();
        let run = nuccrawl(&["validate", path.to_str().unwrap()]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(needle),
            "{name} should mention {needle}: {}",
            run.stderr
        );
    }
    let xml = temp_path(&dir, "two-roots.xml");
    std::fs::write(
        &xml,
        "<nucleusCustomScan><assets/></nucleusCustomScan><nucleusCustomScan/>",
    )
    .unwrap();
    let run = nuccrawl(&["validate", xml.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn ill_formed_xml_is_reported_once_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_path(&dir, "mismatched.xml");
    std::fs::write(&path, "<nucleusCustomScan>\n<assets>\n  <asset></assets>\n").unwrap();
    let run = nuccrawl(&["validate", path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("line 3, column 10"), "{}", run.stderr);
    let reason = "expected `</asset>`, but `</assets>` was found";
    assert_eq!(run.stderr.matches(reason).count(), 1, "{}", run.stderr);
}
