//! Throughput of every parser on whole inputs, in MB/s on one core (`cargo bench -p
//! rootcause-parsers`; README, "Parser benchmarks").
//!
//! Each input is built in memory when the bench starts, from the real lines in `samples/` and
//! `parsers/tests/fixtures/`: a file is repeated until it reaches [`target_bytes`] (16 MiB by
//! default, `ROOTCAUSE_BENCH_MB` to change it), and every copy gets its own dates, epoch
//! stamps, pids and hex ids ([`vary`]), so no two copies are the same bytes. Lines are fed the
//! way `ingest` feeds them: one at a time, without the terminator, to the parser `ingest`
//! picks for the format, into a sink that keeps nothing. Each group declares
//! `Throughput::BytesDecimal`, so criterion prints MB/s (10^6 bytes a second); the parsers are
//! single-threaded, so that is per core.
//!
//! A whole run takes about two minutes (ten samples of each input, [`config`]); `-- --quick`
//! takes about ten seconds, and criterion's own `--warm-up-time`, `--measurement-time` and a
//! name filter (`-- postgres/`) work as usual.

use std::borrow::Cow;
use std::hint::black_box;
use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use regex::bytes::{Captures, Regex};
use rootcause_parsers::time::{self, TimeOptions, civil_from_days, days_from_civil};
use rootcause_parsers::{
    LineNo, LineParser, Sink, SkipReason, console, jsonlog, k6, loadtest, locust, postgres, sniff,
    text, traceback, vegeta, wrk,
};

/// How many bytes each whole-input benchmark parses.
fn target_bytes() -> usize {
    let mb = std::env::var("ROOTCAUSE_BENCH_MB").ok().and_then(|v| v.parse::<usize>().ok());
    mb.unwrap_or(16).max(1) << 20
}

/// The bytes of a file under the workspace root.
fn read(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `YYYY-MM-DD`, as in ISO stamps and Postgres' `%m`/`%t`.
static ISO_DATE: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{4})-(\d{2})-(\d{2})\b"));
/// `DD/Mon/YYYY`, as werkzeug and access logs write it.
static DAY_FIRST: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(\d{2})/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/(\d{4})\b"));
/// Epoch stamps of 2026 in seconds, milliseconds, microseconds or nanoseconds (k6, JMeter,
/// vegeta, Locust).
static EPOCH: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b17\d{8}(?:\d{9}|\d{6}|\d{3})?(?:\.\d+)?\b"));
/// A pid in brackets: `[4483]`, `(pid: 4493)`, `(pid:29804)`.
static PID: LazyLock<Regex> = LazyLock::new(|| re(r"(\[|\(pid: ?)(\d{3,6})([\])])"));
/// A request id or UUID: 32 or more hex digits and dashes.
static HEX_ID: LazyLock<Regex> = LazyLock::new(|| re(r"\b[0-9a-f][0-9a-f-]{31,}\b"));

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"))
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn num<T: std::str::FromStr>(c: &Captures<'_>, i: usize) -> Option<T> {
    std::str::from_utf8(c.get(i)?.as_bytes()).ok()?.parse().ok()
}

/// `y-m-d` moved `k` days later.
fn shift_date(y: i64, m: u32, d: u32, k: usize) -> (i64, u32, u32) {
    civil_from_days(days_from_civil(y, m, d) + k as i64)
}

