//! The three encodings read back with standard parsers (serde_json, quick-xml, csv) give
//! the same assets, and the embedded manifest and config still hash to their digests.

use nuccrawl::asset::Asset;
use nuccrawl_testkit::sha256_digest as sha256;
use nuccrawl_testkit::{load_samples, LocalRegistry};
use quick_xml::events::Event;

use crate::support::{nuccrawl_expect, nuccrawl_in, read_assets, temp_path};

/// (manifest digest, manifest text, config digest, config text) per asset, via serde_json.
fn bodies_from_json(bytes: &[u8]) -> Vec<[String; 4]> {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    assert_eq!(v["nucleus_import_version"], "1");
    assert_eq!(v["scan_tool"], "Asset");
    assert_eq!(v["scan_type"], "Container Image");
    let field = |a: &serde_json::Value, k: &str| a[k].as_str().unwrap().to_owned();
    v["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            [
                "image_manifest_digest",
                "image_manifest",
                "image_config_digest",
                "image_config",
            ]
            .map(|k| field(a, k))
        })
        .collect()
}

/// The same four fields via the csv crate, by header name.
fn bodies_from_csv(bytes: &[u8]) -> Vec<[String; 4]> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(headers.len(), 18, "FORMAT.md lists 18 columns");
    assert_eq!(&headers[0], "nucleus_import_version");
    assert_eq!(&headers[17], "image_config");
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let cols = [
        "image_manifest_digest",
        "image_manifest",
        "image_config_digest",
        "image_config",
    ]
    .map(col);
    reader
        .records()
        .map(|r| cols.map(|c| r.as_ref().unwrap()[c].to_owned()))
        .collect()
}

