//! wrk and wrk2 text summaries.

use crate::aggregate::Aggregate;
use crate::{Detection, LineNo, LineParser, Sink};

/// The streaming parser.
#[derive(Debug, Default)]
pub struct Parser {}

impl Parser {
    /// A parser that reads its header from the first non-blank line.
    pub fn new(opts: crate::loadtest::Options) -> Parser {
        let _ = opts;
        Parser {}
    }
}

impl LineParser for Parser {
    type Record = Aggregate;
    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<Aggregate>) {
        let _ = (line, no, sink);
    }
    fn finish(&mut self, sink: &mut dyn Sink<Aggregate>) {
        let _ = sink;
    }
}

/// How sure we are that `head` is a wrk or wrk2 summary.
pub fn sniff(head: &[u8]) -> Option<Detection> {
    let _ = head;
    None
}
