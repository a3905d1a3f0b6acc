//! Transient faults, rate limits and stopping early, through the project's own
//! `FaultProxy` in front of the real registry: a fault-injected crawl reproduces the clean
//! one byte for byte; signals, `--timeout`, `--fail-fast` and a spent rate limit each end
//! the run as documented, never damaging the previous output.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nuccrawl_testkit::{load_samples, FaultProxy, LocalRegistry, ProxyOptions};

use crate::support::{nuccrawl, nuccrawl_expect, read_assets, read_report, temp_path};

/// The seed of the fault-injection run: any fixed value works; this one injects every
/// kind of fault into the sample crawl.
const SEED: u64 = 4;
/// Attempts per request in the fault run: at one fault in five, eight in a row is
/// practically impossible, and the seed makes it certain either way.
const MAX_ATTEMPTS: u64 = 8;
/// How long a test waits for a crawl to reach a state before failing (a safety net for
/// a hung run, not a measurement).
const PATIENCE: Duration = Duration::from_secs(120);

fn total_requests(report: &serde_json::Value) -> u64 {
    report["requests"]
        .as_object()
        .expect("requests by kind")
        .iter()
        .filter(|(k, _)| k.as_str() != "redirects")
        .map(|(_, v)| v.as_u64().unwrap())
        .sum()
}

#[test]
fn fault_injected_crawl_equals_the_clean_crawl_byte_for_byte() {
    let registry = LocalRegistry::start().expect("registry starts");
    load_samples(&registry.addr()).expect("samples load");
    let dir = tempfile::tempdir().unwrap();
    let crawl = |proxy: &FaultProxy, name: &str| {
        let out = temp_path(&dir, &format!("{name}.json"));
        let report = temp_path(&dir, &format!("{name}-report.json"));
        let target = format!("{}/**", proxy.addr());
        let attempts = MAX_ATTEMPTS.to_string();
        nuccrawl_expect(
            &[
                &target,
                "-o",
                out.to_str().unwrap(),
                "--report",
                report.to_str().unwrap(),
                "--concurrency",
                "8",
                "--max-attempts",
                &attempts,
                "-q",
            ],
            0,
        );
        (std::fs::read(&out).unwrap(), read_report(&report))
    };
    // Both crawls go through a proxy on the same address, so `image_registry` matches:
    // first faithful, then with faults.
    let proxy = FaultProxy::start(&registry.addr(), ProxyOptions::default()).unwrap();
    let (clean, clean_report) = crawl(&proxy, "clean");
    assert_eq!(clean_report["retries"], 0);
    assert_eq!(proxy.fault_count(), 0);
    proxy.set_seed(Some(SEED));
    let (faulty, report) = crawl(&proxy, "faulty");

    assert!(
        clean == faulty,
        "fault-injected output differs from the clean output"
    );
    assert_eq!(
        read_assets(&temp_path(&dir, "faulty.json")).assets.len(),
        13
    );
    let faults = proxy.fault_count();
    let kinds = proxy.faults();
    assert!(faults >= 10, "too few faults to mean anything: {kinds:?}");
    assert_eq!(kinds.len(), 6, "every kind of fault injected: {kinds:?}");
    let retries = report["retries"].as_u64().unwrap();
    let attempts = total_requests(&report);
    let first_attempts = attempts - retries;
    // Every injected fault costs exactly one retry; a connection the proxy closed may
    // cost the client one more when it had already picked it for the next request.
    assert!(retries >= faults, "{retries} retries < {faults} faults");
    assert!(
        retries <= (MAX_ATTEMPTS - 1) * first_attempts,
        "{retries} retries for {first_attempts} requests"
    );
    assert_eq!(first_attempts, total_requests(&clean_report));
}

/// Starts the binary in the background with `args`.
fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_nuccrawl"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .env_remove("RUST_LOG")
        .spawn()
        .expect("nuccrawl starts")
}

/// Waits until `ready` holds, failing after [`PATIENCE`].
fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < PATIENCE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn dir_listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Kills a crawl that is certainly mid-request with `signal` and checks the exit code,
/// the previous output and the directory.
fn signal_mid_crawl(signal: &str, code: i32) {
    let registry = LocalRegistry::start().expect("registry starts");
    load_samples(&registry.addr()).expect("samples load");
    let options = ProxyOptions {
        stall: Some("/samples/many/".into()),
        ..ProxyOptions::default()
    };
    let proxy = FaultProxy::start(&registry.addr(), options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "assets.json");
    std::fs::write(&out, b"previous inventory\n").unwrap();
    let target = format!("{}/**", proxy.addr());
    let mut child = spawn(&[&target, "-o", out.to_str().unwrap(), "-q"]);
    wait_until("a stalled request", || proxy.stalled() > 0);
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(code), "{signal}");
    assert_eq!(std::fs::read(&out).unwrap(), b"previous inventory\n");
    assert_eq!(
        dir_listing(dir.path()),
        ["assets.json"],
        "no temporary files left"
    );
}

