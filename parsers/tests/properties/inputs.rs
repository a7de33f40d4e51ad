//! Generated inputs for the property tests (issue 8): documents built line by line from real
//! lines of the fixtures and samples, real lines mutated, and random bytes.
//!
//! A [`Doc`] is a list of lines, each with its own ending, so that a shrunk failure prints as
//! readable byte strings and can be pasted into a regression test. [`doc`] builds the
//! documents of one [`Family`] (the files one parser reads); [`any_doc`] picks a family first.
//!
//! This file is shared: the parsers' properties (`parsers/tests/properties/`) use it as a
//! module, and the ingest properties of the root crate (`src/ingest/proptests.rs`) include it
//! with `#[path]`, so both run on the same inputs. It reads the fixtures with `include_bytes!`
//! (paths relative to this file) and does no I/O at run time.

use std::fmt;
use std::sync::LazyLock;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::strategy::Union;

/// The files whose lines one parser understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// hammer CSVs and JMeter JTLs (`loadtest`).
    LoadTest,
    /// k6 `--out csv`.
    K6,
    /// vegeta `encode --to csv`.
    Vegeta,
    /// Locust `--csv` files.
    Locust,
    /// wrk and wrk2 summaries.
    Wrk,
    /// JSON-lines application logs.
    JsonLog,
    /// Server consoles and Python tracebacks.
    Console,
    /// Postgres stderr logs.
    Postgres,
}

impl Family {
    /// Every family.
    pub const ALL: [Family; 8] = [
        Family::LoadTest,
        Family::K6,
        Family::Vegeta,
        Family::Locust,
        Family::Wrk,
        Family::JsonLog,
        Family::Console,
        Family::Postgres,
    ];

    fn files(self) -> &'static [&'static [u8]] {
        match self {
            Family::LoadTest => &[
                include_bytes!("../../../samples/healthy-baseline/hammer.csv"),
                include_bytes!("../../../samples/pool-exhaustion/hammer.csv"),
                include_bytes!("../../../samples/latency-phases/hammer.csv"),
                include_bytes!("../../../samples/clock-skew/hammer.csv"),
                include_bytes!("../../../samples/loadtools/jmeter/out.jtl"),
                include_bytes!("../../../samples/loadtools/jmeter/out-tab.jtl"),
                include_bytes!("../fixtures/jmeter/jmeter5.jtl"),
            ],
            Family::K6 => &[
                include_bytes!("../fixtures/k6/k6-default.csv"),
                include_bytes!("../fixtures/k6/k6-old-header.csv"),
            ],
            Family::Vegeta => &[
                include_bytes!("../fixtures/vegeta/vegeta-12.csv"),
                include_bytes!("../fixtures/vegeta/vegeta-6.csv"),
            ],
            Family::Locust => &[
                include_bytes!("../../../samples/loadtools/locust/run_stats.csv"),
                include_bytes!("../../../samples/loadtools/locust/run_stats_history.csv"),
                include_bytes!("../../../samples/loadtools/locust/run_failures.csv"),
                include_bytes!("../../../samples/loadtools/locust/run_exceptions.csv"),
            ],
            Family::Wrk => &[
                include_bytes!("../fixtures/wrk/wrk2-latency.txt"),
                include_bytes!("../fixtures/wrk/wrk2-plain.txt"),
                include_bytes!("../../../samples/loadtools/wrk/boom.txt"),
                include_bytes!("../../../samples/loadtools/wrk/clean-no-latency.txt"),
                include_bytes!("../../../samples/loadtools/wrk/clean.txt"),
                include_bytes!("../../../samples/loadtools/wrk/drop.txt"),
                include_bytes!("../../../samples/loadtools/wrk/mixed.txt"),
                include_bytes!("../../../samples/loadtools/wrk/slow-timeout.txt"),
            ],
            Family::JsonLog => &[
                include_bytes!("../../../samples/healthy-baseline/app.log"),
                include_bytes!("../../../samples/pool-exhaustion/app.log"),
                include_bytes!("../../../samples/clock-skew/app.log"),
            ],
            Family::Console => &[
                include_bytes!("../fixtures/console/edge-cases.log"),
                include_bytes!("../fixtures/console/flask-sqlalchemy-chain.log"),
                include_bytes!("../fixtures/console/gunicorn-sync-timeout.log"),
                include_bytes!("../fixtures/console/seed-socketserver-banner.log"),
                include_bytes!("../fixtures/console/werkzeug-thread-exhaustion.log"),
                include_bytes!("../fixtures/traceback/carets-notes.txt"),
                include_bytes!("../fixtures/traceback/frameless-cause.txt"),
                include_bytes!("../fixtures/traceback/group-after-context.txt"),
                include_bytes!("../fixtures/traceback/group-nested.txt"),
                include_bytes!("../fixtures/traceback/recursion.txt"),
                include_bytes!("../fixtures/traceback/seed-chained-queuepool.txt"),
                include_bytes!("../fixtures/traceback/sqlalchemy-libpq-cause.txt"),
                include_bytes!("../fixtures/traceback/syntax-error.txt"),
                include_bytes!("../../../samples/healthy-baseline/stderr.log"),
                include_bytes!("../../../samples/pool-exhaustion/stderr.log"),
                include_bytes!("../../../samples/clock-skew/stderr.log"),
            ],
            Family::Postgres => &[
                include_bytes!("../fixtures/postgres/debian.log"),
                include_bytes!("../fixtures/postgres/malformed.log"),
                include_bytes!("../fixtures/postgres/pgbadger.log"),
                include_bytes!("../fixtures/postgres/rds.log"),
                include_bytes!("../../../samples/healthy-baseline/postgresql.log"),
                include_bytes!("../../../samples/pool-exhaustion/postgresql.log"),
                include_bytes!("../../../samples/clock-skew/postgresql.log"),
            ],
        }
    }
}

