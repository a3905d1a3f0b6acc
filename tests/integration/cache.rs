//! The manifest and config cache: a warm run makes no manifest or config GET and writes
//! the same bytes; a corrupt entry is re-fetched alone; `--no-cache` fetches everything;
//! the default directory comes from `XDG_CACHE_HOME`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use nuccrawl_testkit::{load_samples, registry_tag_digests, LocalRegistry, Samples};
use serde_json::Value;

use crate::support::{nuccrawl_with_env, read_report, Run};

/// One crawl's output bytes and report.
struct Crawl {
    output: Vec<u8>,
    report: Value,
}

impl Crawl {
    fn requests(&self, kind: &str) -> u64 {
        self.report["requests"][kind].as_u64().unwrap_or(0)
    }
}

/// Crawls every repository of `addr` with `extra` flags and the given cache home.
fn crawl(addr: &str, extra: &[&str], cache_home: &Path, work: &Path, name: &str) -> Crawl {
    let out = work.join(format!("{name}.json"));
    let report = work.join(format!("{name}.report.json"));
    let target = format!("{addr}/**");
    let mut args = vec![
        target.as_str(),
        "-o",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run: Run = nuccrawl_with_env(&args, &[("XDG_CACHE_HOME", cache_home.as_os_str())]);
    assert_eq!(run.code, 0, "{name}: stderr:\n{}", run.stderr);
    Crawl {
        output: std::fs::read(&out).unwrap(),
        report: read_report(&report),
    }
}

/// The cache file of a digest `sha256:<hex>` under `dir`.
fn entry(dir: &Path, digest: &str) -> PathBuf {
    let hex = digest.strip_prefix("sha256:").unwrap();
    dir.join("blobs/sha256").join(&hex[..2]).join(hex)
}

fn flip_a_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(path, bytes).unwrap();
}

fn setup() -> (LocalRegistry, Samples, tempfile::TempDir) {
    let registry = LocalRegistry::start().expect("registry starts");
    let samples = load_samples(&registry.addr()).expect("samples load");
    (registry, samples, tempfile::tempdir().unwrap())
}

#[test]
fn a_warm_cache_makes_no_manifest_or_config_get_and_repairs_corrupt_entries() {
    let (registry, samples, work) = setup();
    let addr = registry.addr();
    let cache = work.path().join("cache");
    let home = work.path().join("unused-home");
    let flags = ["--cache-dir", cache.to_str().unwrap()];

    let cold = crawl(&addr, &flags, &home, work.path(), "cold");
    assert!(cold.requests("manifest_get") >= samples.images.len() as u64);
    assert!(cold.requests("blob_get") > 0);

    let warm = crawl(&addr, &flags, &home, work.path(), "warm");
    assert_eq!(warm.requests("manifest_get"), 0, "{}", warm.report);
    assert_eq!(warm.requests("blob_get"), 0, "{}", warm.report);
    assert_eq!(
        warm.requests("manifest_head"),
        cold.requests("manifest_head"),
        "tags are still resolved"
    );
    assert!(warm.output == cold.output, "warm output differs from cold");

    let image = &samples.images[0];
    let manifest_entry = entry(&cache, &image.manifest_digest);
    flip_a_byte(&manifest_entry);
    let repaired = crawl(&addr, &flags, &home, work.path(), "bad-manifest");
    assert_eq!(repaired.requests("manifest_get"), 1, "{}", repaired.report);
    assert_eq!(repaired.requests("blob_get"), 0, "{}", repaired.report);
    assert!(repaired.output == cold.output);
    assert_eq!(std::fs::read(&manifest_entry).unwrap(), image.manifest);

    let config_entry = entry(&cache, &image.config_digest);
    std::fs::write(&config_entry, &image.config[..image.config.len() / 2]).unwrap();
    let repaired = crawl(&addr, &flags, &home, work.path(), "bad-config");
    assert_eq!(repaired.requests("manifest_get"), 0, "{}", repaired.report);
    assert_eq!(repaired.requests("blob_get"), 1, "{}", repaired.report);
    assert!(repaired.output == cold.output);
    assert_eq!(std::fs::read(&config_entry).unwrap(), image.config);
}

