//! The HTTP server every fake runs on: 127.0.0.1:0, one thread per client connection,
//! every request recorded, all connections closed and their threads joined on drop.
//!
//! A connection's thread reads its requests one after another (HTTP/1.1 keep-alive), so
//! a kept-alive connection occupies that thread alone and no connection ever waits for
//! another. The fakes used to run on tiny_http 0.12's server, whose task pool gives each
//! connection a pool thread for its whole life but, when connections arrive in a burst
//! while a thread is idle, queues the later ones behind a single wake-up: they waited
//! until some kept-alive connection closed, which a crawler asking for ten repositories'
//! tags at once saw as requests hanging until its 60 s timeout (tiny_http ignores a
//! `Connection: close` reply header, so closing every connection was no way out). A
//! thread per connection removes that race for certain and costs nothing at the few
//! dozen connections a test opens. Replies are still tiny_http [`Response`]s, written
//! with its `raw_print`, so the fakes build them as before; handlers must now be `Sync`,
//! since connections' threads call them at once, as a real service answers in parallel.
//!
//! Request heads are read as the latency proxy reads them ([`crate::request_head`]);
//! bodies need a `Content-Length` (chunked ones are refused with 400: no client of the
//! fakes sends one).

mod connection;
mod head;
mod open;
mod request;

use std::io::Cursor;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tiny_http::{Header, Response};

use connection::Shared;
use open::OpenConnections;

pub use request::RecordedRequest;
pub(crate) use request::{percent_decode, query_param};

/// A response body as every fake builds it.
pub(crate) type Reply = Response<Cursor<Vec<u8>>>;

/// A running fake server.
pub(crate) struct FakeServer {
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Serves `handler` on a fresh port of 127.0.0.1 until dropped; it may be called from
    /// several connections' threads at once.
    pub fn start<H>(handler: H) -> anyhow::Result<Self>
    where
        H: Fn(&RecordedRequest, &str) -> Reply + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let shared = Arc::new(Shared {
            handler: Box::new(handler),
            log: Mutex::new(Vec::new()),
            addr: listener.local_addr()?.to_string(),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (shared, stop) = (Arc::clone(&shared), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("fake-accept".into())
                .spawn(move || accept_loop(&listener, &shared, &stop))?
        };
        Ok(FakeServer {
            shared,
            stop,
            accept: Some(accept),
        })
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        &self.shared.addr
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log.lock().expect("log lock").clone()
    }
}

/// Accepts connections until `stop` is set, serving each on its own thread, then closes
/// them all.
fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, stop: &AtomicBool) {
    let open = OpenConnections::default();
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        // Replies leave as soon as they are written, not after the client's delayed ACK
        // (about 40 ms on Linux), which a benchmark would take for the vendor's latency.
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(shared);
        let _ = open.spawn(stream, move |stream| connection::serve(stream, &shared));
    }
    open.close_all();
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(&self.shared.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// A JSON reply with `status`.
pub(crate) fn json(status: u16, value: &serde_json::Value) -> Reply {
    Response::from_data(serde_json::to_vec(value).expect("JSON serialises"))
        .with_status_code(status)
        .with_header(header("Content-Type", "application/json"))
}

/// A header, which the fakes only build from valid ASCII.
pub(crate) fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

#[cfg(test)]
mod tests;
