//! Ingest: the only stage that reads input.
//!
//! For every input (file, folder entry, or stdin) it opens the bytes, decompresses them when
//! they start with gzip's magic, drops the NUL padding a crash or a `copytruncate` rotation
//! leaves at the start, sniffs the format from the first 64 KiB of content (or takes
//! `--input-format`), and streams every line through that format's parser. Inputs are parsed in
//! parallel on a local rayon pool and collected in input order, so the result is identical for
//! any thread count. Every line ends up in a record, consumed (a CSV header), or skipped with a
//! reason; [`LineStats`] keeps the counts and the first locations of each reason.
//!
//! As an input is parsed, chunk by chunk, [`times::Settler`] fills in the times its lines lack
//! from their neighbours and counts the lines out of time order, both as notes of the input.
//! For an analysis ([`ingest_for`] with an [`Analysis`]), [`post`] then matches the catalog on
//! each chunk and keeps only what the later stages read, in compact form; `timeline` keeps
//! every event whole.
//!
//! An input that cannot be read is kept in [`Ingested::sources`] with its error; the other
//! inputs are still analysed.

pub mod copies;
pub mod discover;
pub mod post;
pub mod read;
pub mod times;

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use rootcause_parsers::aggregate::Aggregate;
use rootcause_parsers::postgres::{self, PgRecord, Prefix};
use rootcause_parsers::sniff::{self, Format};
use rootcause_parsers::time::TimeOptions;
use rootcause_parsers::{
    LineNo, LineParser, Micros, Note, Sink, SkipReason, console, jsonlog, k6, loadtest, locust,
    platform, vegeta, wrk,
};

use crate::funnel::{StageMatcher, StageMemo};
use crate::model::{AppLog, Event, EventKind, Req, SourceId, Strings};
pub use discover::Input;
pub use post::Analysis;
use post::Post;
use read::{Compression, Line, LineReader, Lines};

/// How many bytes of an input the sniffer sees.
pub const HEAD_BYTES: usize = 64 << 10;
/// How many locations are kept per skip reason or note.
pub const MAX_LOCATIONS: usize = 5;

/// Default of `--max-decompressed`: a compressed input stops with an error once it has
/// decompressed to 4 GiB.
///
/// Why a fixed size and not a multiple of the compressed size: deflate tops out near 1000:1,
/// and a log of near-identical lines gets close to that honestly, so no ratio tells a bomb from
/// a repetitive log; a fixed cap bounds the work either way. Why 4 GiB: it is more than the
/// logs of a load test (tens of MB to a few GB), and about as much as the analysis holds
/// comfortably (requests and stage events stay in memory in compact form, see [`post`]);
/// reading it takes seconds. Plain files have no limit: their size is on disk for all to see.
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 4 << 30;
/// Default longest line: longer lines are skipped as `line_too_long` without being held.
pub const DEFAULT_MAX_LINE: usize = 32 << 20;

/// Options for [`ingest`].
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// How to read timestamps without a zone.
    pub time: TimeOptions,
    /// `--pg-prefix`: the Postgres log_line_prefix, instead of inferring it.
    pub pg_prefix: Option<Prefix>,
    /// Recognises funnel stages in application messages.
    pub stages: StageMatcher,
    /// `--input-format PATH=FORMAT` overrides.
    pub formats: Vec<(PathBuf, Format)>,
    /// Largest decompressed size accepted per input.
    pub max_decompressed: u64,
    /// Longest line kept; longer lines are skipped as `line_too_long`.
    pub max_line: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            time: TimeOptions::default(),
            pg_prefix: None,
            stages: StageMatcher::default(),
            formats: Vec::new(),
            max_decompressed: DEFAULT_MAX_DECOMPRESSED,
            max_line: DEFAULT_MAX_LINE,
        }
    }
}

/// Count and first locations of one skip reason or note.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Occurrences {
    /// How many lines.
    pub count: u64,
    /// The first few line numbers, ascending.
    pub first_lines: Vec<LineNo>,
}

impl Occurrences {
    /// Adds `other`'s count and keeps the first lines of both.
    fn merge(&mut self, other: &Occurrences) {
        let count = self.count + other.count;
        for &l in &other.first_lines {
            self.add(l);
        }
        self.count = count;
    }

    fn add(&mut self, line: LineNo) {
        self.count += 1;
        // Lines mostly come in ascending order, but the pass after parsing ([`times::settle`])
        // can add a line before those the parser noted.
        let at = self.first_lines.partition_point(|&l| l <= line);
        if at < MAX_LOCATIONS {
            self.first_lines.insert(at, line);
            self.first_lines.truncate(MAX_LOCATIONS);
        }
    }
}

/// Line accounting for one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineStats {
    /// Lines read.
    pub lines: u64,
    /// Lines that are part of a record or were consumed as structure (a CSV header).
    pub parsed: u64,
    /// Records produced.
    pub records: u64,
    /// Lines skipped.
    pub skipped: u64,
    /// Skipped lines by reason.
    pub skipped_reasons: BTreeMap<&'static str, Occurrences>,
    /// Caveats on parsed lines, by kind.
    pub notes: BTreeMap<&'static str, Occurrences>,
    /// Events left without a time after [`times::settle`]: all of them in an input without
    /// any timestamp, none otherwise (aggregate results are not counted).
    pub untimed: u64,
}

impl LineStats {
    /// Adds the counts of `other`, the accounting of a later part of the same input
    /// (`lines` and `untimed` are set once for the whole input, so they are left alone).
    fn merge(&mut self, other: &LineStats) {
        self.parsed += other.parsed;
        self.records += other.records;
        self.skipped += other.skipped;
        for (k, v) in &other.skipped_reasons {
            self.skipped_reasons.entry(k).or_default().merge(v);
        }
        for (k, v) in &other.notes {
            self.notes.entry(k).or_default().merge(v);
        }
    }

    /// Moves every line number noted down by `by` lines.
    fn shift(&mut self, by: LineNo) {
        for o in self.skipped_reasons.values_mut().chain(self.notes.values_mut()) {
            for l in &mut o.first_lines {
                *l += by;
            }
        }
    }

    /// Counts `note` for `line`.
    fn note(&mut self, line: LineNo, note: Note) {
        self.notes.entry(note.as_str()).or_default().add(line);
    }
}

/// One input and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    /// Its id (index in [`Ingested::sources`]).
    pub id: SourceId,
    /// The input.
    pub input: Input,
    /// The format it was read as; `None` if unknown or unreadable.
    pub format: Option<Format>,
    /// Why this format (the sniffer's reason, or "given with --input-format").
    pub reason: String,
    /// Format-specific detail (the Postgres prefix used, ...).
    pub detail: Option<String>,
    /// The tool that wrote a format shared by several (`JMeter JTL` for a `loadtest-csv`).
    pub dialect: Option<&'static str>,
    /// How it was compressed.
    pub compression: Compression,
    /// Bytes read after decompression.
    pub bytes: u64,
    /// Line accounting.
    pub stats: LineStats,
    /// Why it could not be read (fully), if so.
    pub error: Option<String>,
    /// The input it is a copy of, when it was not read for that: another destination of the
    /// same Postgres server log ([`copies`]).
    pub copy_of: Option<SourceId>,
}

