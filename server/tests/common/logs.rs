//! Every log line of a test binary, to search for secrets: the first call
//! installs a subscriber that keeps every event at every level, from pinbridge
//! and its libraries; each call answers what was logged so far.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once) a subscriber that keeps every event at every level, from
/// pinbridge and its libraries, and answers what was logged so far.
pub fn captured() -> String {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    let buffer = LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Captured(buffer.clone());
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        buffer
    });
    String::from_utf8_lossy(&buffer.lock().unwrap()).into_owned()
}
