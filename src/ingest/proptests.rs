//! Property tests of reading (issue 8): an input read in arbitrary chunks, plain or gzipped,
//! gives the same lines, the same events and the same [`LineStats`] as read whole.
//!
//! The inputs are the parsers' generated documents (real, mutated and random lines of every
//! format, shared through `#[path]` with `parsers/tests/properties/inputs.rs`). The readers
//! hand out the bytes in chunk sizes drawn by proptest, sometimes failing with `Interrupted`
//! (which the `Read` contract allows), and go through the real path: [`read::decode`] (gzip
//! recognised from the first bytes), [`LineReader`], sniffing and [`ingest_from`]. A small
//! `max_line` is drawn too, so that the `line_too_long` path runs at every chunk boundary.
//!
//! 256 cases per property by default (`PROPTEST_CASES` raises it).

#[path = "../../parsers/tests/properties/inputs.rs"]
mod inputs;

use std::io::{self, Read, Write};

use flate2::Compression as Level;
use flate2::write::GzEncoder;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use super::read::{self, Compression, Line, LineReader};
use super::{IngestOptions, Input, LineStats, SourceInfo, ingest_from};
use crate::model::Event;

/// What one `read` call does: return at most `bytes` bytes (at least one), after failing
/// once with `ErrorKind::Interrupted` when `interrupted`, which the caller must retry.
#[derive(Debug, Clone, Copy)]
struct Step {
    bytes: usize,
    interrupted: bool,
}

/// A reader that hands out its bytes as `steps` say, cycling through them.
struct Chunked {
    bytes: Vec<u8>,
    at: usize,
    steps: Vec<Step>,
    next: usize,
    /// The current step's interruption was returned.
    was_interrupted: bool,
}

impl Chunked {
    fn new(bytes: Vec<u8>, steps: &[Step]) -> Chunked {
        Chunked { bytes, at: 0, steps: steps.to_vec(), next: 0, was_interrupted: false }
    }
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let step = self.steps.get(self.next % self.steps.len().max(1)).copied();
        let step = step.unwrap_or(Step { bytes: usize::MAX, interrupted: false });
        if step.interrupted && !self.was_interrupted {
            self.was_interrupted = true;
            return Err(io::ErrorKind::Interrupted.into());
        }
        self.was_interrupted = false;
        self.next += 1;
        let rest = self.bytes.get(self.at..).unwrap_or_default();
        let n = step.bytes.min(buf.len()).min(rest.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let bytes = prop_oneof![
        8 => 1..64usize,
        4 => 1..4096usize,
        1 => 4096..(300usize << 10),
    ];
    let step = (bytes, proptest::bool::weighted(0.1))
        .prop_map(|(bytes, interrupted)| Step { bytes, interrupted });
    vec(step, 1..12)
}

/// The longest line kept: the default, or a small limit that long lines cross.
fn max_line() -> impl Strategy<Value = usize> {
    prop_oneof![1 => Just(IngestOptions::default().max_line), 2 => 1..2048usize]
}

/// What [`LineReader`] should hand out: the lines of `bytes` (escaped, so that a failure
/// prints readably), those longer than `max_line` (counting a `\r` before the `\n`) as `None`.
fn expected_lines(bytes: &[u8], max_line: usize) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        let text = rootcause_parsers::text::trim_cr(line).escape_ascii().to_string();
        out.push((line.len() <= max_line).then_some(text));
        rest = next;
    }
    out
}

fn read_lines(r: impl Read, max_line: usize) -> (Vec<Option<String>>, u64) {
    let mut lr = LineReader::new(r, max_line);
    let mut out = Vec::new();
    loop {
        match lr.next_line() {
            Ok(Some(Line::Text(t))) => out.push(Some(t.escape_ascii().to_string())),
            Ok(Some(Line::TooLong)) => out.push(None),
            Ok(None) => break,
            Err(e) => panic!("in-memory reads fail only with Interrupted, which is retried: {e}"),
        }
    }
    (out, lr.bytes)
}