impl SourceInfo {
    /// Input `id` before it is read: no format, nothing read.
    pub fn new(id: SourceId, input: &Input) -> SourceInfo {
        SourceInfo {
            id,
            input: input.clone(),
            format: None,
            reason: String::new(),
            detail: None,
            dialect: None,
            compression: Compression::None,
            bytes: 0,
            stats: LineStats::default(),
            error: None,
            copy_of: None,
        }
    }
}

/// Everything ingested.
#[derive(Debug, Clone, Default)]
pub struct Ingested {
    /// With an analysis that mines templates: each input's, on its own clock (moved to
    /// [`Ingested::templates`] once the skews are known).
    pub miners: Vec<(SourceId, crate::patterns::Miner)>,
    /// With an analysis that mines templates: those of every input, on the corrected clock.
    pub templates: Option<crate::patterns::Miner>,
    /// The span of every line read, on the corrected clock (set when the run is prepared).
    pub span: Option<(Micros, Micros)>,
    /// With an analysis and no load-test input: how many requests each input's router
    /// access lines became ([`crate::requests::from_router`]).
    pub router_requests: BTreeMap<SourceId, u64>,
    /// Every input, in order, readable or not.
    pub sources: Vec<SourceInfo>,
    /// Every event kept, grouped by source (the largest input first, then the others in input
    /// order), in line order within a source:
    /// all of them, or with an [`Analysis`] what the later stages read ([`post`]).
    pub events: Vec<Event>,
    /// With an [`Analysis`]: the application requests of each input, folded from its stage
    /// events, which are out of `events` (without one they are among the events; see
    /// [`crate::requests::fold`]).
    pub apps: Vec<(SourceId, crate::requests::fold::InputApps)>,
    /// With an [`Analysis`]: what the funnel and the facts read of the stage events (without
    /// one, made from the events).
    pub stages: crate::points::StageTimes,
    /// With an [`Analysis`]: what the catalog matched in each input, in catalog order, times
    /// on the input's own clock (see [`crate::detect::combine`]).
    pub findings: Vec<(SourceId, Vec<crate::detect::Finding>)>,
    /// The earliest and latest time of each input's lines (on its own clock).
    pub spans: Vec<(SourceId, (Micros, Micros))>,
    /// Problems met while expanding paths: missing files and unreadable folders (fatal), symlink
    /// loops and folders nested too deep (skipped on purpose).
    pub discover_errors: Vec<discover::DiscoverError>,
}

impl Ingested {
    /// True when some input could not be read (the run then exits with status 2).
    pub fn had_input_errors(&self) -> bool {
        self.discover_errors.iter().any(|e| e.fatal)
            || self.sources.iter().any(|s| s.error.is_some())
    }
}

/// Reads `inputs` in parallel on `pool`, every event kept.
pub fn ingest(inputs: &[Input], o: &IngestOptions, pool: &rayon::ThreadPool) -> Ingested {
    ingest_for(inputs, o, pool, None)
}

/// Reads `inputs` in parallel on `pool`; with an `analysis`, matches its catalog and keeps
/// only what the later stages read ([`post`]).
pub fn ingest_for(
    inputs: &[Input],
    o: &IngestOptions,
    pool: &rayon::ThreadPool,
    analysis: Option<Analysis<'_>>,
) -> Ingested {
    let copies = pool.install(|| copies::find(inputs, o));
    let mut started: Vec<(usize, (SourceInfo, Post<'_>))> = pool.install(|| {
        start_order(inputs, o)
            .into_iter()
            .par_bridge()
            .map(|i| {
                let input = &inputs[i];
                if let Some((of, format)) = copies[i] {
                    return (i, (not_read_copy(i, input, format, of, inputs), Post::new(analysis)));
                }
                let opened = read::open(input.path(), o.max_decompressed);
                (i, ingest_post(i as SourceId, input, opened, o, analysis))
            })
            .collect()
    });
    started.sort_unstable_by_key(|(i, _)| *i);
    let per_input: Vec<(SourceInfo, Post<'_>)> = started.into_iter().map(|(_, p)| p).collect();
    let total: usize = per_input.iter().map(|(_, p)| p.len()).sum();
    let mut ingested = Ingested::default();
    let mut parts = Vec::with_capacity(per_input.len());
    for (info, mut post) in per_input {
        if analysis.is_some() {
            ingested.findings.push((info.id, std::mem::take(&mut post.kept().findings)));
            ingested.apps.push((info.id, post.kept().take_apps()));
            if let Some(m) = post.kept().take_miner() {
                ingested.miners.push((info.id, m));
            }
        }
        if let Some(span) = post.kept().span {
            ingested.spans.push((info.id, span));
        }
        ingested.stages.merge(post.kept().take_stages());
        ingested.sources.push(info);
        parts.push(post);
    }
    // The largest input's events first, then the others in input order; each block is freed
    // as soon as it is moved, so that nothing is held twice.
    let mut events = Vec::with_capacity(total);
    if let Some(i) = (0..parts.len()).max_by_key(|&i| parts[i].len()) {
        parts[i].move_into(&mut events);
        for part in &mut parts {
            part.move_into(&mut events);
        }
    }
    ingested.stages.finish();
    ingested.events = events;
    ingested
}

/// What is said of an input not read because it is a copy of input `of` ([`copies`]).
fn not_read_copy(
    i: usize,
    input: &Input,
    format: Format,
    of: usize,
    inputs: &[Input],
) -> SourceInfo {
    let other = inputs.get(of).map_or_else(String::new, Input::display);
    SourceInfo {
        format: Some(format),
        reason: format!(
            "not read: the same Postgres entries as {other} (the server writes each entry to \
             every log_destination)"
        ),
        copy_of: Some(of as SourceId),
        ..SourceInfo::new(i as SourceId, input)
    }
}

/// Inputs sniffed ahead to order them ([`start_order`]), at most: past it, many files keep
/// the threads busy whatever their order.
const ORDERED_INPUTS: usize = 64;

/// The order in which to start reading `inputs`: first those one thread reads whole (a
/// load-test CSV, a console log), then those read in batches over all threads (JSON lines,
/// Postgres logs), each largest first, so that the threads finish together. Started in
/// input order, the bench's CSV came after the large JSON log on the same thread and then ran
/// alone while the other thread had nothing left (1 GB: the last 0.2 s of 1.4 s of ingest).
/// The formats come from sniffing each regular file's start: they only order the work. Stdin,
/// a pipe (`<(zcat run.log.gz)`) or a device is read once, so it is not sniffed ahead: it
/// goes last, as if batched.
fn start_order(inputs: &[Input], o: &IngestOptions) -> Vec<usize> {
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    if inputs.len() < 2 || inputs.len() > ORDERED_INPUTS {
        return order;
    }
    let keys: Vec<(bool, std::cmp::Reverse<u64>)> = inputs
        .par_iter()
        .map(|input| match input {
            Input::File(path) => match std::fs::metadata(path) {
                Ok(m) if m.is_file() => {
                    let batched = matches!(
                        sniff_input(input, o).format,
                        Some(Format::JsonLog | Format::Postgres)
                    );
                    (batched, std::cmp::Reverse(m.len()))
                }
                _ => (true, std::cmp::Reverse(0)),
            },
            Input::Stdin => (true, std::cmp::Reverse(0)),
        })
        .collect();
    order.sort_by_key(|&i| keys[i]);
    order
}

/// What `rootcause sniff` prints for one input.
#[derive(Debug, Clone, PartialEq)]
pub struct SniffOutcome {
    /// The input.
    pub input: Input,
    /// The detected format.
    pub format: Option<Format>,
    /// Why.
    pub reason: String,
    /// Every candidate with its score and reason.
    pub candidates: Vec<(Format, rootcause_parsers::Detection)>,
    /// How it was compressed.
    pub compression: Compression,
    /// Why it could not be read.
    pub error: Option<String>,
}

/// Sniffs one input from its first bytes.
pub fn sniff_input(input: &Input, o: &IngestOptions) -> SniffOutcome {
    let mut out = SniffOutcome {
        input: input.clone(),
        format: None,
        reason: String::new(),
        candidates: Vec::new(),
        compression: Compression::None,
        error: None,
    };
    match read::open(input.path(), o.max_decompressed) {
        Ok((r, compression)) => {
            out.compression = compression;
            let mut lr = LineReader::new(r, o.max_line);
            match lr.skip_leading_nul().and_then(|nul| lr.head(HEAD_BYTES).map(|h| (h, nul))) {
                Ok((head, nul)) => {
                    let (format, reason) = choose_format(input, head, nul, o);
                    out.format = format;
                    out.reason = reason;
                    out.candidates = sniff::sniff(head).candidates;
                }
                Err(e) => out.error = Some(e.to_string()),
            }
        }
        Err(e) => out.error = Some(e.to_string()),
    }
    out
}

fn override_for(input: &Input, o: &IngestOptions) -> Option<Format> {
    let path = input.path()?;
    o.formats.iter().find(|(p, _)| p == path).map(|(_, f)| *f)
}

/// The format of an input that starts with `head` after `nul` NUL bytes of padding.
fn choose_format(
    input: &Input,
    head: &[u8],
    nul: u64,
    o: &IngestOptions,
) -> (Option<Format>, String) {
    if let Some(f) = override_for(input, o) {
        return (Some(f), "given with --input-format".to_string());
    }
    if head.is_empty() && nul > 0 {
        return (None, format!("{nul} NUL bytes and nothing else"));
    }
    let s = sniff::sniff(head);
    (s.format, s.reason)
}

/// Turns parser records into events and keeps the line accounting.
struct Collector<'a> {
    source: SourceId,
    stages: &'a StageMatcher,
    events: Vec<Event>,
    stats: LineStats,
    strings: Strings,
    /// The stages of the messages met so far.
    memo: StageMemo,
    /// True for an analysis: records are converted to what [`post`] keeps of them, except
    /// what detection still reads.
    thin: bool,
}

