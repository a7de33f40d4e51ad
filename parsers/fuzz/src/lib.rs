//! What the fuzz targets share: a [`Ledger`] sink that remembers where every line went, and the
//! accounting invariants of `rootcause_parsers`' line parsers, checked line by line.
//!
//! The crate documentation of `rootcause_parsers` promises that every line fed ends up inside a
//! record, consumed as structure (a CSV header) or skipped with a reason. A panic is only one
//! way to break that promise; a line silently dropped or counted twice is another, and the
//! targets assert against both. Each check panics with the offending line so that libFuzzer
//! saves the input as a crash.

use rootcause_parsers::{LineNo, LineParser, Note, Sink, SkipReason, text};

/// A [`Sink`] that keeps every event with its line numbers, including consumed lines (which
/// `VecSink` only counts).
#[derive(Debug)]
pub struct Ledger<R> {
    /// `(first line, lines, record)`, in the order they were finished.
    pub records: Vec<(LineNo, u32, R)>,
    /// Skipped lines with their reasons, in the order they were skipped.
    pub skipped: Vec<(LineNo, SkipReason)>,
    /// `(first line, lines)` understood without a record (headers).
    pub consumed: Vec<(LineNo, u32)>,
    /// Caveats about parsed lines.
    pub notes: Vec<(LineNo, Note)>,
    /// Number of lines fed.
    pub lines: LineNo,
}

impl<R> Default for Ledger<R> {
    fn default() -> Self {
        Ledger {
            records: Vec::new(),
            skipped: Vec::new(),
            consumed: Vec::new(),
            notes: Vec::new(),
            lines: 0,
        }
    }
}

impl<R> Sink<R> for Ledger<R> {
    fn record(&mut self, line: LineNo, lines: u32, rec: R) {
        self.records.push((line, lines, rec));
    }
    fn skip(&mut self, line: LineNo, reason: SkipReason) {
        self.skipped.push((line, reason));
    }
    fn consumed(&mut self, line: LineNo, lines: u32) {
        self.consumed.push((line, lines));
    }
    fn note(&mut self, line: LineNo, note: Note) {
        self.notes.push((line, note));
    }
}

/// Feeds `data` to `parser` line by line, as `rootcause_parsers::parse_bytes` does, into a
/// [`Ledger`].
pub fn feed<P: LineParser>(parser: &mut P, data: &[u8]) -> Ledger<P::Record> {
    let mut ledger = Ledger::default();
    let mut no: LineNo = 0;
    for line in text::lines(data) {
        no += 1;
        parser.line(line, no, &mut ledger);
    }
    parser.finish(&mut ledger);
    ledger.lines = no;
    ledger
}

/// Index of line `l` (1-based) in a per-line table of `n` lines; panics when out of range.
fn slot(l: LineNo, n: LineNo, what: &str) -> usize {
    assert!(l >= 1 && l <= n, "{what} at line {l}, outside the {n} lines fed");
    usize::try_from(l - 1).unwrap_or(usize::MAX)
}

/// Where each line went: 0 nowhere yet, else the number of places. Records, skips and consumed
/// spans are marked; notes must fall on lines that were not skipped.
fn common_checks<R>(l: &Ledger<R>) -> Vec<u8> {
    let n = l.lines;
    let mut seen = vec![0u8; usize::try_from(n).unwrap_or(0)];
    for w in l.records.windows(2) {
        assert!(w[0].0 < w[1].0, "records out of order: line {} then line {}", w[0].0, w[1].0);
    }
    for (line, _) in &l.skipped {
        let k = slot(*line, n, "skip");
        seen[k] = seen[k].saturating_add(1);
        assert!(seen[k] == 1, "line {line} skipped twice");
    }
    for (line, note) in &l.notes {
        let k = slot(*line, n, "note");
        assert!(seen[k] == 0, "note {note:?} on line {line}, which was skipped");
    }
    seen
}

/// The invariant for formats whose records span contiguous lines (every format but Postgres):
/// each line fed is in exactly one record, consumed span or skip.
pub fn assert_contiguous<R>(l: &Ledger<R>) {
    let n = l.lines;
    let mut seen = common_checks(l);
    let spans = l
        .records
        .iter()
        .map(|(line, lines, _)| (*line, *lines, "record"))
        .chain(l.consumed.iter().map(|(line, lines)| (*line, *lines, "consumed span")));
    for (first, lines, what) in spans {
        assert!(lines >= 1, "empty {what} at line {first}");
        for line in first..first + LineNo::from(lines) {
            let k = slot(line, n, what);
            seen[k] = seen[k].saturating_add(1);
            assert!(seen[k] == 1, "line {line} accounted twice (second time in a {what})");
        }
    }
    if let Some(k) = seen.iter().position(|s| *s == 0) {
        panic!("line {} is in no record, consumed span or skip", k + 1);
    }
}

