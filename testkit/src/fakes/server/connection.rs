//! One client connection of a `FakeServer`, served on a thread of its own: requests are
//! read one after another off the same socket, each recorded, answered by the fake's
//! handler and written back before the next is read, until the client closes the
//! connection or asks to (`Connection: close`, HTTP/1.0 without `keep-alive`), or sends
//! something this server does not read (answered 400 or 413, then closed). A closing
//! reply does not say `Connection: close`: tiny_http's `Response` drops that header, and
//! the client learns of the close from the end of the stream, as it did with tiny_http.

use std::io::{self, BufRead, BufReader, BufWriter, Read as _, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Mutex;

use tiny_http::{HTTPVersion, Response};

use super::head::Head;
use super::request::RecordedRequest;
use super::Reply;
use crate::request_head::read_head;

/// Largest request body read: the fakes receive logins and small JSON forms, so a larger
/// body is a client bug, answered 413.
const BODY_CAP: u64 = 1024 * 1024;

/// What a fake answers a request with, given the request and the fake's own
/// `127.0.0.1:PORT`.
pub(super) type Handler = dyn Fn(&RecordedRequest, &str) -> Reply + Send + Sync;

/// What every connection of one fake shares.
pub(super) struct Shared {
    /// The fake's answers.
    pub handler: Box<Handler>,
    /// Every request so far, in the order their bodies were read.
    pub log: Mutex<Vec<RecordedRequest>>,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

/// Serves `stream` until the connection ends, then shuts it down (the fake keeps a
/// handle on the socket, so dropping this one would not close it).
pub(super) fn serve(stream: TcpStream, shared: &Shared) {
    let _ = try_serve(&stream, shared);
    let _ = stream.shutdown(Shutdown::Both);
}

fn try_serve(stream: &TcpStream, shared: &Shared) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut writer = BufWriter::new(stream);
    while let Some((head, body)) = next_request(&mut reader, &mut writer)? {
        let keep_alive = head.keep_alive();
        let Head {
            mut request,
            version,
        } = head;
        request.body = String::from_utf8_lossy(&body).into_owned();
        answer(&mut writer, shared, &request, version)?;
        if !keep_alive {
            break;
        }
    }
    Ok(())
}

/// The next request's head and body; `None` when the client closed the connection, or
/// sent what this server does not read and has been refused.
fn next_request(
    reader: &mut impl BufRead,
    writer: &mut impl Write,
) -> io::Result<Option<(Head, Vec<u8>)>> {
    let (raw, body_len) = match read_head(reader) {
        Ok(Some(next)) => next,
        Ok(None) => return Ok(None),
        Err(e) => return refuse(writer, 400, &e.to_string()),
    };
    let Some(head) = Head::parse(&raw) else {
        return refuse(writer, 400, "not an HTTP/1.x request");
    };
    if body_len > BODY_CAP {
        return refuse(writer, 413, "request body too large for a fake");
    }
    if head.expects_continue() && body_len > 0 {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        writer.flush()?;
    }
    let mut body = Vec::new();
    reader.take(body_len).read_to_end(&mut body)?;
    Ok(Some((head, body)))
}

/// Records `request`, asks the handler and writes its reply.
fn answer(
    writer: &mut impl Write,
    shared: &Shared,
    request: &RecordedRequest,
    version: HTTPVersion,
) -> io::Result<()> {
    shared.log.lock().expect("log lock").push(request.clone());
    let reply = (shared.handler)(request, &shared.addr);
    reply.raw_print(&mut *writer, version, &[], request.method == "HEAD", None)?;
    writer.flush()
}

/// Answers `status` with `message` and ends the connection (`None`): past a request it did
/// not read, the server cannot tell where the next one would start.
fn refuse<T>(writer: &mut impl Write, status: u16, message: &str) -> io::Result<Option<T>> {
    Response::from_string(format!("fake server: {message}"))
        .with_status_code(status)
        .raw_print(&mut *writer, HTTPVersion(1, 1), &[], false, None)?;
    writer.flush()?;
    Ok(None)
}