impl<'a> Collector<'a> {
    fn new(source: SourceId, stages: &'a StageMatcher, thin: bool) -> Collector<'a> {
        Collector {
            source,
            stages,
            events: Vec::new(),
            stats: LineStats::default(),
            strings: Strings::for_batch(),
            memo: StageMemo::default(),
            thin,
        }
    }
}

impl Collector<'_> {
    /// Adds the event of a record of `lines` lines that starts at `line`.
    fn add(&mut self, line: LineNo, lines: u32, rec: impl IntoEvent) {
        let conv = Conv {
            stages: self.stages,
            memo: &mut self.memo,
            strings: &mut self.strings,
            thin: self.thin,
        };
        let (ts, kind) = rec.into_event(conv);
        self.stats.records += 1;
        self.stats.parsed += u64::from(lines);
        self.events.push(Event { ts, source: self.source, line, kind });
    }
}

impl jsonlog::FieldSink for Collector<'_> {
    fn fields(&mut self, line: LineNo, event: jsonlog::AppFields<'_>) {
        self.add(line, 1, event);
    }
}

/// How a batch's lines reach its parser in [`run_batched`]: [`LineParser::line`], except that
/// the JSON log's parser hands its events' fields over borrowed from the line
/// ([`jsonlog::Parser::line_with`]), so that the route and request id, shared per batch, are
/// never copied on their own (issue 9).
trait Feed: LineParser {
    fn feed(&mut self, line: &[u8], no: LineNo, c: &mut Collector<'_>);
}

impl Feed for jsonlog::Parser {
    fn feed(&mut self, line: &[u8], no: LineNo, c: &mut Collector<'_>) {
        self.line_with(line, no, c);
    }
}

impl Feed for postgres::Parser {
    fn feed(&mut self, line: &[u8], no: LineNo, c: &mut Collector<'_>) {
        self.line(line, no, c);
    }
}

/// How a record becomes an event: the stage matcher, the string sharer and whether the
/// analysis thins it.
struct Conv<'a> {
    stages: &'a StageMatcher,
    memo: &'a mut StageMemo,
    strings: &'a mut Strings,
    thin: bool,
}

/// A parser record that becomes an event.
trait IntoEvent {
    fn into_event(self, c: Conv<'_>) -> (Option<Micros>, EventKind);
}

impl IntoEvent for loadtest::Request {
    fn into_event(self, c: Conv<'_>) -> (Option<Micros>, EventKind) {
        // Detection reads no request: its compact form is final.
        (self.ts, EventKind::Request(Req::new(self, c.strings, !c.thin)))
    }
}

impl IntoEvent for jsonlog::AppEvent {
    fn into_event(self, c: Conv<'_>) -> (Option<Micros>, EventKind) {
        jsonlog::AppFields::from(self).into_event(c)
    }
}

impl IntoEvent for jsonlog::AppFields<'_> {
    fn into_event(self, c: Conv<'_>) -> (Option<Micros>, EventKind) {
        let stage = c.memo.classify(c.stages, &self.message);
        let ts = self.ts;
        // Detection reads the message and traceback; [`post`] drops them afterwards.
        (ts, EventKind::App { event: AppLog::from_fields(self, c.strings, true), stage })
    }
}

impl IntoEvent for PgRecord {
    fn into_event(self, _: Conv<'_>) -> (Option<Micros>, EventKind) {
        (self.ts, EventKind::Db(Box::new(self)))
    }
}

impl IntoEvent for Aggregate {
    fn into_event(self, _: Conv<'_>) -> (Option<Micros>, EventKind) {
        let ts = match &self {
            Aggregate::Sample(s) => Some(s.ts),
            Aggregate::Failure(f) => f.first_seen,
            Aggregate::Totals { .. } | Aggregate::Exception(_) => None,
        };
        (ts, EventKind::Aggregate(self))
    }
}

impl IntoEvent for console::ConsoleRecord {
    fn into_event(self, _: Conv<'_>) -> (Option<Micros>, EventKind) {
        let ts = match &self {
            console::ConsoleRecord::Log(l) => l.ts,
            console::ConsoleRecord::Access(a) => a.ts,
            console::ConsoleRecord::Traceback(t) => t.ts,
        };
        (ts, EventKind::Console(Box::new(self)))
    }
}

impl IntoEvent for platform::PlatformRecord {
    fn into_event(self, c: Conv<'_>) -> (Option<Micros>, EventKind) {
        match self {
            platform::PlatformRecord::Console(r) => r.into_event(c),
            platform::PlatformRecord::App(e) => e.into_event(c),
        }
    }
}