/// The invariant for Postgres, whose records may fold a tab continuation that follows a foreign
/// (skipped) line: nothing is consumed, the lines before the first record are all skipped, and
/// each record holds exactly the lines from its first line up to the next record's that were
/// not skipped (its first line never is).
pub fn assert_folded<R>(l: &Ledger<R>) {
    let n = l.lines;
    let seen = common_checks(l);
    assert!(l.consumed.is_empty(), "Postgres consumed lines: {:?}", l.consumed);
    let skipped = |from: LineNo, to: LineNo| -> LineNo {
        (from..to)
            .filter(|line| seen.get(usize::try_from(line - 1).unwrap_or(usize::MAX)) == Some(&1))
            .count() as LineNo
    };
    let first = l.records.first().map_or(n + 1, |r| r.0);
    assert_eq!(skipped(1, first), first - 1, "a line before the first record is not skipped");
    for (k, (line, lines, _)) in l.records.iter().enumerate() {
        let k_slot = slot(*line, n, "record");
        assert!(seen[k_slot] == 0, "line {line} is both skipped and a record's first line");
        let end = l.records.get(k + 1).map_or(n + 1, |r| r.0);
        let held = (end - line) - skipped(*line, end);
        assert_eq!(
            LineNo::from(*lines),
            held,
            "the record at line {line} claims {lines} lines but lines {line}..{end} hold {held}"
        );
    }
}

/// A record without a time must say why: a `NoTimestamp` or `BadTimestamp` note on its first
/// line (the report counts those, and a silent gap would hide lines from the timeline).
pub fn assert_untimed_noted<R>(l: &Ledger<R>, untimed: impl Fn(&R) -> bool) {
    for (line, _, r) in &l.records {
        if untimed(r) {
            assert!(
                l.notes.iter().any(|(n, note)| {
                    n == line && matches!(note, Note::NoTimestamp | Note::BadTimestamp)
                }),
                "the record at line {line} has no time and no note saying why"
            );
        }
    }
}

/// A sniffer's verdict: a score from 0 to 1 and a reason to show.
pub fn assert_detection(d: Option<&rootcause_parsers::Detection>) {
    if let Some(d) = d {
        assert!((0.0..=1.0).contains(&d.score), "score {} out of 0..=1: {}", d.score, d.reason);
        assert!(!d.reason.is_empty(), "a detection without a reason");
    }
}

/// True when `s` holds an ASCII control character other than `\t` and `\n` (so also the ESC of
/// an ANSI escape), which the parsers promise to keep out of the text they return.
pub fn has_control(s: &str) -> bool {
    s.bytes().any(|c| (c < 0x20 && c != b'\t' && c != b'\n') || c == 0x7f)
}

/// The invariant for the platform streams, whose records gather the lines of one instance that
/// interleave with other instances' and are finished out of line order: every line fed is
/// counted exactly once (`lines` of records + consumed + skipped), no line starts two records
/// or is both a record's first line and skipped, and every line named is one that was fed.
pub fn assert_counted<R>(l: &Ledger<R>) {
    let n = l.lines;
    let mut starts = vec![0u8; usize::try_from(n).unwrap_or(0)];
    let firsts = l
        .records
        .iter()
        .map(|(line, _, _)| (*line, "record"))
        .chain(l.skipped.iter().map(|(line, _)| (*line, "skip")));
    for (line, what) in firsts {
        let k = slot(line, n, what);
        starts[k] = starts[k].saturating_add(1);
        assert!(starts[k] == 1, "line {line} starts two records or skips (second: a {what})");
    }
    for (line, note) in &l.notes {
        slot(*line, n, "note");
        assert!(
            l.skipped.iter().all(|(s, _)| s != line),
            "note {note:?} on line {line}, which was skipped"
        );
    }
    let mut total: u64 = l.skipped.len() as u64;
    for (line, lines, _) in &l.records {
        assert!(*lines >= 1, "empty record at line {line}");
        total += u64::from(*lines);
    }
    for (line, lines) in &l.consumed {
        slot(*line, n, "consumed span");
        total += u64::from(*lines);
    }
    assert_eq!(total, n, "lines counted {total} != lines fed {n}");
}

/// Longest text a Postgres record keeps in a field: [`MAX_FIELD_BYTES`] and the `…` of a cut.
///
/// [`MAX_FIELD_BYTES`]: rootcause_parsers::postgres::MAX_FIELD_BYTES
pub const PG_MAX_KEPT: usize = rootcause_parsers::postgres::MAX_FIELD_BYTES + '…'.len_utf8();

/// Every text a Postgres record keeps is at most [`PG_MAX_KEPT`] bytes without a control
/// character (only the long fields, a message or a statement, may hold newlines; the short
/// ones, a user or a session id, may only when `short_newlines`: a csvlog cell can).
pub fn assert_pg_texts(
    ledger: &Ledger<rootcause_parsers::postgres::PgRecord>,
    short_newlines: bool,
) {
    for (line, _, r) in &ledger.records {
        let long = [&r.detail, &r.hint, &r.statement, &r.context, &r.query, &r.location];
        for t in std::iter::once(&r.message).chain(long.into_iter().flatten()) {
            assert!(t.len() <= PG_MAX_KEPT, "line {line}: a field of {} bytes", t.len());
            assert!(!has_control(t), "line {line}: control character in {t:?}");
        }
        let short = [&r.sqlstate, &r.user, &r.db, &r.app, &r.client, &r.session_id];
        for t in short.into_iter().chain([&r.backend_type, &r.command_tag, &r.vxid]).flatten() {
            assert!(t.len() <= PG_MAX_KEPT, "line {line}: a short field of {} bytes", t.len());
            assert!(!has_control(t), "line {line}: control character in {t:?}");
            assert!(short_newlines || !t.contains('\n'), "line {line}: newline in {t:?}");
        }
    }
}