/// Copy number `k` of `bytes`: dates `k` days later (epoch stamps too), pids moved by `k`, the
/// hex digits of ids rotated by `k`. Copy 0 is `bytes` unchanged.
fn vary(bytes: &[u8], k: usize) -> Vec<u8> {
    if k == 0 {
        return bytes.to_vec();
    }
    let out = ISO_DATE.replace_all(bytes, |c: &Captures<'_>| {
        let whole = c.get(0).map_or(&b""[..], |m| m.as_bytes()).to_vec();
        match (num(c, 1), num(c, 2), num(c, 3)) {
            (Some(y), Some(m @ 1..=12), Some(d @ 1..=31)) => {
                let (y, m, d) = shift_date(y, m, d, k);
                format!("{y:04}-{m:02}-{d:02}").into_bytes()
            }
            _ => whole,
        }
    });
    let out = DAY_FIRST.replace_all(&out, |c: &Captures<'_>| {
        let whole = c.get(0).map_or(&b""[..], |m| m.as_bytes()).to_vec();
        let month = c.get(2).and_then(|m| MONTHS.iter().position(|n| n.as_bytes() == m.as_bytes()));
        match (num(c, 1), month, num(c, 3)) {
            (Some(d), Some(m), Some(y)) => {
                let (y, m, d) = shift_date(y, m as u32 + 1, d, k);
                format!("{d:02}/{}/{y:04}", MONTHS[m as usize - 1]).into_bytes()
            }
            _ => whole,
        }
    });
    let out = EPOCH.replace_all(&out, |c: &Captures<'_>| {
        let whole = c.get(0).map_or(&b""[..], |m| m.as_bytes());
        let (int, frac) = match whole.iter().position(|&b| b == b'.') {
            Some(dot) => whole.split_at(dot),
            None => (whole, &b""[..]),
        };
        let scale = 10u64.pow(int.len() as u32 - 10);
        match std::str::from_utf8(int).ok().and_then(|s| s.parse::<u64>().ok()) {
            Some(v) => {
                let mut s = (v + k as u64 * 86_400 * scale).to_string().into_bytes();
                s.extend_from_slice(frac);
                s
            }
            None => whole.to_vec(),
        }
    });
    let out = PID.replace_all(&out, |c: &Captures<'_>| {
        let lead = c.get(1).map_or(&b""[..], |m| m.as_bytes());
        let mut s = lead.to_vec();
        match num::<u32>(c, 2) {
            Some(pid) => s.extend_from_slice((pid + k as u32).to_string().as_bytes()),
            None => s.extend_from_slice(c.get(2).map_or(&b""[..], |m| m.as_bytes())),
        }
        s.extend_from_slice(c.get(3).map_or(&b""[..], |m| m.as_bytes()));
        s
    });
    let out = HEX_ID.replace_all(&out, |c: &Captures<'_>| {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let whole = c.get(0).map_or(&b""[..], |m| m.as_bytes());
        whole
            .iter()
            .map(|&b| match HEX.iter().position(|&h| h == b) {
                Some(i) => HEX[(i + k) % 16],
                None => b,
            })
            .collect::<Vec<u8>>()
    });
    match out {
        Cow::Borrowed(b) => b.to_vec(),
        Cow::Owned(v) => v,
    }
}

/// `parts` varied and repeated, in turn, until the result holds at least `target` bytes;
/// `header`, if any, comes once at the top (a CSV header).
fn build(header: &[u8], parts: &[Vec<u8>], target: usize) -> Vec<u8> {
    let mut out = header.to_vec();
    let mut k = 0;
    while out.len() < target {
        for p in parts {
            out.extend_from_slice(&vary(p, k));
            if !out.ends_with(b"\n") {
                out.push(b'\n');
            }
        }
        k += 1;
    }
    out
}

/// Splits a file into its first line (with its `\n`) and the rest.
fn split_header(bytes: &[u8]) -> (&[u8], &[u8]) {
    let at = memchr::memchr(b'\n', bytes).map_or(bytes.len(), |i| i + 1);
    bytes.split_at(at)
}

/// A CSV of `files` (which share one header), built to `target` bytes.
fn csv(files: &[&str], target: usize) -> Vec<u8> {
    let mut header = Vec::new();
    let mut bodies = Vec::new();
    for f in files {
        let bytes = read(f);
        let (h, body) = split_header(&bytes);
        header = h.to_vec();
        bodies.push(body.to_vec());
    }
    build(&header, &bodies, target)
}

/// Whole text files, in turn, built to `target` bytes.
fn logs(files: &[&str], target: usize) -> Vec<u8> {
    let parts: Vec<Vec<u8>> = files.iter().map(|f| read(f)).collect();
    build(b"", &parts, target)
}

/// A sink that keeps nothing but counts, like `ingest`'s without the events.
#[derive(Default)]
struct Count {
    records: u64,
    skipped: u64,
}

impl<R> Sink<R> for Count {
    fn record(&mut self, _line: LineNo, _lines: u32, rec: R) {
        // By reference: by value, black_box copies the record (a `PgRecord` is 464 bytes).
        black_box(&rec);
        self.records += 1;
    }
    fn skip(&mut self, _line: LineNo, _reason: SkipReason) {
        self.skipped += 1;
    }
}

