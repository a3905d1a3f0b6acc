//! `FakeServer` spoken to over raw sockets, so each test sees exactly which connection
//! waits, stays open or is closed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;

use super::{json, FakeServer};

/// Connections opened at once: well above the four idle threads tiny_http's pool starts
/// with and the ten a crawl of ten repositories opens. On tiny_http this burst left at
/// least one connection unserved in about 85% of tries (12 connections: about 35%).
const BURST: usize = 32;

/// Fresh fakes each hit by one burst, so a race that a single burst escapes is still met.
const FAKES: usize = 4;

/// Requests sent on each connection, one after the other, to prove it stays alive.
const ROUNDS: usize = 3;

/// How long a client waits for an answer before calling it a stall: far beyond what a
/// local fake needs, far below the 60 s a stalled crawl waited.
const PATIENCE: Duration = Duration::from_secs(10);

/// A fake that answers every request with its method, path and body.
fn echo() -> FakeServer {
    FakeServer::start(|req, _| {
        json(
            200,
            &json!({ "method": req.method, "url": req.url, "body": req.body }),
        )
    })
    .expect("fake starts")
}

/// A client connection: the socket to write requests to and a reader for answers.
struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(fake: &FakeServer) -> Client {
        let stream = TcpStream::connect(fake.addr()).expect("connects");
        stream
            .set_read_timeout(Some(PATIENCE))
            .expect("timeout set");
        let reader = BufReader::new(stream.try_clone().expect("stream clones"));
        Client { stream, reader }
    }

    /// Sends raw request bytes.
    fn send(&mut self, raw: &str) {
        self.stream.write_all(raw.as_bytes()).expect("request sent");
    }

    /// Sends `GET path` on a kept-alive connection.
    fn get(&mut self, path: &str) {
        self.send(&format!("GET {path} HTTP/1.1\r\nHost: fake\r\n\r\n"));
    }

    /// Reads one answer, its body only if `with_body`, or says why it could not.
    fn answer(&mut self, with_body: bool) -> Result<Answer, String> {
        let mut status_line = String::new();
        self.reader
            .read_line(&mut status_line)
            .map_err(|e| format!("no status line: {e}"))?;
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {status_line:?}"))?;
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader
                .read_line(&mut line)
                .map_err(|e| format!("headers cut: {e}"))?;
            match line.trim_end().split_once(':') {
                Some((name, value)) => {
                    headers.push((name.to_ascii_lowercase(), value.trim().to_string()))
                }
                None => break,
            }
        }
        let mut answer = Answer {
            status,
            headers,
            body: Vec::new(),
        };
        if with_body {
            let length = answer.header("content-length").ok_or("no Content-Length")?;
            answer.body = vec![0; length.parse().map_err(|_| "bad Content-Length")?];
            self.reader
                .read_exact(&mut answer.body)
                .map_err(|e| format!("body cut: {e}"))?;
        }
        Ok(answer)
    }

    /// Whether the server has closed the connection (end of file, nothing more sent).
    fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        matches!(self.reader.read_to_end(&mut rest), Ok(0))
    }
}

/// One answer as read off the socket.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// Opens `BURST` connections to `fake` at once and sends `ROUNDS` requests on each.
fn burst(fake: &FakeServer) {
    let mut clients: Vec<_> = (0..BURST).map(|_| Client::connect(fake)).collect();
    for round in 0..ROUNDS {
        for (i, client) in clients.iter_mut().enumerate() {
            client.get(&format!("/c{i}/r{round}"));
        }
        for (i, client) in clients.iter_mut().enumerate() {
            let got = client
                .answer(true)
                .unwrap_or_else(|e| panic!("connection {i}, request {round}: {e}"));
            assert_eq!(got.status, 200);
            assert_eq!(got.json()["url"], format!("/c{i}/r{round}"));
        }
    }
    assert_eq!(fake.requests().len(), BURST * ROUNDS);
}

#[test]
fn a_burst_of_kept_alive_connections_is_answered_on_every_one() {
    for _ in 0..FAKES {
        burst(&echo());
    }
}

#[test]
fn bodies_are_read_by_length_and_head_answers_carry_none() {
    let fake = echo();
    let mut client = Client::connect(&fake);
    client.send("POST /login HTTP/1.1\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
    client.send("HEAD /h HTTP/1.1\r\n\r\n");
    client.get("/after");
    let posted = client.answer(true).expect("POST answered");
    assert_eq!(posted.json()["body"], "{\"a\":1}");
    let head = client.answer(false).expect("HEAD answered");
    assert_ne!(head.header("content-length"), Some("0"));
    let after = client.answer(true).expect("GET answered");
    assert_eq!(after.json()["url"], "/after", "HEAD sent no body");
    let recorded: Vec<_> = fake.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(recorded, ["POST", "HEAD", "GET"]);
}

#[test]
fn a_client_that_waits_for_continue_gets_it() {
    let fake = echo();
    let mut client = Client::connect(&fake);
    client.send("PUT /p HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    assert_eq!(client.answer(false).expect("interim answer").status, 100);
    client.send("hi");
    assert_eq!(client.answer(true).expect("answered").json()["body"], "hi");
}

#[test]
fn connection_close_is_honoured() {
    let fake = echo();
    let mut client = Client::connect(&fake);
    client.send("GET /bye HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(client.answer(true).expect("answered").status, 200);
    assert!(client.closed());

    let mut old = Client::connect(&fake);
    old.send("GET /old HTTP/1.0\r\n\r\n");
    assert_eq!(old.answer(true).expect("answered").status, 200);
    assert!(old.closed());
}

#[test]
fn what_is_not_a_readable_request_is_refused_and_closed() {
    let fake = echo();
    for raw in [
        "NONSENSE\r\n\r\n",
        "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n",
    ] {
        let mut client = Client::connect(&fake);
        client.send(raw);
        assert_eq!(client.answer(true).expect("answered").status, 400, "{raw}");
        assert!(client.closed(), "{raw}");
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn dropping_the_fake_closes_kept_alive_connections() {
    let fake = echo();
    let mut client = Client::connect(&fake);
    client.get("/one");
    client.answer(true).expect("answered");
    let (dropped, done) = mpsc::channel();
    std::thread::spawn(move || {
        drop(fake);
        let _ = dropped.send(());
    });
    done.recv_timeout(PATIENCE)
        .expect("dropping the fake returns while a client holds a connection open");
    assert!(client.closed());
}