#[test]
fn sigterm_mid_crawl_exits_143_and_leaves_the_previous_file() {
    signal_mid_crawl("-TERM", 143);
}

#[test]
fn sigint_mid_crawl_exits_130_and_leaves_the_previous_file() {
    signal_mid_crawl("-INT", 130);
}

#[test]
fn run_timeout_writes_what_finished_and_names_what_did_not() {
    let registry = LocalRegistry::start().expect("registry starts");
    let samples = load_samples(&registry.addr()).expect("samples load");
    let options = ProxyOptions {
        stall: Some("/samples/many/".into()),
        ..ProxyOptions::default()
    };
    let proxy = FaultProxy::start(&registry.addr(), options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "assets.json");
    let report = temp_path(&dir, "report.json");
    let target = format!("{}/**", proxy.addr());
    let run = nuccrawl_expect(
        &[
            &target,
            "-o",
            out.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            "--timeout",
            "3",
        ],
        2,
    );
    assert!(run.stderr.contains("run timeout reached"), "{}", run.stderr);
    let report = read_report(&report);
    assert_eq!(report["stopped"], "run timeout reached (--timeout 3)");
    let failures = report["failures"].as_array().unwrap();
    assert!(
        failures.iter().any(|f| f["repository"] == "samples/many"
            && f["reason"]
                .as_str()
                .unwrap()
                .starts_with("not finished: run timeout")),
        "{failures:?}"
    );
    let written = read_assets(&out);
    let expected_elsewhere = samples
        .images
        .iter()
        .filter(|i| i.repo != "samples/many")
        .count();
    assert_eq!(written.assets.len(), expected_elsewhere);
    assert!(written
        .assets
        .iter()
        .all(|a| a.image_repo != "samples/many"));
}

#[test]
fn a_repository_cut_short_by_the_timeout_keeps_the_images_it_completed() {
    let registry = LocalRegistry::start().expect("registry starts");
    let samples = load_samples(&registry.addr()).expect("samples load");
    let multi: Vec<_> = samples
        .images
        .iter()
        .filter(|i| i.repo == "samples/multi")
        .collect();
    assert_eq!(multi.len(), 3);
    // One image's config never arrives; its two siblings' do.
    let options = ProxyOptions {
        stall: Some(format!("/blobs/{}", multi[0].config_digest)),
        ..ProxyOptions::default()
    };
    let proxy = FaultProxy::start(&registry.addr(), options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "assets.json");
    let report = temp_path(&dir, "report.json");
    let target = format!("{}/samples/multi", proxy.addr());
    let args = [
        target.as_str(),
        "--no-cache",
        "--timeout",
        "2",
        "-o",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    nuccrawl_expect(&args, 2);
    let written = read_assets(&out);
    let digests: Vec<&str> = written
        .assets
        .iter()
        .filter_map(|a| a.image_manifest_digest.as_deref())
        .collect();
    assert_eq!(digests.len(), 2, "{digests:?}");
    assert!(!digests.contains(&multi[0].manifest_digest.as_str()));
    let failures = read_report(&report)["failures"].clone();
    let failures = failures.as_array().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(
        failures[0]["reason"],
        "not finished: run timeout reached (--timeout 2) (kept the 2 images completed)"
    );
    assert_written_or_kept(&written, failures);
}

#[test]
fn fail_fast_writes_nothing_and_keeps_the_previous_file() {
    let registry = LocalRegistry::start().expect("registry starts");
    load_samples(&registry.addr()).expect("samples load");
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "assets.json");
    let report = temp_path(&dir, "report.json");
    std::fs::write(&out, b"previous inventory\n").unwrap();
    let good = format!("{}/samples/alpine", registry.addr());
    let missing = format!("{}/samples/debian:no-such-tag", registry.addr());
    let args = [
        good.as_str(),
        missing.as_str(),
        "-o",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    let mut with_flag = args.to_vec();
    with_flag.push("--fail-fast");
    let run = nuccrawl_expect(&with_flag, 2);
    assert!(run.stderr.contains("--fail-fast"), "{}", run.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), b"previous inventory\n");
    let summary = read_report(&report);
    assert_eq!(
        summary["stopped"],
        "stopped at the first failure (--fail-fast)"
    );
    assert!(summary["failures"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["reference"] == "no-such-tag"));
    assert_eq!(dir_listing(dir.path()), ["assets.json", "report.json"]);
    // Without the flag the same run writes the rest.
    nuccrawl_expect(&args, 2);
    assert_eq!(read_assets(&out).assets.len(), 1);
}

