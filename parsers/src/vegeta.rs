//! vegeta's `encode --to csv` output: no header, 12 columns (6 in old versions), one row per
//! request; times in nanoseconds.

use crate::loadtest::Request;
use crate::{Detection, LineNo, LineParser, Sink};

/// The streaming parser.
#[derive(Debug, Default)]
pub struct Parser {}

impl Parser {
    /// A parser that reads rows from the first line.
    pub fn new(opts: crate::loadtest::Options) -> Parser {
        let _ = opts;
        Parser {}
    }
}

impl LineParser for Parser {
    type Record = Request;
    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<Request>) {
        let _ = (line, no, sink);
    }
    fn finish(&mut self, sink: &mut dyn Sink<Request>) {
        let _ = sink;
    }
}

/// How sure we are that `head` is vegeta CSV output.
pub fn sniff(head: &[u8]) -> Option<Detection> {
    let _ = head;
    None
}