/// Feeds every line of `input` to `parser`, as `ingest::run` does.
fn feed<P: LineParser>(mut parser: P, input: &[u8]) -> Count {
    let mut sink = Count::default();
    let mut no: LineNo = 0;
    for line in text::lines(input) {
        no += 1;
        parser.line(line, no, &mut sink);
    }
    parser.finish(&mut sink);
    sink
}

/// One whole-input benchmark: a name, the input, and how to parse it.
struct Case {
    name: &'static str,
    input: Vec<u8>,
    parse: fn(&[u8]) -> Count,
}

/// Benchmarks `cases` as group `group`, after checking that each input parses to records with
/// few skipped lines (an input the parser does not understand measures nothing).
fn run_group(c: &mut Criterion, group: &str, cases: Vec<Case>) {
    let mut g = c.benchmark_group(group);
    g.sampling_mode(SamplingMode::Flat);
    for case in &cases {
        let n = (case.parse)(&case.input);
        let lines = text::lines(&case.input).count() as u64;
        assert!(
            n.records > 0 && n.skipped * 50 <= lines,
            "{group}/{}: {} records and {} lines skipped of {lines}",
            case.name,
            n.records,
            n.skipped
        );
        eprintln!(
            "{group}/{}: {:.1} MB, {lines} lines, {} records, {} skipped",
            case.name,
            case.input.len() as f64 / 1e6,
            n.records,
            n.skipped
        );
        g.throughput(Throughput::BytesDecimal(case.input.len() as u64));
        g.bench_function(case.name, |b| b.iter(|| (case.parse)(black_box(&case.input))));
    }
    g.finish();
}

const TIME: TimeOptions = TimeOptions { default_offset_secs: 0 };
const LT: loadtest::Options = loadtest::Options { time: TIME };

/// The `loadtest` group: the hammer CSV and a JMeter JTL.
fn loadtest_cases(t: usize) -> Vec<Case> {
    let parse = |b: &[u8]| feed(loadtest::Parser::new(LT), b);
    let hammer = ["samples/pool-exhaustion/hammer.csv", "samples/too-many-clients/hammer.csv"];
    vec![
        Case { name: "hammer", input: csv(&hammer, t), parse },
        Case { name: "jmeter-jtl", input: csv(&["samples/loadtools/jmeter/out.jtl"], t), parse },
    ]
}

fn k6_cases(t: usize) -> Vec<Case> {
    let input = csv(&["parsers/tests/fixtures/k6/k6-default.csv"], t);
    vec![Case { name: "k6-csv", input, parse: |b| feed(k6::Parser::new(LT), b) }]
}

fn vegeta_cases(t: usize) -> Vec<Case> {
    // vegeta's CSV has no header.
    let input = logs(&["parsers/tests/fixtures/vegeta/vegeta-12.csv"], t);
    vec![Case { name: "vegeta-csv", input, parse: |b| feed(vegeta::Parser::new(LT), b) }]
}

fn locust_cases(t: usize) -> Vec<Case> {
    let input = csv(&["samples/loadtools/locust/run_stats_history.csv"], t);
    vec![Case { name: "stats-history", input, parse: |b| feed(locust::Parser::new(LT), b) }]
}

fn wrk_cases(t: usize) -> Vec<Case> {
    let files = ["samples/loadtools/wrk/boom.txt", "parsers/tests/fixtures/wrk/wrk2-latency.txt"];
    let input = logs(&files, t);
    vec![Case { name: "wrk-wrk2-summaries", input, parse: |b| feed(wrk::Parser::new(LT), b) }]
}

/// The `jsonlog` group: structlog lines, and structlog lines of which one in ten carries a
/// traceback.
fn jsonlog_cases(t: usize) -> Vec<Case> {
    let parse = |b: &[u8]| feed(jsonlog::Parser::new(jsonlog::Options { time: TIME }), b);
    let failing = ["samples/pool-exhaustion/app.log", "samples/too-many-clients/app.log"];
    vec![
        Case { name: "structlog", input: logs(&["samples/healthy-baseline/app.log"], t), parse },
        Case { name: "structlog-tracebacks", input: logs(&failing, t), parse },
    ]
}