/// One family's real lines: each file's lines, and all of them together.
struct Pool {
    files: Vec<Vec<&'static [u8]>>,
    all: Vec<&'static [u8]>,
}

static POOLS: LazyLock<Vec<Pool>> = LazyLock::new(|| {
    Family::ALL
        .iter()
        .map(|f| {
            let files: Vec<Vec<&'static [u8]>> =
                f.files().iter().map(|b| rootcause_parsers::text::lines(b).collect()).collect();
            let all = files.iter().flatten().copied().collect();
            Pool { files, all }
        })
        .collect()
});

static EVERY_LINE: LazyLock<Vec<&'static [u8]>> =
    LazyLock::new(|| POOLS.iter().flat_map(|p| p.all.iter().copied()).collect());

fn pool(f: Family) -> &'static Pool {
    let i = Family::ALL.iter().position(|g| *g == f).unwrap_or(0);
    &POOLS[i]
}

/// How a line ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// `\n`.
    Lf,
    /// `\r\n`.
    CrLf,
    /// A lone `\r`: the line runs on into the next one.
    Cr,
    /// Nothing: the line runs on into the next one, or ends the input unterminated.
    Bare,
}

impl End {
    fn bytes(self) -> &'static [u8] {
        match self {
            End::Lf => b"\n",
            End::CrLf => b"\r\n",
            End::Cr => b"\r",
            End::Bare => b"",
        }
    }
}

/// One generated line and its ending.
#[derive(Clone, PartialEq, Eq)]
pub struct Line {
    /// The bytes (they may hold `\n` themselves, after a byte flip).
    pub bytes: Vec<u8>,
    /// How it ends.
    pub end: End,
}

impl fmt::Debug for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\" {:?}", self.bytes.escape_ascii(), self.end)
    }
}

/// A generated input: lines with their endings.
#[derive(Clone, PartialEq, Eq)]
pub struct Doc(pub Vec<Line>);