/// The same four fields via quick-xml events, unescaping text as any XML parser would.
fn bodies_from_xml(bytes: &[u8]) -> Vec<[String; 4]> {
    let mut reader = quick_xml::Reader::from_str(std::str::from_utf8(bytes).unwrap());
    let names = [
        "image_manifest_digest",
        "image_manifest",
        "image_config_digest",
        "image_config",
    ];
    let (mut out, mut current, mut field): (Vec<[String; 4]>, [String; 4], Option<usize>) =
        (Vec::new(), Default::default(), None);
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                let name = e.name().as_ref().to_owned();
                field = names.iter().position(|n| *n == name);
            }
            Event::Text(t) => {
                if let Some(i) = field {
                    current[i].push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(i) = field {
                    current[i].push_str(&unescape_ref(&r));
                }
            }
            Event::CData(c) => {
                if let Some(i) = field {
                    current[i].push_str(&c.xml10_content());
                }
            }
            Event::End(e) => {
                field = None;
                if e.name().as_ref() == "asset" {
                    out.push(std::mem::take(&mut current));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn unescape_ref(name: &str) -> String {
    match name {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        n if n.starts_with("#x") => char::from_u32(u32::from_str_radix(&n[2..], 16).unwrap())
            .unwrap()
            .to_string(),
        n if n.starts_with('#') => char::from_u32(n[1..].parse().unwrap()).unwrap().to_string(),
        other => panic!("unknown entity {other}"),
    }
}

fn assert_hashes(rows: &[[String; 4]], format: &str) {
    assert!(!rows.is_empty(), "{format}: no assets");
    for [md, m, cd, c] in rows {
        assert_eq!(
            &sha256(m.as_bytes()),
            md,
            "{format}: manifest bytes changed"
        );
        assert_eq!(&sha256(c.as_bytes()), cd, "{format}: config bytes changed");
    }
}

#[test]
fn json_xml_and_csv_hold_the_same_assets_byte_for_byte() {
    let registry = LocalRegistry::start().expect("registry starts");
    load_samples(&registry.addr()).expect("samples load");
    let dir = tempfile::tempdir().unwrap();
    let target = format!("{}/**", registry.addr());
    let mut parsed: Vec<Vec<Asset>> = Vec::new();
    let mut raw: Vec<Vec<[String; 4]>> = Vec::new();
    for ext in ["json", "xml", "csv"] {
        let path = temp_path(&dir, &format!("assets.{ext}"));
        nuccrawl_expect(&[&target, "-o", path.to_str().unwrap(), "-q"], 0);
        let bytes = std::fs::read(&path).unwrap();
        let rows = match ext {
            "json" => bodies_from_json(&bytes),
            "xml" => bodies_from_xml(&bytes),
            _ => bodies_from_csv(&bytes),
        };
        assert_hashes(&rows, ext);
        raw.push(rows);
        parsed.push(read_assets(&path).assets);
    }
    assert_eq!(raw[0], raw[1], "XML bodies differ from JSON");
    assert_eq!(raw[0], raw[2], "CSV bodies differ from JSON");
    assert_eq!(parsed[0], parsed[1], "XML fields differ from JSON");
    assert_eq!(parsed[0], parsed[2], "CSV fields differ from JSON");
}

#[test]
fn stdout_is_json_and_no_bodies_keeps_digests() {
    let registry = LocalRegistry::start().expect("registry starts");
    load_samples(&registry.addr()).expect("samples load");
    let target = format!("{}/samples/alpine", registry.addr());
    let run = nuccrawl_expect(&[&target, "-q"], 0);
    let rows = bodies_from_json(&run.stdout);
    assert_eq!(rows.len(), 1);
    assert_hashes(&rows, "stdout");

    let run = nuccrawl_expect(&[&target, "-q", "--no-bodies", "--format", "json"], 0);
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let asset = &v["assets"][0];
    assert!(asset.get("image_manifest").is_none() && asset.get("image_config").is_none());
    assert_eq!(asset["image_manifest_digest"], rows[0][0]);
}

#[test]
fn dash_output_is_stdout_and_creates_no_file() {
    let registry = LocalRegistry::start().expect("registry starts");
    load_samples(&registry.addr()).expect("samples load");
    let target = format!("{}/samples/alpine", registry.addr());
    let cwd = tempfile::tempdir().unwrap();
    let run = nuccrawl_in(cwd.path(), &[&target, "-q", "-o", "-"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = bodies_from_json(&run.stdout);
    assert_eq!(rows.len(), 1);
    assert_hashes(&rows, "-o -");
    let left: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().collect();
    assert!(left.is_empty(), "-o - left files behind: {left:?}");

    let run = nuccrawl_in(cwd.path(), &[&target, "-q", "-o", "-", "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(bodies_from_csv(&run.stdout), rows, "CSV on stdout differs");
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0);
}

#[test]
fn dash_report_is_refused_before_any_request() {
    let cwd = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("{}/app", closed.local_addr().unwrap());
    drop(closed);
    let run = nuccrawl_in(cwd.path(), &[&target, "--report", "-"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("--report `-`") && run.stderr.contains("file only"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("127.0.0.1"),
        "a request was tried: {}",
        run.stderr
    );
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0);
}

#[test]
fn a_failed_output_write_is_in_the_report_and_a_closed_pipe_is_not_an_error() {
    let registry = LocalRegistry::start().expect("registry starts");
    load_samples(&registry.addr()).expect("samples load");
    let target = format!("{}/samples/alpine", registry.addr());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    std::os::unix::fs::symlink(dir.path().join("missing/out.json"), &out).unwrap();
    let report = dir.path().join("report.json");
    let run = nuccrawl_in(
        dir.path(),
        &[
            &target,
            "-q",
            "-o",
            out.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let error = written["output_error"].as_str().unwrap_or_default();
    assert!(error.contains("out.json"), "{written}");

    // A reader that leaves before the end (`| head -c0`): the run still succeeds.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_nuccrawl"))
        .args([target.as_str(), "-q", "--no-cache"])
        .env("HOME", dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let done = child.wait_with_output().unwrap();
    assert_eq!(
        done.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}