fn options(max_line: usize) -> IngestOptions {
    IngestOptions { max_line, ..IngestOptions::default() }
}

fn ingest_reader(r: impl Read + Send + 'static, o: &IngestOptions) -> (SourceInfo, Vec<Event>) {
    let opened = read::decode(Box::new(r), o.max_decompressed);
    ingest_from(0, &Input::Stdin, opened, o)
}

/// `bytes` gzipped, as two members when `split` falls inside (`MultiGzDecoder` reads both).
fn gzip(bytes: &[u8], split: Index) -> Vec<u8> {
    let at = split.index(bytes.len() + 1);
    let mut out = Vec::new();
    for part in [&bytes[..at], &bytes[at..]] {
        if part.is_empty() && !out.is_empty() {
            continue;
        }
        let mut enc = GzEncoder::new(Vec::new(), Level::fast());
        enc.write_all(part).expect("writing to memory");
        out.extend(enc.finish().expect("writing to memory"));
    }
    out
}

/// Every line is parsed or skipped, and every record is one event.
fn accounted(stats: &LineStats, events: &[Event]) -> Result<(), TestCaseError> {
    prop_assert_eq!(stats.parsed + stats.skipped, stats.lines, "parsed + skipped != lines");
    prop_assert_eq!(stats.records, events.len() as u64, "records != events");
    Ok(())
}

fn config() -> ProptestConfig {
    // Failures are kept as named regression tests instead of proptest-regressions files.
    ProptestConfig { failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn line_reader_gives_the_same_lines_in_any_chunks(
        d in inputs::any_doc(),
        steps in steps(),
        max_line in max_line(),
    ) {
        let bytes = d.bytes();
        let expected = expected_lines(&bytes, max_line);
        let (whole, n) = read_lines(&bytes[..], max_line);
        prop_assert_eq!(&whole, &expected, "read whole");
        prop_assert_eq!(n, bytes.len() as u64);
        let (chunked, n) = read_lines(Chunked::new(bytes.clone(), &steps), max_line);
        prop_assert_eq!(&chunked, &expected, "read in chunks");
        prop_assert_eq!(n, bytes.len() as u64);
    }

    #[test]
    fn ingest_gives_the_same_events_in_any_chunks(
        d in inputs::any_doc(),
        steps in steps(),
        max_line in max_line(),
    ) {
        let bytes = d.bytes();
        let o = options(max_line);
        let (info, events) = ingest_reader(io::Cursor::new(bytes.clone()), &o);
        prop_assert_eq!(info.error.as_deref(), None);
        prop_assert_eq!(info.compression, Compression::None);
        prop_assert_eq!(info.bytes, bytes.len() as u64);
        accounted(&info.stats, &events)?;
        let (chunked_info, chunked_events) = ingest_reader(Chunked::new(bytes, &steps), &o);
        prop_assert_eq!(&chunked_info, &info);
        prop_assert_eq!(&chunked_events, &events);
    }

    #[test]
    fn gzip_gives_the_same_events_in_any_chunks(
        d in inputs::any_doc(),
        steps in steps(),
        max_line in max_line(),
        split in any::<Index>(),
    ) {
        let bytes = d.bytes();
        let o = options(max_line);
        let (info, events) = ingest_reader(io::Cursor::new(bytes.clone()), &o);
        let (gz_info, gz_events) = ingest_reader(Chunked::new(gzip(&bytes, split), &steps), &o);
        prop_assert_eq!(gz_info.compression, Compression::Gzip);
        prop_assert_eq!(gz_info.error.as_deref(), None);
        prop_assert_eq!(gz_info.bytes, info.bytes);
        prop_assert_eq!((gz_info.format, &gz_info.reason), (info.format, &info.reason));
        prop_assert_eq!(&gz_info.stats, &info.stats);
        prop_assert_eq!(&gz_events, &events);
    }
}