impl Doc {
    /// The input's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for l in &self.0 {
            out.extend_from_slice(&l.bytes);
            out.extend_from_slice(l.end.bytes());
        }
        out
    }
}

impl fmt::Debug for Doc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.0).finish()?;
        write!(f, "\n  bytes: b\"{}\"", self.bytes().escape_ascii())
    }
}

/// Bytes a mutation inserts: NUL, invalid UTF-8, control characters, CSV and JSON structure.
const INSERTS: &[&[u8]] = &[
    b"\0",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xf0\x9f\x98",
    b"\xc3\xa9",
    b"\r",
    b"\t",
    b"\x1b[31m",
    b"\x7f",
    b"\"",
    b",",
    b";",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"\\",
    b" ",
    b"\xef\xbb\xbf",
];

/// Bytes a mutation puts in front of a line: a Postgres continuation, indentation, a BOM.
const PREFIXES: &[&[u8]] = &[b"\t", b" ", b"    ", b"\xef\xbb\xbf", b"\"", b"\r"];

/// What is done to a real line.
#[derive(Debug, Clone)]
enum Mutation {
    /// XOR one byte with a non-zero mask.
    Flip(Index, u8),
    /// Cut the line at a position.
    Truncate(Index),
    /// Copy a piece of the line after itself.
    Duplicate(Index, Index),
    /// Insert bytes at a position.
    Insert(Index, &'static [u8]),
    /// Put bytes in front.
    Prepend(&'static [u8]),
    /// The start of this line, then the end of another real line.
    Splice(Index, &'static [u8], Index),
    /// Repeat the line until it is at least this long.
    Long(usize),
}

impl Mutation {
    fn apply(&self, line: &[u8]) -> Vec<u8> {
        let mut l = line.to_vec();
        match self {
            Mutation::Flip(at, mask) => {
                if !l.is_empty() {
                    let i = at.index(l.len());
                    l[i] ^= mask;
                }
            }
            Mutation::Truncate(at) => l.truncate(at.index(l.len() + 1)),
            Mutation::Duplicate(a, b) => {
                let (a, b) = (a.index(l.len() + 1), b.index(l.len() + 1));
                let (a, b) = (a.min(b), a.max(b));
                let piece = l[a..b].to_vec();
                l.splice(b..b, piece);
            }
            Mutation::Insert(at, bytes) => {
                let i = at.index(l.len() + 1);
                l.splice(i..i, bytes.iter().copied());
            }
            Mutation::Prepend(bytes) => {
                l.splice(0..0, bytes.iter().copied());
            }
            Mutation::Splice(at, other, from) => {
                l.truncate(at.index(l.len() + 1));
                l.extend_from_slice(&other[from.index(other.len() + 1)..]);
            }
            Mutation::Long(n) => {
                let unit = if l.is_empty() { b"x".to_vec() } else { l.clone() };
                while l.len() < *n {
                    l.extend_from_slice(&unit);
                }
            }
        }
        l
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 1..=255u8).prop_map(|(i, m)| Mutation::Flip(i, m)),
        2 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Duplicate(a, b)),
        3 => (any::<Index>(), select(INSERTS)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => select(PREFIXES).prop_map(Mutation::Prepend),
        2 => (any::<Index>(), select(EVERY_LINE.as_slice()), any::<Index>())
            .prop_map(|(a, o, b)| Mutation::Splice(a, o, b)),
        1 => prop_oneof![4 => 256usize..4096, 1 => 4096usize..(128 << 10)].prop_map(Mutation::Long),
    ]
}

/// Bytes that build structure in most formats, for random lines that are not pure noise.
const ALPHABET: &[u8] =
    b" \t,;:\"'[]{}()<>@=/\\|+-_.%0123456789aeiouxyzAEIOUTLGRFDS\r\x1b\0\xff\xc3";

fn random_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![vec(any::<u8>(), 0..64), vec(select(ALPHABET), 0..96)]
}

/// Where a line comes from; `Main` indexes the document's main file, chosen last.
#[derive(Debug, Clone)]
enum Source {
    /// A line of the main file.
    Main(Index),
    /// A line of any file of the family.
    Family(&'static [u8]),
    /// A line of any family.
    Foreign(&'static [u8]),
    /// Random bytes.
    Random(Vec<u8>),
}

/// One piece of a document, before the main file is known.
#[derive(Debug, Clone)]
enum Piece {
    /// One line, maybe mutated.
    Line(Source, Option<Mutation>, End),
    /// Up to 16 consecutive lines of the main file, so that multi-line records (tracebacks,
    /// Postgres `DETAIL:` lines, quoted CSV cells) appear whole.
    Run(Index, Vec<End>),
    /// Up to 40 of the main file's first lines (a complete wrk summary, a CSV header with
    /// its rows).
    Head(Vec<End>),
}

fn source(f: Family) -> impl Strategy<Value = Source> {
    prop_oneof![
        6 => any::<Index>().prop_map(Source::Main),
        2 => select(pool(f).all.as_slice()).prop_map(Source::Family),
        1 => select(EVERY_LINE.as_slice()).prop_map(Source::Foreign),
        2 => random_line().prop_map(Source::Random),
    ]
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![12 => Just(End::Lf), 4 => Just(End::CrLf), 1 => Just(End::Cr), 1 => Just(End::Bare)]
}

fn piece(f: Family) -> impl Strategy<Value = Piece> {
    prop_oneof![
        12 => (source(f), proptest::option::weighted(0.4, mutation()), end())
            .prop_map(|(s, m, e)| Piece::Line(s, m, e)),
        3 => (any::<Index>(), vec(end(), 1..=16)).prop_map(|(at, ends)| Piece::Run(at, ends)),
        1 => vec(end(), 1..=40).prop_map(Piece::Head),
    ]
}

fn resolve(file: &[&'static [u8]], piece: Piece, out: &mut Vec<Line>) {
    let lines_from = |from: usize, ends: Vec<End>, out: &mut Vec<Line>| {
        let lines = file.get(from..).unwrap_or_default().iter();
        out.extend(lines.zip(ends).map(|(l, end)| Line { bytes: l.to_vec(), end }));
    };
    match piece {
        Piece::Line(src, m, end) => {
            let real: &[u8] = match &src {
                Source::Main(at) if !file.is_empty() => file[at.index(file.len())],
                Source::Main(_) => b"",
                Source::Family(l) | Source::Foreign(l) => l,
                Source::Random(b) => b,
            };
            let bytes = match m {
                Some(m) => m.apply(real),
                None => real.to_vec(),
            };
            out.push(Line { bytes, end });
        }
        Piece::Run(at, ends) => lines_from(at.index(file.len().max(1)), ends, out),
        Piece::Head(ends) => lines_from(0, ends, out),
    }
}

/// Documents of one family: one of its files is the main one; usually that file's first line
/// (a CSV's header) comes first, then up to 24 pieces, each a line or a run of lines.
pub fn doc(f: Family) -> impl Strategy<Value = Doc> {
    let files = &pool(f).files;
    (0..files.len(), proptest::bool::weighted(0.8), vec(piece(f), 0..24)).prop_map(
        move |(i, header, pieces)| {
            let file = files[i].as_slice();
            let mut lines = Vec::new();
            if let Some(first) = file.first().filter(|_| header) {
                lines.push(Line { bytes: first.to_vec(), end: End::Lf });
            }
            for p in pieces {
                resolve(file, p, &mut lines);
            }
            Doc(lines)
        },
    )
}

/// Documents of any family.
pub fn any_doc() -> impl Strategy<Value = Doc> {
    Union::new(Family::ALL.map(|f| doc(f).boxed()))
}
