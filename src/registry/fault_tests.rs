//! Transient faults below HTTP and announced rate limits, against small fakes on
//! 127.0.0.1: dropped connections, bodies cut short, `RateLimit-*` headers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::fake::{FakeResponse, FakeServer};
use super::*;
use crate::image::Digest;
use crate::reference::Registry;

/// What the scripted fake does with the n-th connection.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Close without answering.
    Drop,
    /// Full `Content-Length`, half the body, close.
    Truncate,
    /// Answer properly.
    Serve,
}

/// A fake registry that answers connection n per `script[n]` (the last step repeats).
async fn scripted_fake(script: Vec<Step>, body: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let step = script[n.min(script.len() - 1)];
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head).await;
            let cut = match step {
                Step::Drop => continue,
                Step::Truncate => body.len() / 2,
                Step::Serve => body.len(),
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&body[..cut]).await;
        }
    });
    (host, seen)
}

fn client_for(host: &str, options: ClientOptions) -> RegistryClient {
    RegistryClient::new(&Registry::parse(host).unwrap(), &options).unwrap()
}

#[tokio::test]
async fn dropped_connections_and_cut_bodies_are_retried() {
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{}}"#.to_vec();
    let digest = Digest::of(&config);
    let script = vec![Step::Drop, Step::Truncate, Step::Drop, Step::Serve];
    let (host, seen) = scripted_fake(script, config.clone()).await;
    let c = client_for(&host, ClientOptions::default());
    let bytes = c.get_blob("app", &digest, CONFIG_CAP).await.unwrap();
    assert_eq!(bytes.as_ref(), config.as_slice());
    assert_eq!(seen.load(Ordering::SeqCst), 4);
    let stats = c.stats();
    assert_eq!((stats.retries, stats.blob_get), (3, 4));
}

#[tokio::test]
async fn a_body_that_keeps_breaking_ends_within_the_attempt_budget() {
    let (host, seen) = scripted_fake(vec![Step::Truncate], b"{\"tags\":[]}".to_vec()).await;
    let options = ClientOptions {
        max_attempts: 3,
        ..ClientOptions::default()
    };
    let c = client_for(&host, options);
    let err = c.tags("app").await.unwrap_err();
    assert_eq!(err.kind(), "transport", "{err}");
    assert_eq!(seen.load(Ordering::SeqCst), 3);
    assert_eq!(c.stats().retries, 2);
}

#[tokio::test]
async fn the_fault_kind_of_a_dropped_connection_is_dropped() {
    let (host, _) = scripted_fake(vec![Step::Drop], Vec::new()).await;
    let err = reqwest::get(format!("http://{host}/")).await.unwrap_err();
    assert_eq!(transport::fault_of(&err), retry::Fault::Dropped);
    let (host, _) = scripted_fake(vec![Step::Truncate], vec![b'x'; 64]).await;
    let response = reqwest::get(format!("http://{host}/")).await.unwrap();
    let err = response.bytes().await.unwrap_err();
    assert_eq!(transport::fault_of(&err), retry::Fault::Dropped);
}

/// A fake whose budget counts down from `start` by one per request, announced in Docker
/// Hub's header syntax with a `window` in seconds.
fn counting_budget(
    start: usize,
    window: u64,
) -> (
    impl Fn(&fake::FakeRequest) -> FakeResponse,
    Arc<Mutex<Vec<usize>>>,
) {
    let left = Arc::new(AtomicUsize::new(start));
    let log = Arc::new(Mutex::new(Vec::new()));
    let log_in = log.clone();
    let handler = move |_: &fake::FakeRequest| {
        let now = left.load(Ordering::SeqCst);
        left.store(now.saturating_sub(1), Ordering::SeqCst);
        let remaining = now.saturating_sub(1);
        log_in.lock().unwrap().push(remaining);
        let response = if now == 0 {
            FakeResponse::status(429).body(r#"{"errors":[{"code":"TOOMANYREQUESTS"}]}"#)
        } else {
            FakeResponse::ok(r#"{"name":"app","tags":["a"]}"#)
        };
        response
            .header("RateLimit-Limit", &format!("{start};w={window}"))
            .header("RateLimit-Remaining", &format!("{remaining};w={window}"))
    };
    (handler, log)
}

#[tokio::test]
async fn a_spent_budget_stops_requests_before_they_are_sent() {
    let (handler, log) = counting_budget(3, 21600);
    let fake = FakeServer::start(handler).await;
    let c = client_for(&fake.host(), ClientOptions::default());
    for _ in 0..3 {
        assert_eq!(c.tags("app").await.unwrap(), ["a"]);
    }
    let err = c.tags("app").await.unwrap_err();
    assert_eq!(err.kind(), "rate limited", "{err}");
    assert!(err.to_string().contains("0 of 3"), "{err}");
    assert_eq!(
        log.lock().unwrap().len(),
        3,
        "no request after the budget hit zero"
    );
    assert_eq!(c.rate_limit_exhausted().await, err.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_low_budget_sends_one_request_at_a_time() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak_when_low = Arc::new(AtomicUsize::new(0));
    let (flight, peak) = (in_flight.clone(), peak_when_low.clone());
    // The fake announces a low budget (5 left) on the first answer; every later request
    // must then arrive while no other is being answered.
    let calls = Arc::new(AtomicUsize::new(0));
    let fake = FakeServer::start(move |_| {
        let n = flight.fetch_add(1, Ordering::SeqCst) + 1;
        if calls.fetch_add(1, Ordering::SeqCst) > 0 {
            peak.fetch_max(n, Ordering::SeqCst);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        flight.fetch_sub(1, Ordering::SeqCst);
        FakeResponse::ok(r#"{"name":"app","tags":["a"]}"#)
            .header("RateLimit-Limit", "100;w=21600")
            .header("RateLimit-Remaining", "5;w=21600")
    })
    .await;
    let c = client_for(&fake.host(), ClientOptions::default());
    c.tags("app").await.unwrap();
    let all = (0..12).map(|_| c.tags("app"));
    for r in futures::future::join_all(all).await {
        r.unwrap();
    }
    assert_eq!(peak_when_low.load(Ordering::SeqCst), 1);
    assert_eq!(fake.requests().len(), 13);
}

#[tokio::test]
async fn wait_mode_rides_out_a_short_window() {
    let (handler, log) = counting_budget(1, 1);
    let fake = FakeServer::start(handler).await;
    let options = ClientOptions {
        on_rate_limit: OnRateLimit::Wait,
        max_attempts: 2,
        ..ClientOptions::default()
    };
    let c = client_for(&fake.host(), options);
    assert_eq!(c.tags("app").await.unwrap(), ["a"]);
    // Budget is 0 with a 1 s window: the client waits, then asks (the fake still says
    // 429 as it never refills; the 429 is retried, then reported).
    let err = c.tags("app").await.unwrap_err();
    assert!(
        log.lock().unwrap().len() >= 2,
        "asked again after the window"
    );
    assert_ne!(err.kind(), "rate limited", "{err}");
}