#[test]
fn the_default_cache_lives_under_xdg_cache_home_and_no_cache_skips_it() {
    let (registry, _samples, work) = setup();
    let addr = registry.addr();
    let home = work.path().join("xdg");

    let cold = crawl(&addr, &[], &home, work.path(), "cold");
    assert!(home.join("nuccrawl/blobs/sha256").is_dir());
    let warm = crawl(&addr, &[], &home, work.path(), "warm");
    assert_eq!(warm.requests("manifest_get"), 0, "{}", warm.report);
    assert_eq!(warm.requests("blob_get"), 0, "{}", warm.report);

    let uncached = crawl(&addr, &["--no-cache"], &home, work.path(), "uncached");
    assert_eq!(
        uncached.requests("manifest_get"),
        cold.requests("manifest_get")
    );
    assert_eq!(uncached.requests("blob_get"), cold.requests("blob_get"));
    assert!(uncached.output == cold.output);
}

#[test]
fn an_unusable_cache_dir_warns_and_the_crawl_still_succeeds() {
    let (registry, _samples, work) = setup();
    let not_a_dir = work.path().join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    let out = work.path().join("out.json");
    let target = format!("{}/**", registry.addr());
    let args = [
        target.as_str(),
        "--cache-dir",
        not_a_dir.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    let run = nuccrawl_with_env(&args, &[("XDG_CACHE_HOME", OsStr::new("/nonexistent"))]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("continuing without the cache").count(),
        1
    );
    let uncached = crawl(
        &registry.addr(),
        &["--no-cache"],
        work.path(),
        work.path(),
        "ref",
    );
    assert!(std::fs::read(&out).unwrap() == uncached.output);
}

#[test]
fn immutable_tags_are_resolved_once_and_a_wrong_memory_is_corrected() {
    let (registry, samples, work) = setup();
    let addr = registry.addr();
    let cache = work.path().join("cache");
    let home = work.path().join("unused-home");
    let immutable = samples
        .images
        .iter()
        .flat_map(|i| i.tags.iter())
        .filter(|t| t.starts_with("3.19"))
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u64;
    assert_eq!(immutable, 2, "alpine's 3.19 and 3.19.1");
    let flags = [
        "--cache-dir",
        cache.to_str().unwrap(),
        "--immutable-tags",
        "3.19*",
    ];

    let first = crawl(&addr, &flags, &home, work.path(), "first");
    let second = crawl(&addr, &flags, &home, work.path(), "second");
    assert!(second.output == first.output);
    assert_eq!(
        second.requests("manifest_head"),
        first.requests("manifest_head") - immutable,
        "the immutable tags' digests come from the cache"
    );
    assert_eq!(
        second.requests("tags"),
        first.requests("tags"),
        "tag lists are read"
    );

    // Without the flag nothing remembered is used.
    let plain = ["--cache-dir", cache.to_str().unwrap()];
    let unflagged = crawl(&addr, &plain, &home, work.path(), "unflagged");
    assert_eq!(
        unflagged.requests("manifest_head"),
        first.requests("manifest_head")
    );

    // A remembered digest the registry does not serve is rechecked with a HEAD.
    let memos: Vec<_> = std::fs::read_dir(cache.join("tags"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(memos.len(), 1, "one repository has immutable tags");
    let text = std::fs::read_to_string(&memos[0]).unwrap();
    let digest = &samples
        .images
        .iter()
        .find(|i| i.tags.iter().any(|t| t == "3.19"))
        .unwrap()
        .manifest_digest;
    let bogus = format!("sha256:{}", "0".repeat(64));
    assert!(text.contains(digest.as_str()), "{text}");
    std::fs::write(&memos[0], text.replace(digest.as_str(), &bogus)).unwrap();
    let corrected = crawl(&addr, &flags, &home, work.path(), "corrected");
    assert!(
        corrected.output == first.output,
        "nothing lost to a wrong memory"
    );
    assert_eq!(
        corrected.requests("manifest_head"),
        second.requests("manifest_head") + immutable,
        "both tags pointing at the bogus digest are rechecked"
    );
    let text = std::fs::read_to_string(&memos[0]).unwrap();
    assert!(!text.contains(&bogus), "the memory is corrected: {text}");

    // A declared tag that moved after all (here: onto the signature's manifest) is
    // corrected by the next run that resolves it, with or without the flag.
    let signature = registry_tag_digests(&addr, "samples/alpine")
        .unwrap()
        .into_iter()
        .find(|(tag, _)| tag.ends_with(".sig"))
        .expect("alpine has a signature tag")
        .1;
    std::fs::write(&memos[0], text.replace(digest.as_str(), &signature)).unwrap();
    let plain = crawl(&addr, &plain, &home, work.path(), "plain");
    assert!(plain.output == first.output);
    let text = std::fs::read_to_string(&memos[0]).unwrap();
    assert!(
        !text.contains(&signature),
        "a plain run corrects it: {text}"
    );
    assert!(text.contains(digest.as_str()), "{text}");
}
