//! Exit codes and what is kept when things go wrong: bad input is refused before any
//! request, an unreachable registry leaves the previous file alone, a partial failure
//! writes everything else and exits 2.

use nuccrawl_testkit::{load_samples, LocalRegistry};

use crate::support::{nuccrawl, nuccrawl_expect, read_assets, read_report, temp_path};

/// A loopback port nothing listens on: bound then released by the OS.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn bad_targets_and_flags_are_named_and_exit_1() {
    for (args, needle) in [
        (vec!["127.0.0.1:5/Upper/case"], "127.0.0.1:5/Upper/case"),
        (vec!["127.0.0.1:5/app:-tag"], "-tag"),
        (vec!["127.0.0.1:5/app", "--platform", "linux"], "linux"),
        (vec!["127.0.0.1:5/app", "-o", "out.txt"], "out.txt"),
        (
            vec!["127.0.0.1:5/app", "--plain-http", "not a host"],
            "not a host",
        ),
        (vec!["127.0.0.1:5/app@sha256:1234"], "sha256:1234"),
        (vec!["127.0.0.1:5000"], "127.0.0.1:5000/**"),
        (vec!["registry.internal:5000"], "registry.internal:5000/**"),
        (vec!["127.0.0.1:5/app", "--tags", "["], "--tags"),
        (
            vec!["127.0.0.1:5/app", "--request-timeout", "0"],
            "request-timeout",
        ),
        (vec!["127.0.0.1:5/app", "--concurrency", "0"], "concurrency"),
        (
            vec![
                "127.0.0.1:5/app",
                "-o",
                "same.json",
                "--report",
                "same.json",
            ],
            "same.json",
        ),
    ] {
        let run = nuccrawl(&args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(needle),
            "{args:?} should name {needle:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn unreachable_registry_exits_1_and_keeps_the_previous_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "assets.json");
    std::fs::write(&out, "previous good inventory").unwrap();
    let target = format!("127.0.0.1:{}/**", closed_port());
    let run = nuccrawl(&[&target, "-o", out.to_str().unwrap(), "--max-attempts", "1"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "previous good inventory"
    );
    assert!(run.stderr.contains("127.0.0.1"), "{}", run.stderr);
}

#[test]
fn partial_failure_exits_2_and_writes_the_rest() {
    let registry = LocalRegistry::start().expect("registry starts");
    load_samples(&registry.addr()).expect("samples load");
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "assets.csv");
    let report = temp_path(&dir, "report.json");
    let good = format!("{}/samples/alpine", registry.addr());
    let missing = format!("{}/samples/nope", registry.addr());
    let missing_tag = format!("{}/samples/debian:no-such-tag", registry.addr());
    let run = nuccrawl_expect(
        &[
            &good,
            &missing,
            &missing_tag,
            "-o",
            out.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
        2,
    );
    assert!(run.stderr.contains("samples/nope"), "{}", run.stderr);
    assert!(run.stderr.contains("no-such-tag"), "{}", run.stderr);
    let file = read_assets(&out);
    assert_eq!(file.assets.len(), 1);
    assert_eq!(file.assets[0].image_repo, "samples/alpine");
    let report = read_report(&report);
    let failures = report["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2, "{report}");
    assert!(failures
        .iter()
        .any(|f| f["repository"] == "samples/nope" && f["reference"].is_null()));
    assert!(failures.iter().any(|f| f["reference"] == "no-such-tag"));
}

#[test]
fn help_documents_exit_codes() {
    let run = nuccrawl_expect(&["--help"], 0);
    let help = String::from_utf8(run.stdout).unwrap();
    for line in [
        "0  everything",
        "1  nothing could be done",
        "2  some repositories",
    ] {
        assert!(help.contains(line), "--help lacks {line:?}");
    }
}

#[test]
fn unwritable_output_and_report_are_named_before_any_request() {
    let fake = nuccrawl_testkit::FakeHostileRegistry::start().expect("fake starts");
    let dir = tempfile::tempdir().unwrap();
    let target = format!("{}/app", fake.addr());
    let missing = dir.path().join("no-such-dir/assets.json");
    let missing_report = dir.path().join("no-such-dir/report.json");
    let is_dir = dir.path().to_str().unwrap().to_owned();
    let cases: [(Vec<&str>, String); 3] = [
        (
            vec!["-o", missing.to_str().unwrap()],
            missing.display().to_string(),
        ),
        (
            vec!["--report", missing_report.to_str().unwrap()],
            missing_report.display().to_string(),
        ),
        (vec!["-o", &is_dir, "--format", "json"], is_dir.clone()),
    ];
    for (flags, needle) in cases {
        let mut args = vec![target.as_str()];
        args.extend(flags);
        let run = nuccrawl(&args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(&needle),
            "{args:?} should name {needle}: {}",
            run.stderr
        );
    }
    assert!(
        fake.requests().is_empty(),
        "requests were sent: {:?}",
        fake.requests()
    );
}

#[test]
fn a_run_with_failures_and_no_image_keeps_the_previous_file() {
    let registry = LocalRegistry::start().expect("registry starts");
    load_samples(&registry.addr()).expect("samples load");
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "assets.json");
    std::fs::write(&out, "previous good inventory").unwrap();
    let out_s = out.to_str().unwrap();
    for target in ["samples/alpine:no-such-tag", "nomatch/*"] {
        let target = format!("{}/{target}", registry.addr());
        let run = nuccrawl(&[&target, "-o", out_s]);
        assert_eq!(run.code, 1, "{target}: {}", run.stderr);
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "previous good inventory"
        );
    }
    let run = nuccrawl(&[&format!("{}/nomatch/*", registry.addr()), "-o", out_s]);
    assert!(
        run.stderr.contains("no repository matches `nomatch/*`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_listed_repository_without_tags_is_not_a_failure() {
    use nuccrawl_testkit::images::{gzip_tar, media, Blob, ConfigBuilder, ManifestBuilder};
    let registry = LocalRegistry::start().expect("registry starts");
    let addr = registry.addr();
    nuccrawl_testkit::fakes::push_small_image(&addr, "tagged/app", "v1").unwrap();
    // Pushed by digest only: the catalog lists it, its tag list answers NAME_UNKNOWN.
    let layer = gzip_tar(&[("etc/untagged", b"x".as_slice())]).unwrap();
    let config = ConfigBuilder::new("linux", "amd64")
        .layer_step("COPY x /etc/untagged", &layer.diff_id)
        .build();
    let image = ManifestBuilder::docker(Blob::new(media::DOCKER_CONFIG, config))
        .layer(Blob::new(media::DOCKER_LAYER_GZIP, layer.gzipped))
        .build();
    nuccrawl_testkit::push::push_image(&addr, "untagged/app", &image.digest(), &image, None)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "assets.json");
    let report = temp_path(&dir, "report.json");
    let target = format!("{addr}/**");
    nuccrawl_expect(
        &[
            &target,
            "-o",
            out.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(read_report(&report)["repositories"], 2);
    assert_eq!(read_assets(&out).assets.len(), 1);
    // Named by the user, the same repository's missing tag list is a failure.
    let named = format!("{addr}/untagged/app");
    assert_eq!(nuccrawl(&[&named, "-o", out.to_str().unwrap()]).code, 1);
}