#[test]
fn a_spent_rate_limit_stops_cleanly_without_overshooting() {
    let registry = LocalRegistry::start().expect("registry starts");
    load_samples(&registry.addr()).expect("samples load");
    let options = ProxyOptions {
        budget: Some(12),
        ..ProxyOptions::default()
    };
    let proxy = FaultProxy::start(&registry.addr(), options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "assets.json");
    let report = temp_path(&dir, "report.json");
    let target = format!("{}/**", proxy.addr());
    let run = nuccrawl(&[
        &target,
        "-o",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--on-rate-limit",
        "stop",
    ]);
    let summary = read_report(&report);
    let stopped = summary["stopped"].as_str().expect("stopped early");
    assert!(stopped.contains("rate limit spent on"), "{stopped}");
    assert!(stopped.contains("0 of 12"), "{stopped}");
    assert!(run.stderr.contains(stopped), "{}", run.stderr);
    assert_eq!(proxy.over_budget(), 0, "no manifest GET past the budget");
    assert!(summary["requests"]["manifest_get"].as_u64().unwrap() <= 12);
    // How much finished before the stop depends on the order the repositories ran in:
    // none (exit 1, no file written) or some (exit 2, the rest recorded as failed).
    if !out.exists() {
        assert_eq!(run.code, 1, "{}", run.stderr);
        return;
    }
    assert_eq!(run.code, 2, "{}", run.stderr);
    let written = read_assets(&out);
    assert!(written.assets.len() < 13);
    let failures = summary["failures"].as_array().unwrap();
    assert!(!failures.is_empty());
    assert_written_or_kept(&written, failures);
}

/// The tester's scenario: a budget every request spends, shared by five repositories of
/// twenty tags crawled concurrently at the default concurrency. No request may go past
/// the budget (before the fix, 79–82 of 60 did), the 429 the fake would send is never
/// drawn, the run stops with exit 2 naming the registry as written in output, and what
/// finished is written.
#[test]
fn a_budget_shared_by_concurrent_repositories_is_never_overshot() {
    const BUDGET: u64 = 60;
    let registry = LocalRegistry::start().expect("registry starts");
    nuccrawl_testkit::bulk::load_bulk(&registry.addr(), 5, 20, 1).expect("bulk loads");
    let options = ProxyOptions {
        budget: Some(BUDGET),
        budget_every_request: true,
        ..ProxyOptions::default()
    };
    let proxy = FaultProxy::start(&registry.addr(), options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = temp_path(&dir, "assets.json");
    let report = temp_path(&dir, "report.json");
    let endpoint = format!("registry.example={}", proxy.addr());
    let run = nuccrawl(&[
        "registry.example/bulk/**",
        "--registry-endpoint",
        &endpoint,
        "-o",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(
        proxy.requests() <= BUDGET,
        "{} requests reached the registry, budget {BUDGET}",
        proxy.requests()
    );
    assert_eq!(proxy.over_budget(), 0, "no request past the budget");
    let summary = read_report(&report);
    assert!(total_requests(&summary) <= BUDGET, "{summary}");
    assert_eq!(
        summary["retries"], 0,
        "nothing retried against a spent budget"
    );
    let stopped = summary["stopped"].as_str().expect("stopped early");
    assert!(
        stopped.contains("rate limit spent on registry.example:"),
        "{stopped}"
    );
    assert!(stopped.contains("0 of 60"), "{stopped}");
    assert!(!stopped.contains(&proxy.addr()), "{stopped}");
    assert!(run.stderr.contains(stopped), "{}", run.stderr);
    let failures = summary["failures"].as_array().unwrap();
    assert!(!failures.is_empty());
    // The crawl reads every tag's manifest before the configs, so 60 requests may finish
    // no image: then nothing was done (exit 1, no file); else what finished is written
    // (exit 2) and the rest recorded as failed, nothing both.
    if !out.exists() {
        assert_eq!(run.code, 1, "{}", run.stderr);
        for r in 0..5 {
            let repo = nuccrawl_testkit::bulk::repo_name(r);
            assert!(
                failures.iter().any(|f| f["repository"] == repo.as_str()),
                "{repo}"
            );
        }
        return;
    }
    assert_eq!(run.code, 2, "{}", run.stderr);
    let written = read_assets(&out);
    assert!(written.assets.len() < 100);
    assert_written_or_kept(&written, failures);
}

/// A repository with written images may also have failed as a whole only when the run
/// was stopped in the middle of it, and then it says so and how many images it kept.
fn assert_written_or_kept(written: &nuccrawl::asset::AssetFile, failures: &[serde_json::Value]) {
    for asset in &written.assets {
        let repo = asset.image_repo.as_str();
        let kept = written
            .assets
            .iter()
            .filter(|a| a.image_repo == repo)
            .count();
        for f in failures
            .iter()
            .filter(|f| f["repository"] == repo && f["reference"].is_null())
        {
            let reason = f["reason"].as_str().unwrap_or_default();
            assert!(
                reason.starts_with("not finished: ")
                    && reason.ends_with(&format!("(kept the {kept} images completed)")),
                "{repo} both written and failed: {reason}"
            );
        }
    }
}