/// The prefix `ingest` would infer from the head of `input`.
fn inferred_prefix(input: &[u8]) -> postgres::Prefix {
    let head = &input[..input.len().min(HEAD_BYTES)];
    match postgres::infer_prefix(head, &TIME) {
        Some((p, _)) => p,
        None => panic!("no log_line_prefix inferred"),
    }
}

const DEBIAN_LOG: &str = "samples/too-many-clients/postgresql.log";
const PGBADGER_LOG: &str = "parsers/tests/fixtures/postgres/pgbadger.log";
static DEBIAN: LazyLock<postgres::Prefix> = LazyLock::new(|| inferred_prefix(&read(DEBIAN_LOG)));
static PGBADGER: LazyLock<postgres::Prefix> =
    LazyLock::new(|| inferred_prefix(&read(PGBADGER_LOG)));

/// The `postgres` group: `%m [%p] ` (Debian's default) and pgBadger's recommended prefix.
fn postgres_cases(t: usize) -> Vec<Case> {
    vec![
        Case {
            name: "debian-prefix",
            input: logs(&[DEBIAN_LOG], t),
            parse: |b| feed(postgres::Parser::new(DEBIAN.clone(), TIME), b),
        },
        Case {
            name: "pgbadger-prefix",
            input: logs(&[PGBADGER_LOG], t),
            parse: |b| feed(postgres::Parser::new(PGBADGER.clone(), TIME), b),
        },
    ]
}

/// The `console` group: werkzeug's access lines, and gunicorn's error log and access lines
/// with tracebacks between them.
fn console_cases(t: usize) -> Vec<Case> {
    let parse = |b: &[u8]| feed(console::Parser::new(TIME), b);
    let gunicorn = [
        "samples/too-many-clients/stderr.log",
        "parsers/tests/fixtures/console/flask-sqlalchemy-chain.log",
        "parsers/tests/fixtures/console/gunicorn-sync-timeout.log",
        "parsers/tests/fixtures/console/werkzeug-thread-exhaustion.log",
    ];
    vec![
        Case { name: "werkzeug", input: logs(&["samples/pool-exhaustion/stderr.log"], t), parse },
        Case { name: "gunicorn-tracebacks", input: logs(&gunicorn, t), parse },
    ]
}

/// Builds the cases of one group for inputs of about this many bytes.
type Cases = fn(usize) -> Vec<Case>;

/// Every whole-input group, by name.
const WHOLE_INPUTS: [(&str, Cases); 8] = [
    ("loadtest", loadtest_cases),
    ("k6", k6_cases),
    ("vegeta", vegeta_cases),
    ("locust", locust_cases),
    ("wrk", wrk_cases),
    ("jsonlog", jsonlog_cases),
    ("postgres", postgres_cases),
    ("console", console_cases),
];

/// Traceback blocks as `jsonlog` and `console` hand them to [`traceback::parse`]: the
/// `exception` strings of the sample app logs and the traceback fixtures, varied.
fn traceback_blocks(target: usize) -> Vec<Vec<u8>> {
    let mut base: Vec<Vec<u8>> = Vec::new();
    for f in ["samples/pool-exhaustion/app.log", "samples/too-many-clients/app.log"] {
        for line in text::lines(&read(f)) {
            let v: serde_json::Value = match serde_json::from_slice(line) {
                Ok(v) => v,
                Err(e) => panic!("{f}: {e}"),
            };
            if let Some(tb) = v.get("exception").and_then(|e| e.as_str()) {
                base.push(tb.as_bytes().to_vec());
            }
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/traceback");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    for p in names {
        base.push(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())));
    }
    let mut out = Vec::new();
    let (mut total, mut k) = (0, 0);
    while total < target {
        for b in &base {
            let v = vary(b, k);
            total += v.len();
            out.push(v);
        }
        k += 1;
    }
    out
}

