//! The connections a `FakeServer` is serving, each on its own thread, kept so that
//! stopping the fake can close every one and wait for its thread.

use std::io;
use std::net::{Shutdown, TcpStream};
use std::sync::Mutex;
use std::thread::{self, JoinHandle};

/// Open connections: a handle on each socket and the thread serving it.
#[derive(Default)]
pub(super) struct OpenConnections {
    list: Mutex<Vec<(TcpStream, JoinHandle<()>)>>,
}

impl OpenConnections {
    /// Serves `stream` with `serve` on a new thread, and forgets connections whose
    /// thread has finished.
    pub fn spawn<F>(&self, stream: TcpStream, serve: F) -> io::Result<()>
    where
        F: FnOnce(TcpStream) + Send + 'static,
    {
        let handle = stream.try_clone()?;
        let thread = thread::Builder::new()
            .name("fake-connection".into())
            .spawn(move || serve(stream))?;
        let mut list = self.list.lock().expect("connections lock");
        list.retain(|(_, thread)| !thread.is_finished());
        list.push((handle, thread));
        Ok(())
    }

    /// Shuts every connection down, which ends its thread's wait for the next request,
    /// and joins the threads.
    pub fn close_all(&self) {
        let list = std::mem::take(&mut *self.list.lock().expect("connections lock"));
        for (stream, _) in &list {
            let _ = stream.shutdown(Shutdown::Both);
        }
        for (_, thread) in list {
            let _ = thread.join();
        }
    }
}
