//! A server's console output. (stub: API fixed, implementation in progress)

use crate::time::{Micros, TimeOptions};
use crate::traceback::Traceback;
use crate::{Detection, Level, LineNo, LineParser, Sink};

/// Which envelope a console line was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// gunicorn's error log: `[2026-11-25 15:42:08 +0000] [29798] [INFO] msg`.
    Gunicorn,
    /// werkzeug's logger: `127.0.0.1 - - [25/Nov/2026 15:40:52] msg`.
    Werkzeug,
    /// No envelope: plain text.
    Plain,
}

/// A log line of the server console.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleLog {
    /// Timestamp from the envelope, or inferred (see `ts_inferred`).
    pub ts: Option<Micros>,
    /// True when `ts` was taken from the previous timestamped line.
    pub ts_inferred: bool,
    /// Process id from the envelope.
    pub pid: Option<u32>,
    /// Level from the envelope.
    pub level: Option<Level>,
    /// The message, ANSI escapes removed.
    pub message: String,
    /// The envelope.
    pub envelope: Envelope,
}

/// An HTTP access line (werkzeug, gunicorn access log).
#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    /// Timestamp.
    pub ts: Option<Micros>,
    /// Client address.
    pub client: String,
    /// Request method.
    pub method: String,
    /// Request path with query.
    pub path: String,
    /// Status code; `None` when printed as `-`.
    pub status: Option<u16>,
}

/// A traceback printed on the console, with what introduced it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleTraceback {
    /// Timestamp of the introducing line, else inferred from the previous timestamped line.
    pub ts: Option<Micros>,
    /// True when `ts` was inferred.
    pub ts_inferred: bool,
    /// The line that introduced it (`Error handling request /x`, `Exception in worker process`,
    /// werkzeug's `Error on request:`), if any.
    pub intro: Option<String>,
    /// Client address from the socketserver banner
    /// `Exception happened during processing of request from ('127.0.0.1', 50330)`.
    pub client: Option<String>,
    /// The traceback.
    pub traceback: Traceback,
    /// Offset (in lines) of the `Traceback (most recent call last):` header from the record's
    /// first line.
    pub header_offset: u32,
}

/// One console record.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsoleRecord {
    /// A log line (enveloped or plain).
    Log(ConsoleLog),
    /// An HTTP access line.
    Access(Access),
    /// A traceback block.
    Traceback(ConsoleTraceback),
}

/// How sure we are that `head` is a server console log.
pub fn sniff(head: &[u8]) -> Option<Detection> {
    let _ = head;
    None
}

/// The streaming parser.
#[derive(Debug, Default)]
pub struct Parser {
    time: TimeOptions,
}

impl Parser {
    /// A parser reading zone-less stamps with `time`.
    pub fn new(time: TimeOptions) -> Parser {
        Parser { time }
    }
}

impl LineParser for Parser {
    type Record = ConsoleRecord;
    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<ConsoleRecord>) {
        let _ = (line, self.time);
        sink.skip(no, crate::SkipReason::Unrecognised);
    }
    fn finish(&mut self, sink: &mut dyn Sink<ConsoleRecord>) {
        let _ = sink;
    }
}