fn traceback_parse(c: &mut Criterion) {
    let blocks = traceback_blocks(target_bytes() / 2);
    let bytes: usize = blocks.iter().map(Vec::len).sum();
    let parsed = blocks.iter().filter(|b| traceback::parse(b).is_some()).count();
    assert!(parsed * 10 >= blocks.len() * 9, "{parsed} of {} tracebacks parsed", blocks.len());
    let mut g = c.benchmark_group("traceback");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::BytesDecimal(bytes as u64));
    g.bench_function("blocks", |b| {
        b.iter(|| {
            for block in &blocks {
                black_box(traceback::parse(black_box(block)));
            }
        })
    });
    g.finish();
}

/// How many bytes of an input `ingest` sniffs (`ingest::HEAD_BYTES`).
const HEAD_BYTES: usize = 64 << 10;

fn sniff_heads(c: &mut Criterion) {
    let mut g = c.benchmark_group("sniff");
    for (name, file) in [
        ("jsonlog", "samples/pool-exhaustion/app.log"),
        ("loadtest-csv", "samples/pool-exhaustion/hammer.csv"),
        ("postgres", "samples/too-many-clients/postgresql.log"),
        ("console", "samples/pool-exhaustion/stderr.log"),
    ] {
        let bytes = logs(&[file], HEAD_BYTES);
        let head = &bytes[..HEAD_BYTES];
        g.throughput(Throughput::BytesDecimal(head.len() as u64));
        g.bench_function(name, |b| b.iter(|| sniff::sniff(black_box(head))));
    }
    let head = logs(&["samples/too-many-clients/postgresql.log"], HEAD_BYTES);
    let head = &head[..HEAD_BYTES];
    g.throughput(Throughput::BytesDecimal(head.len() as u64));
    g.bench_function("postgres-infer-prefix", |b| {
        b.iter(|| postgres::infer_prefix(black_box(head), &TIME))
    });
    g.finish();
}

/// Timestamps in the grammars the samples use, one a line, 7919 ms apart.
fn stamps(n: usize) -> Vec<Vec<u8>> {
    let start = days_from_civil(2026, 11, 25) * 86_400_000 + 15 * 3_600_000;
    (0..n)
        .map(|i| {
            let ms = start + i as i64 * 7919;
            let (y, mo, d) = civil_from_days(ms.div_euclid(86_400_000));
            let day_ms = ms.rem_euclid(86_400_000);
            let (h, mi, s, frac) =
                (day_ms / 3_600_000, day_ms / 60_000 % 60, day_ms / 1000 % 60, day_ms % 1000);
            let mon = MONTHS[mo as usize - 1];
            let s = match i % 8 {
                0 => format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}{:03}Z", i % 997),
                1 => format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z"),
                2 => format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{frac:03} UTC"),
                3 => format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} +0000"),
                4 => format!("{d:02}/{mon}/{y} {h:02}:{mi:02}:{s:02}"),
                5 => format!("{d:02}/{mon}/{y}:{h:02}:{mi:02}:{s:02} +0000"),
                6 => format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02},{frac:03}"),
                _ => format!("{}.{frac:03}", ms.div_euclid(1000)),
            };
            s.into_bytes()
        })
        .collect()
}

fn time_parse(c: &mut Criterion) {
    let batch = stamps(100_000);
    let bytes: usize = batch.iter().map(Vec::len).sum();
    let parsed = batch.iter().filter(|s| time::parse(s, &TIME).is_some()).count();
    assert_eq!(parsed, batch.len(), "every stamp of the batch parses");
    let mut g = c.benchmark_group("time");
    g.throughput(Throughput::BytesDecimal(bytes as u64));
    g.bench_function("parse-100k-stamps", |b| {
        b.iter(|| {
            for s in &batch {
                black_box(time::parse(black_box(s), &TIME));
            }
        })
    });
    g.finish();
}

/// Ten samples per benchmark, three seconds of measurement: each whole-input benchmark takes
/// about five seconds with its warm-up. Command-line flags override these.
fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(3))
}

fn main() {
    // What `criterion_group!` and `criterion_main!` expand to, written out: the macros define
    // an undocumented public function, which the workspace's `missing_docs` lint refuses.
    let mut c = config().configure_from_args();
    let t = target_bytes();
    for (group, cases) in WHOLE_INPUTS {
        run_group(&mut c, group, cases(t));
    }
    traceback_parse(&mut c);
    sniff_heads(&mut c);
    time_parse(&mut c);
    c.final_summary();
}