impl<R: IntoEvent> Sink<R> for Collector<'_> {
    fn record(&mut self, line: LineNo, lines: u32, rec: R) {
        self.add(line, lines, rec);
    }
    fn skip(&mut self, line: LineNo, reason: SkipReason) {
        self.stats.skipped += 1;
        self.stats.skipped_reasons.entry(reason.as_str()).or_default().add(line);
    }
    fn consumed(&mut self, _line: LineNo, lines: u32) {
        self.stats.parsed += u64::from(lines);
    }
    fn note(&mut self, line: LineNo, note: Note) {
        self.stats.note(line, note);
    }
}

/// The note on a line whose leading NUL bytes were dropped before parsing.
pub const NUL_PADDING: &str = "nul_padding";

/// A read error met after `line` lines, saying where reading stopped.
fn stopped(line: LineNo, e: std::io::Error) -> std::io::Error {
    match line {
        0 => e,
        n => std::io::Error::new(e.kind(), format!("stopped after line {n}: {e}")),
    }
}

/// `line` without its leading NUL bytes (noted as [`NUL_PADDING`] on line `no`).
fn strip_nul<'a>(line: &'a [u8], no: LineNo, stats: &mut LineStats) -> &'a [u8] {
    let rest = without_nul(line);
    if rest.len() < line.len() {
        stats.notes.entry(NUL_PADDING).or_default().add(no);
    }
    rest
}

/// `line` without its leading NUL bytes.
fn without_nul(line: &[u8]) -> &[u8] {
    let at = line.iter().position(|&b| b != 0).unwrap_or(line.len());
    line.get(at..).unwrap_or_default()
}

/// Feeds every line of `lr` to `parser`.
///
/// NUL bytes at the start of a line are dropped first and noted as [`NUL_PADDING`]: they are
/// what a crash or a `copytruncate` rotation leaves where unwritten data should be, never part
/// of a log line, and a line of nothing else is then blank.
fn run<P, R>(
    parser: &mut P,
    lr: &mut LineReader<R>,
    c: &mut Collector<'_>,
    post: &mut Post<'_>,
) -> std::io::Result<()>
where
    P: LineParser,
    P::Record: IntoEvent,
    R: std::io::Read,
{
    let mut no: LineNo = 0;
    let result = loop {
        match lr.next_line() {
            Ok(Some(Line::Text(line))) => {
                no += 1;
                let line = strip_nul(line, no, &mut c.stats);
                parser.line(line, no, c);
                if c.events.len() >= post::FLUSH_EVENTS {
                    post.chunk(std::mem::take(&mut c.events), &mut c.stats);
                }
            }
            Ok(Some(Line::TooLong)) => {
                no += 1;
                Sink::<P::Record>::skip(c, no, SkipReason::LineTooLong);
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(stopped(no, e)),
        }
    };
    parser.finish(c);
    post.chunk(std::mem::take(&mut c.events), &mut c.stats);
    c.stats.lines = no;
    result
}

/// Bytes of lines per batch of [`run_batched`]. A batch is parsed, settled, matched and
/// thinned on one thread, one step after the other: at 512 KiB its records (a Postgres record
/// is about 500 bytes) are still in the cache for the next step, where at 4 MiB each step
/// read them from memory again (1 GB bench, two threads: 5% faster, 15 MB less at the peak);
/// against 1 MiB, the whole run took 1.92 s instead of 1.95 s and peaked at 239 MB instead of
/// 245 MB (medians of seven runs side by side).
const BATCH_BYTES: usize = 1 << 19;

/// Room past [`BATCH_BYTES`] in a batch's buffer for the line that crosses it (longer lines
/// grow it).
const BATCH_SLACK: usize = 64 << 10;

/// One batch of lines for [`run_batched`]: whole lines as the reader handed them out, and
/// where lines over the length limit stood (their bytes dropped).
#[derive(Default)]
struct Batch {
    buf: Vec<u8>,
    /// Offsets in `buf`, ascending, each where a dropped line stood: before the line that
    /// starts there (or at the end).
    too_long: Vec<usize>,
}

impl Batch {
    /// An empty batch, its buffer sized once: grown by doubling, a batch would hold twice its
    /// bytes.
    fn sized() -> Batch {
        Batch { buf: Vec::with_capacity(BATCH_BYTES + BATCH_SLACK), too_long: Vec::new() }
    }

    /// Calls `f` with its lines in order: the span of each in `buf` without `\n` / `\r\n`, or
    /// `None` for one over `max_line`.
    fn for_each_line(&self, max_line: usize, mut f: impl FnMut(Option<(usize, usize)>)) {
        let mut from = 0;
        for &mark in &self.too_long {
            let part = self.buf.get(..mark).unwrap_or_default();
            read::for_each_line(part, from, max_line, &mut f);
            f(None);
            from = mark;
        }
        read::for_each_line(&self.buf, from, max_line, f);
    }

    /// Cuts the batch before its first line that starts at or after `from` and
    /// [`BATCH_BYTES`], is whole (a newline follows it), no longer than `max_line` and one for
    /// which `boundary` holds; what follows the cut, returned, starts the next batch. `None`
    /// when no such line is there yet: `from` is then where to look again.
    fn cut(
        &mut self,
        from: &mut usize,
        max_line: usize,
        boundary: &dyn Fn(&[u8]) -> bool,
    ) -> Option<Batch> {
        let buf = &self.buf;
        // The first line start at or after the limit.
        let limit = BATCH_BYTES.max(*from).max(1);
        let mut start = match memchr::memchr(b'\n', buf.get(limit - 1..)?) {
            Some(i) => limit + i,
            None => {
                *from = buf.len() + 1;
                return None;
            }
        };
        loop {
            let Some(i) = memchr::memchr(b'\n', buf.get(start..).unwrap_or_default()) else {
                *from = start;
                return None;
            };
            let end = start + i;
            let line = rootcause_parsers::text::trim_cr(buf.get(start..end).unwrap_or_default());
            if end - start <= max_line && boundary(without_nul(line)) {
                let mut rest = Batch::sized();
                rest.buf.extend_from_slice(buf.get(start..).unwrap_or_default());
                let keep = self.too_long.partition_point(|&m| m <= start);
                rest.too_long = self.too_long.split_off(keep).iter().map(|m| m - start).collect();
                self.buf.truncate(start);
                return Some(rest);
            }
            start = end + 1;
        }
    }
}

/// [`run`] in parallel: lines are read in order into batches of about [`BATCH_BYTES`], each
/// ending just before a line for which `boundary` holds (a line that starts a record: any line
/// of JSON lines, a main line of a Postgres log), and the batches are parsed in parallel, each
/// by a fresh parser from `make`, into collectors merged in input order. The events, line
/// numbers and accounting are those of [`run`]; only the parsing is spread over the threads, so
/// one large file uses them all. The reader only copies blocks of whole lines: the threads
/// split them into lines.
fn run_batched<P, R, F>(
    make: F,
    boundary: &(dyn Fn(&[u8]) -> bool + Sync),
    lr: &mut LineReader<R>,
    c: &mut Collector<'_>,
    post: &mut Post<'_>,
) -> std::io::Result<()>
where
    P: Feed,
    P::Record: IntoEvent,
    R: std::io::Read + Send,
    F: Fn() -> P + Sync,
{
    let per_round = rayon::current_num_threads().max(1) * 2;
    let (source, stages, thin) = (c.source, c.stages, c.thin);
    let max_line = lr.max_line();
    let mut reader = Rounds::default();
    let mut batches = reader.read(lr, per_round, boundary);
    let analysis = post.analysis();
    // Lines numbered so far.
    let mut no: LineNo = 0;
    // Each round is parsed, settled, matched and thinned while the next one is read and the
    // one before is absorbed (in input order, on one thread). A batch that can be settled on
    // its own ([`times::settle_alone`], most) is also matched and thinned on the thread that
    // parsed it; the others are settled in order, then matched and thinned over the threads.
    let mut pending: Vec<post::Done> = Vec::new();
    while !batches.is_empty() {
        let stats = &mut c.stats;
        let (settler, kept) = post.parts();
        let no = &mut no;
        // Each batch's bytes are freed once it is parsed.
        let round = std::mem::take(&mut batches);
        let (next, done) = rayon::join(
            || {
                let next = reader.read(lr, per_round, boundary);
                for d in pending.drain(..) {
                    kept.absorb(d);
                }
                next
            },
            || {
                // Each batch numbers its lines from 1, renumbered in order below.
                let parsed: Vec<(Parsed, LineStats, LineNo)> = round
                    .into_par_iter()
                    .map(|b| {
                        let mut p = make();
                        let mut bc = Collector::new(source, stages, thin);
                        let mut n: LineNo = 0;
                        b.for_each_line(max_line, |span| {
                            n += 1;
                            match span {
                                Some((s, e)) => {
                                    let line = b.buf.get(s..e).unwrap_or_default();
                                    let line = strip_nul(line, n, &mut bc.stats);
                                    p.feed(line, n, &mut bc)
                                }
                                None => {
                                    Sink::<P::Record>::skip(&mut bc, n, SkipReason::LineTooLong)
                                }
                            }
                        });
                        p.finish(&mut bc);
                        drop(b);
                        let mut events = bc.events;
                        let parsed = match times::settle_alone(&mut events, &mut bc.stats) {
                            Some(alone) => {
                                Parsed::Alone(Box::new(Post::process(analysis, events)), alone)
                            }
                            None => Parsed::InOrder(events),
                        };
                        (parsed, bc.stats, n)
                    })
                    .collect();
                let mut slots = Vec::with_capacity(parsed.len());
                for (parsed, mut s, lines) in parsed {
                    let by = *no;
                    s.shift(by);
                    stats.merge(&s);
                    *no += lines;
                    match parsed {
                        Parsed::Alone(mut done, alone) => {
                            let released = settler.after_alone(&alone, by, stats);
                            if !released.is_empty() {
                                slots.push(Slot::Settled(released));
                            }
                            done.shift(by);
                            slots.push(Slot::Done(done));
                        }
                        Parsed::InOrder(mut events) => {
                            for e in &mut events {
                                e.line += by;
                            }
                            slots.push(Slot::Settled(settler.settle(events, stats)));
                        }
                    }
                }
                let done: Vec<post::Done> = slots
                    .into_par_iter()
                    .map(|slot| match slot {
                        Slot::Done(done) => *done,
                        Slot::Settled(events) => Post::process(analysis, events),
                    })
                    .collect();
                done
            },
        );
        pending = done;
        batches = next;
    }
    for d in pending {
        post.absorb(d);
    }
    c.stats.lines = no;
    reader.result.map_err(|e| stopped(no, e))
}

/// A batch of [`run_batched`] once parsed: settled on its own, matched and thinned, or left to
/// be settled in order.
enum Parsed {
    Alone(Box<post::Done>, times::Alone),
    InOrder(Vec<Event>),
}

/// A chunk of [`run_batched`]'s round in input order: done, or settled and yet to be matched
/// and thinned.
enum Slot {
    Done(Box<post::Done>),
    Settled(Vec<Event>),
}

/// Reads the lines of [`run_batched`] into rounds of batches.
struct Rounds {
    /// The start of the next batch, cut off the end of the previous one.
    carry: Option<Batch>,
    done: bool,
    result: std::io::Result<()>,
}

impl Default for Rounds {
    fn default() -> Rounds {
        Rounds { carry: None, done: false, result: Ok(()) }
    }
}

impl Rounds {
    /// Up to `per_round` batches of about [`BATCH_BYTES`], each ending before a line for which
    /// `boundary` holds; none at the end of the input.
    fn read<R: std::io::Read>(
        &mut self,
        lr: &mut LineReader<R>,
        per_round: usize,
        boundary: &dyn Fn(&[u8]) -> bool,
    ) -> Vec<Batch> {
        let max_line = lr.max_line();
        let mut batches: Vec<Batch> = Vec::with_capacity(per_round);
        while batches.len() < per_round && !self.done {
            let mut b = self.carry.take().unwrap_or_else(Batch::sized);
            let mut from = 0;
            loop {
                let want = match BATCH_BYTES.checked_sub(b.buf.len()) {
                    Some(room) if room > 0 => room,
                    _ => {
                        if let Some(rest) = b.cut(&mut from, max_line, boundary) {
                            self.carry = Some(rest);
                            break;
                        }
                        // The next line or few: most often the first starts a record.
                        BATCH_SLACK / 16
                    }
                };
                match lr.next_lines(want) {
                    Ok(Some(Lines::Text(text))) => b.buf.extend_from_slice(text),
                    Ok(Some(Lines::TooLong)) => b.too_long.push(b.buf.len()),
                    Ok(None) => {
                        self.done = true;
                        break;
                    }
                    Err(e) => {
                        self.result = Err(e);
                        self.done = true;
                        break;
                    }
                }
            }
            if !b.buf.is_empty() || !b.too_long.is_empty() {
                batches.push(b);
            }
        }
        batches
    }
}

/// Counts the lines of an input whose format is unknown, all skipped (as `line_too_long` for
/// those over the limit, `unknown_format` for the others).
fn count_unknown<R: std::io::Read>(
    lr: &mut LineReader<R>,
    c: &mut Collector<'_>,
) -> std::io::Result<()> {
    let mut no: LineNo = 0;
    let result = loop {
        let reason = match lr.next_line() {
            Ok(Some(Line::Text(_))) => SkipReason::UnknownFormat,
            Ok(Some(Line::TooLong)) => SkipReason::LineTooLong,
            Ok(None) => break Ok(()),
            Err(e) => break Err(stopped(no, e)),
        };
        no += 1;
        Sink::<loadtest::Request>::skip(c, no, reason);
    };
    c.stats.lines = no;
    result
}

/// Ingests one input from what [`read::open`] (or [`read::decode`]) gave for it: the seam the
/// property tests drive with readers that return the bytes in arbitrary chunks.
#[cfg(test)]
pub(crate) fn ingest_from(
    id: SourceId,
    input: &Input,
    opened: std::io::Result<(Box<dyn std::io::Read + Send>, Compression)>,
    o: &IngestOptions,
) -> (SourceInfo, Vec<Event>) {
    let (info, post) = ingest_post(id, input, opened, o, None);
    (info, post.into_events())
}

/// Ingests one input into a [`Post`]: its events and, with an analysis, its findings.
fn ingest_post<'a>(
    id: SourceId,
    input: &Input,
    opened: std::io::Result<(Box<dyn std::io::Read + Send>, Compression)>,
    o: &IngestOptions,
    analysis: Option<Analysis<'a>>,
) -> (SourceInfo, Post<'a>) {
    let mut post = Post::new(analysis);
    let mut info = SourceInfo::new(id, input);
    let (reader, compression) = match opened {
        Ok(x) => x,
        Err(e) => {
            info.reason = "not read".into();
            info.error = Some(e.to_string());
            return (info, post);
        }
    };
    info.compression = compression;
    let mut lr = LineReader::new(reader, o.max_line);
    let mut c = Collector::new(id, &o.stages, analysis.is_some());
    let head = lr.skip_leading_nul().and_then(|nul| lr.head(HEAD_BYTES).map(|h| (h, nul)));
    let (head, nul) = match head {
        Ok(h) => h,
        Err(e) => {
            info.reason = "not read".into();
            info.error = Some(e.to_string());
            info.bytes = lr.bytes;
            return (info, post);
        }
    };
    if nul > 0 && !head.is_empty() {
        c.stats.notes.entry(NUL_PADDING).or_default().add(1);
    }
    let (format, reason) = choose_format(input, head, nul, o);
    info.format = format;
    info.reason = reason;
    let lt_opts = loadtest::Options { time: o.time };
    let result = match format {
        Some(Format::LoadTestCsv) => {
            let mut p = loadtest::Parser::new(lt_opts);
            let r = run(&mut p, &mut lr, &mut c, &mut post);
            info.detail = p.schema().map(|s| format!("columns: {}", s.describe()));
            info.dialect = p.schema().and_then(|s| s.dialect());
            r
        }
        Some(Format::JsonLog) => {
            let opts = jsonlog::Options { time: o.time };
            run_batched(|| jsonlog::Parser::new(opts), &|_| true, &mut lr, &mut c, &mut post)
        }
        Some(Format::Postgres) => {
            // Forced with --input-format but no candidate fits: the Debian default, so that
            // every line is at least accounted for (as pg_unknown_prefix).
            let prefix = o
                .pg_prefix
                .clone()
                .or_else(|| postgres::infer_prefix(head, &o.time).map(|(p, _)| p))
                .or_else(|| Prefix::compile("%m [%p] ").ok());
            match prefix {
                Some(prefix) => {
                    info.detail = Some(format!("log_line_prefix '{}'", prefix.spec()));
                    let probe = postgres::Parser::new(prefix.clone(), o.time);
                    // An analysis reads the messages: the prefix's strings are not kept.
                    let make = || match analysis {
                        Some(_) => postgres::Parser::new(prefix.clone(), o.time).lean(),
                        None => postgres::Parser::new(prefix.clone(), o.time),
                    };
                    run_batched(make, &|l| probe.starts_record(l), &mut lr, &mut c, &mut post)
                }
                None => count_unknown(&mut lr, &mut c),
            }
        }
        Some(Format::PostgresCsv) => {
            let p = postgres::csv::Parser::new(o.time);
            let mut p = if analysis.is_some() { p.lean() } else { p };
            run(&mut p, &mut lr, &mut c, &mut post)
        }
        Some(Format::PostgresJson) => {
            let p = postgres::json::Parser::new(o.time);
            let mut p = if analysis.is_some() { p.lean() } else { p };
            run(&mut p, &mut lr, &mut c, &mut post)
        }
        Some(Format::Console) => run(&mut console::Parser::new(o.time), &mut lr, &mut c, &mut post),
        Some(Format::K6Csv) => run(&mut k6::Parser::new(lt_opts), &mut lr, &mut c, &mut post),
        Some(Format::VegetaCsv) => {
            run(&mut vegeta::Parser::new(lt_opts), &mut lr, &mut c, &mut post)
        }
        Some(Format::LocustCsv) => {
            run(&mut locust::Parser::new(lt_opts), &mut lr, &mut c, &mut post)
        }
        Some(Format::WrkText) => run(&mut wrk::Parser::new(lt_opts), &mut lr, &mut c, &mut post),
        Some(Format::Heroku | Format::CloudFoundry) => {
            run(&mut platform::Parser::new(o.time), &mut lr, &mut c, &mut post)
        }
        None => count_unknown(&mut lr, &mut c),
    };
    if let Err(e) = result {
        info.error = Some(e.to_string());
    }
    post.finish(&mut c.stats);
    info.bytes = lr.bytes;
    info.stats = c.stats;
    (info, post)
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod batched_tests {
    use super::*;

    /// JSON lines over several batches: events, bad lines, NUL padding, a line over the limit.
    fn input() -> Vec<u8> {
        let mut v = Vec::new();
        let mut i = 0u64;
        while v.len() < 3 * BATCH_BYTES + 12_345 {
            i += 1;
            let line = match i % 1000 {
                7 => "{not json".to_string(),
                11 => format!(
                    "\0\0{{\"event\": \"padded {i}\", \"created_at\": \"2026-11-25T15:39:20.{:06}Z\"}}",
                    i % 1_000_000
                ),
                13 => "x".repeat(5000),
                17 => String::new(),
                // Text the parser unescapes, cleans or reads by shape, which the batched run
                // takes as fields (borrowed where they can be) and the line-by-line run as
                // owned events: escapes, a DEL, a number as the request id, invalid UTF-8,
                // no message key.
                19 => format!(
                    "{{\"route\": \"/a\\/\\u00e9\", \"request_id\": {i}, \"event\": \"query \\\"started\\\"\", \"logger\": \"app\\tdb\", \"created_at\": \"2026-11-25T15:39:20Z\"}}"
                ),
                23 => "{\"event\": \"del \u{7f} here\", \"route\": \"/d\u{7f}\", \"logger\": \"l\", \"created_at\": \"2026-11-25T15:39:21Z\"}".to_string(),
                29 => "{\"event\": \"control \u{1} char\", \"created_at\": \"2026-11-25T15:39:22Z\"}".to_string(),
                37 => {
                    v.extend_from_slice(b"{\"event\": \"bad \xff utf8\", \"route\": \"/\xfe\", \"created_at\": \"2026-11-25T15:39:23Z\"}\n");
                    continue;
                }
                31 => "{\"x\": \"warning\", \"longest value wins\": \"the longest string here\", \"ts\": 1764085162}".to_string(),
                _ => format!(
                    "{{\"route\": \"/b\", \"request_id\": \"r{i}\", \"event\": \"function hit\", \"level\": \"info\", \"created_at\": \"2026-11-25T15:{:02}:{:02}.{:06}Z\"}}",
                    (i / 60_000) % 60,
                    (i / 1000) % 60,
                    i % 1_000_000
                ),
            };
            v.extend_from_slice(line.as_bytes());
            v.push(b'\n');
        }
        v
    }

    fn collect(batched: bool, bytes: &[u8]) -> (Vec<Event>, LineStats) {
        collect_with(batched, bytes, 4096, usize::MAX)
    }

    /// JSON lines read with `max_line`, `piece` bytes a read, in batches or line by line.
    fn collect_with(
        batched: bool,
        bytes: &[u8],
        max_line: usize,
        piece: usize,
    ) -> (Vec<Event>, LineStats) {
        let stages = StageMatcher::default();
        let mut c = Collector::new(3, &stages, false);
        let mut post = Post::new(None);
        let mut lr = LineReader::new(read::tests::Pieces(bytes, piece), max_line);
        read_json(batched, &mut lr, &mut c, &mut post);
        (post.into_events(), c.stats)
    }

    /// Reads all of `lr` as a JSON log, in batches or line by line.
    fn read_json<R: std::io::Read + Send>(
        batched: bool,
        lr: &mut LineReader<R>,
        c: &mut Collector<'_>,
        post: &mut Post<'_>,
    ) {
        let opts = jsonlog::Options::default();
        let r = if batched {
            run_batched(|| jsonlog::Parser::new(opts), &|_| true, lr, c, post)
        } else {
            run(&mut jsonlog::Parser::new(opts), lr, c, post)
        };
        assert!(r.is_ok());
        post.finish(&mut c.stats);
    }

    /// A Postgres log over several batches, from the real pgBadger-prefix fixture: records with
    /// DETAIL / STATEMENT lines and tab continuations, lines of another prefix, blank lines.
    fn pg_input() -> Vec<u8> {
        let fixture = include_str!("../../parsers/tests/fixtures/postgres/pgbadger.log");
        let mut v = Vec::new();
        let mut k = 0u64;
        while v.len() < 3 * BATCH_BYTES + 777 {
            k += 1;
            for line in fixture.lines() {
                v.extend_from_slice(line.as_bytes());
                v.push(b'\n');
            }
            if k % 97 == 0 {
                // A tab line after a record continues it, even past a foreign line.
                v.extend_from_slice(b"not a postgres line at all\n\tmore of the record\n\n");
            }
        }
        v
    }

    fn collect_pg(batched: bool, bytes: &[u8]) -> (Vec<Event>, LineStats) {
        let stages = StageMatcher::default();
        let mut c = Collector::new(1, &stages, false);
        let mut post = Post::new(None);
        let mut lr = LineReader::new(bytes, 1 << 16);
        let time = rootcause_parsers::time::TimeOptions::default();
        let (prefix, _) = postgres::infer_prefix(bytes, &time).expect("a prefix");
        let r = if batched {
            let probe = postgres::Parser::new(prefix.clone(), time);
            let make = || postgres::Parser::new(prefix.clone(), time);
            run_batched(make, &|l| probe.starts_record(l), &mut lr, &mut c, &mut post)
        } else {
            run(&mut postgres::Parser::new(prefix.clone(), time), &mut lr, &mut c, &mut post)
        };
        assert!(r.is_ok());
        post.finish(&mut c.stats);
        (post.into_events(), c.stats)
    }

    /// A JSON log of several batches for an analysis: a first run of lines without a time
    /// (longer than a batch: held until the first time), stage events of requests cut across
    /// batches, catalog matches (QueuePool timeouts, each with its pool size), a run of lines
    /// without a time in the middle (a batch starts inside it) and lines out of order.
    fn analysed_input() -> Vec<u8> {
        let mut v = Vec::new();
        let untimed = |v: &mut Vec<u8>, i: u64| {
            let line = format!("{{\"event\": \"no time {i}\", \"route\": \"/u\"}}\n");
            v.extend_from_slice(line.as_bytes());
        };
        let mut i = 0u64;
        while v.len() < BATCH_BYTES + 1000 {
            i += 1;
            untimed(&mut v, i);
        }
        for k in 0..30_000u64 {
            if (12_000..15_000).contains(&k) {
                untimed(&mut v, k);
                continue;
            }
            // Every 997th line is half a second early: out of order.
            let t = 1_000_000 + 1_000 * k - if k % 997 == 0 { 500_000 } else { 0 };
            let (sec, us) = (t / 1_000_000, t % 1_000_000);
            let (id, stage) =
                (k / 3, ["function hit", "query started", "query completed"][(k % 3) as usize]);
            let line = if k % 101 == 0 {
                format!(
                    "{{\"event\": \"QueuePool limit of size {} overflow 10 reached, connection timed out, timeout 30.00\", \"request_id\": \"{id:032x}\", \"level\": \"error\", \"created_at\": \"2026-11-25T15:{:02}:{:02}.{us:06}Z\"}}",
                    5 + k % 7,
                    sec / 60,
                    sec % 60
                )
            } else {
                format!(
                    "{{\"route\": \"/r{}\", \"request_id\": \"{id:032x}\", \"event\": \"{stage}\", \"level\": \"info\", \"created_at\": \"2026-11-25T15:{:02}:{:02}.{us:06}Z\"}}",
                    id % 3,
                    sec / 60,
                    sec % 60
                )
            };
            v.extend_from_slice(line.as_bytes());
            v.push(b'\n');
        }
        v
    }

    /// What an analysis keeps of `bytes` read as a JSON log in batches or line by line: the
    /// line accounting, the catalog's findings, the application requests and the stage times.
    fn analysed(
        batched: bool,
        bytes: &[u8],
    ) -> (
        LineStats,
        Vec<crate::detect::Finding>,
        Vec<crate::requests::AppRequest>,
        crate::points::StageTimes,
    ) {
        let catalog = crate::detect::Catalog::builtin().expect("catalog");
        let stages = StageMatcher::default();
        let mut c = Collector::new(3, &stages, true);
        let mut post = Post::new(Some(Analysis { catalog: &catalog, evidence: 1000, mine: false }));
        read_json(batched, &mut LineReader::new(bytes, 1 << 16), &mut c, &mut post);
        let kept = post.kept();
        let findings = std::mem::take(&mut kept.findings);
        let apps = crate::requests::fold::finish(vec![(3, kept.take_apps())], &Default::default());
        let mut times = kept.take_stages();
        times.finish();
        (c.stats, findings, apps, times)
    }

    #[test]
    fn batched_analysis_finds_what_the_line_by_line_one_finds() {
        let bytes = analysed_input();
        let one = analysed(false, &bytes);
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
            let many = pool.install(|| analysed(true, &bytes));
            assert_eq!(many.0, one.0, "{threads} threads: line accounting and notes");
            assert!(many.1 == one.1, "{threads} threads: findings, with their evidence lines");
            assert!(many.2 == one.2, "{threads} threads: application requests");
            assert!(many.3 == one.3, "{threads} threads: stage times");
        }
        // What the input holds was found: notes, a finding with evidence past the first
        // batch, requests of ids cut across batches.
        let notes = |n: &str| one.0.notes.get(n).map_or(0, |o| o.count);
        assert!(notes("timestamp_inferred") > 5_000 && notes("out_of_order") > 20, "{:?}", one.0);
        let found = one.1.iter().find(|f| f.count > 0).expect("a finding");
        assert!(found.evidence.iter().all(|e| e.line > 2_000), "{:?}", found.evidence);
        assert!(one.2.len() > 8_000, "{} requests", one.2.len());
    }

    fn lines_of(b: &Batch) -> Vec<Option<Vec<u8>>> {
        let mut out = Vec::new();
        b.for_each_line(4096, |span| out.push(span.map(|(s, e)| b.buf[s..e].to_vec())));
        out
    }

    #[test]
    fn a_batch_is_cut_before_its_first_record_past_the_limit_with_nothing_lost() {
        // Lines of 100 bytes; the dropped lines stood around the first line past the limit.
        let mut b = Batch::default();
        let mut n = 0;
        while b.buf.len() < BATCH_BYTES + 1000 {
            b.buf.extend_from_slice(format!("{n:099}\n").as_bytes());
            n += 1;
        }
        let past = BATCH_BYTES.div_ceil(100) * 100;
        b.too_long = vec![past - 100, past, past + 100];
        let before = lines_of(&b);
        let ends_in = |digit: u8| move |l: &[u8]| l.last() == Some(&digit);
        // No record starts past the limit yet: nothing is cut, and the search goes on from
        // where it stopped once more lines came.
        let mut from = 0;
        assert!(b.cut(&mut from, 4096, &|_: &[u8]| false).is_none());
        assert_eq!(from, b.buf.len());
        let nine = format!("{:099}", 9);
        let rest = b.cut(&mut 0, 4096, &ends_in(b'9')).expect("a line ending in 9");
        assert_eq!(b.buf.len() % 100, 0);
        assert!(b.buf.len() >= BATCH_BYTES && b.buf.len() < past + 1000, "{}", b.buf.len());
        assert_eq!(rest.buf[..99].last(), nine.as_bytes().last(), "the record starts the rest");
        assert_eq!([lines_of(&b), lines_of(&rest)].concat(), before, "same lines, same order");
        assert_eq!(b.too_long.len() + rest.too_long.len(), 3);
    }

    #[test]
    fn batched_postgres_parsing_keeps_multi_line_records_whole() {
        let bytes = pg_input();
        let one = collect_pg(false, &bytes);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
        let many = pool.install(|| collect_pg(true, &bytes));
        assert_eq!(many.1, one.1, "line accounting");
        assert!(many.0 == one.0, "the same records in the same order");
        assert!(one.1.skipped_reasons.contains_key("pg_unknown_prefix"), "{:?}", one.1);
        // Records that span lines (STATEMENT with tab continuations) are in the input.
        assert!(one.1.parsed > one.1.records, "{:?}", one.1);
    }

    #[test]
    fn inputs_one_thread_reads_whole_start_first_then_the_others_each_largest_first() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/pool-exhaustion");
        let names = ["app.log", "hammer.csv", "postgresql.log", "stderr.log"];
        let inputs: Vec<Input> = names.iter().map(|n| Input::File(dir.join(n))).collect();
        let o = IngestOptions::default();
        let order: Vec<&str> = start_order(&inputs, &o).iter().map(|&i| names[i]).collect();
        // The CSV (132 KB) and the console log (109 KB), then the JSON log (1.2 MB) and the
        // Postgres log (1 KB), read in batches over the threads.
        assert_eq!(order, ["hammer.csv", "stderr.log", "app.log", "postgresql.log"]);
        // The order only schedules: the inputs keep their ids, in input order.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
        let ingested = ingest(&inputs, &o, &pool);
        let got: Vec<(SourceId, &Input)> =
            ingested.sources.iter().map(|s| (s.id, &s.input)).collect();
        let want: Vec<(SourceId, &Input)> = (0..).zip(&inputs).collect();
        assert_eq!(got, want);
    }

    /// A line over the limit is dropped by the reader when its newline is not in the buffer
    /// yet (a mark in the batch), by the threads otherwise: alike, wherever batches are cut.
    #[test]
    fn lines_over_the_limit_are_dropped_alike_however_they_arrive() {
        let mut v = Vec::new();
        let mut i = 0u64;
        while v.len() < 3 * BATCH_BYTES + 999 {
            i += 1;
            let line = match i % 3 {
                0 => "x".repeat(150 + (i % 50) as usize),
                _ => format!(
                    "{{\"event\": \"function hit\", \"request_id\": \"r{i}\", \"created_at\": \"2026-11-25T15:00:00.{:06}Z\"}}",
                    i % 1_000_000
                ),
            };
            v.extend_from_slice(line.as_bytes());
            v.push(b'\n');
        }
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
        for piece in [97, 997, 4096, usize::MAX] {
            let one = collect_with(false, &v, 120, piece);
            let many = pool.install(|| collect_with(true, &v, 120, piece));
            assert_eq!(many.1, one.1, "{piece} bytes a read: line accounting");
            assert!(many.0 == one.0, "{piece} bytes a read: the same events in the same order");
            assert_eq!(one.1.skipped_reasons["line_too_long"].count, i / 3);
            assert_eq!(one.1.records, i - i / 3);
        }
    }

    /// A pipe given as a path (`<(zcat run.log.gz)`) can be read once: ordering the inputs
    /// must not sniff it ahead, or its first lines would be gone.
    #[cfg(unix)]
    #[test]
    fn a_pipe_among_the_inputs_is_not_read_ahead() {
        let dir = std::env::temp_dir().join(format!("rootcause-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let fifo = dir.join("app.fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
        let lines = 500;
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut text = String::new();
                for i in 0..lines {
                    text += &format!(
                        "{{\"event\": \"function hit\", \"request_id\": \"r{i}\", \"created_at\": \"2026-11-25T15:00:00.{i:06}Z\"}}\n"
                    );
                }
                std::fs::write(&fifo, text).expect("write to the fifo");
            })
        };
        let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples/pool-exhaustion/hammer.csv");
        let inputs = vec![Input::File(sample), Input::File(fifo)];
        // Read ahead, the pipe would be empty at its second opening, which then waits for a
        // writer forever: the run gets a deadline.
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
            let _ = done.send(ingest(&inputs, &IngestOptions::default(), &pool));
        });
        let ingested = result
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the pipe was read within a minute");
        writer.join().expect("writer");
        let piped = &ingested.sources[1];
        assert_eq!(piped.format, Some(Format::JsonLog), "{piped:?}");
        assert_eq!((piped.stats.lines, piped.stats.records), (lines, lines));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn batched_parsing_gives_what_the_line_by_line_run_gives() {
        let bytes = input();
        let one = collect(false, &bytes);
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
            let many = pool.install(|| collect(true, &bytes));
            assert_eq!(many.1, one.1, "{threads} threads: line accounting");
            assert_eq!(many.0.len(), one.0.len());
            assert!(many.0 == one.0, "{threads} threads: the same events in the same order");
        }
        // The input really had what is counted: bad JSON, padding, long and empty lines.
        let s = &one.1;
        assert!(s.lines > 10_000 && s.skipped > 0, "{s:?}");
        assert!(s.notes.contains_key(NUL_PADDING), "{s:?}");
        assert!(s.skipped_reasons.contains_key("line_too_long"), "{s:?}");
        assert!(s.notes.contains_key("lossy_utf8"), "{s:?}");
        // The events the parser took as borrowed fields are there, unescaped and cleaned.
        let app = |e: &Event| match &e.kind {
            EventKind::App { event, .. } => Some(event.clone()),
            _ => None,
        };
        let a: Vec<AppLog> = one.0.iter().filter_map(app).collect();
        let has = |f: &dyn Fn(&AppLog) -> bool| a.iter().any(f);
        assert!(has(&|e| e.route.as_deref() == Some("/a/é") && e.message() == "query \"started\""));
        assert!(has(&|e| e.route.as_deref() == Some("/d") && e.message() == "del  here"));
        assert!(has(&|e| e.request_id.as_deref() == Some("1019")));
        assert!(has(&|e| e.route.as_deref() == Some("/\u{fffd}")));
        assert!(has(&|e| e.message() == "the longest string here"));
    }
}
