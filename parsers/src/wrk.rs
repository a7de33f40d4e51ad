//! wrk and wrk2 text summaries.
//!
//! One run is one [`Aggregate::Totals`] record spanning every line from `Running 3s test @ URL`
//! to `Transfer/sec:`; several runs in one file give several records. Times are auto-scaled by
//! the tools (`160.58us`, `5.90ms`, `3.11s`, `1.50m`) and are converted to milliseconds.
//!
//! wrk2 is told apart by what only it prints: `Thread calibration:` lines, the
//! `Latency Distribution (HdrHistogram - ...)` block, the `Detailed Percentile spectrum` and its
//! `#[Mean = ..., StdDeviation = ...]` / `#[Max = ..., Total count = ...]` footer. The spectrum
//! rows belong to the record; the footer's Mean/StdDeviation/Max (three decimals, in ms) replace
//! the rounded `Latency` row. With `-U`, wrk2 prints a second, *uncorrected* block: it is part of
//! the record but its numbers are not used (the recorded latency is the one that accounts for
//! coordinated omission).
//!
//! Lines outside a run (before `Running`, after `Transfer/sec:`, e.g. a Lua `done()` print) are
//! skipped as `unrecognised`, blank ones as `blank`. Blank lines inside a run belong to it. A
//! run that stops early (the output was cut, or a foreign line interrupts it) is still a record
//! when its `N requests in ...` line was read, with what was read; without that line nothing of
//! it is trustworthy and its lines are skipped as `truncated_summary`.
//!
//! ```
//! use rootcause_parsers::{aggregate::Aggregate, parse_bytes, wrk};
//! let out = parse_bytes(
//!     &mut wrk::Parser::new(Default::default()),
//!     b"Running 3s test @ http://127.0.0.1:8080/\n  1 threads and 2 connections\n\
//!       1424 requests in 3.05s, 0.95MB read\nRequests/sec:    467.62\nTransfer/sec: 321.03KB\n",
//! );
//! let Aggregate::Totals { totals, .. } = &out.records[0].rec else { panic!() };
//! assert_eq!((totals.requests, totals.duration_s), (1424, Some(3.05)));
//! ```

use crate::aggregate::{Aggregate, SocketErrors, Tool, Totals};
use crate::text::{decimal as number, is_blank, lossy, unsigned as count};
use crate::{Detection, LineNo, LineParser, Sink, SkipReason};

/// Where in a run the parser is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Section {
    /// Header lines and thread stats.
    #[default]
    Head,
    /// `Latency Distribution` rows whose values we keep.
    Distribution,
    /// wrk2's `-U` block: rows belong to the run but are not used.
    Uncorrected,
    /// wrk2's `Detailed Percentile spectrum` of the recorded block.
    Spectrum,
    /// The spectrum of the uncorrected block.
    UncorrectedSpectrum,
    /// After `N requests in`.
    Tail,
}

/// One run being read.
#[derive(Debug)]
struct Run {
    first: LineNo,
    lines: u32,
    tool: Tool,
    totals: Totals,
    section: Section,
    /// `N requests in ...` was read.
    complete: bool,
}

/// The streaming parser.
#[derive(Debug, Default)]
pub struct Parser {
    run: Option<Run>,
}

impl Parser {
    /// A parser for wrk or wrk2 output (the options are not used: wrk prints no timestamps).
    pub fn new(opts: crate::loadtest::Options) -> Parser {
        let _ = opts;
        Parser::default()
    }

    /// Ends the run in progress: a record if it got as far as `N requests in`.
    fn end_run(&mut self, sink: &mut dyn Sink<Aggregate>) {
        let Some(run) = self.run.take() else {
            return;
        };
        if run.complete {
            sink.record(
                run.first,
                run.lines,
                Aggregate::Totals { tool: run.tool, totals: Box::new(run.totals) },
            );
        } else {
            for k in 0..u64::from(run.lines) {
                sink.skip(run.first + k, SkipReason::TruncatedSummary);
            }
        }
    }
}

/// `Running 3s test @ URL` → the URL.
fn running(line: &[u8]) -> Option<&[u8]> {
    let t = line.trim_ascii();
    let rest = t.strip_prefix(b"Running ")?;
    let at = memchr::memmem::find(rest, b" test @ ")?;
    Some(rest[at + 8..].trim_ascii())
}

/// Splits on ASCII whitespace, at most `N` tokens; `None` if there are more.
fn tokens<const N: usize>(line: &[u8]) -> Option<([&[u8]; N], usize)> {
    let mut out: [&[u8]; N] = [&[]; N];
    let mut n = 0;
    for t in line.split(u8::is_ascii_whitespace).filter(|t| !t.is_empty()) {
        *out.get_mut(n)? = t;
        n += 1;
    }
    Some((out, n))
}

/// A wrk duration (`160.58us`, `5.90ms`, `3.11s`, `1.50m`, `2.00h`) in milliseconds.
pub fn duration_ms(v: &[u8]) -> Option<f64> {
    let (num, scale) = if let Some(n) = v.strip_suffix(b"us") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix(b"ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix(b"s") {
        (n, 1_000.0)
    } else if let Some(n) = v.strip_suffix(b"m") {
        (n, 60_000.0)
    } else if let Some(n) = v.strip_suffix(b"h") {
        (n, 3_600_000.0)
    } else {
        return None;
    };
    number(num).map(|n| n * scale)
}

/// A wrk metric (`470.00`, `1.36k`, `2.50M`) as a number.
pub fn metric(v: &[u8]) -> Option<f64> {
    let (num, scale) = match v.last() {
        Some(b'k') => (&v[..v.len() - 1], 1e3),
        Some(b'M') => (&v[..v.len() - 1], 1e6),
        Some(b'G') => (&v[..v.len() - 1], 1e9),
        Some(b'T') => (&v[..v.len() - 1], 1e12),
        _ => (v, 1.0),
    };
    number(num).map(|n| n * scale)
}

/// A `+/- Stdev` cell: `87.33%` or `-nan%`.
fn percent_cell(v: &[u8]) -> bool {
    v.strip_suffix(b"%").is_some_and(|n| number(n).is_some() || n.ends_with(b"nan"))
}

/// `#[Mean    =        6.602, StdDeviation   =        1.919]` → the two numbers.
fn footer(line: &[u8]) -> Option<(&[u8], f64, &[u8], f64)> {
    let inner = line.trim_ascii().strip_prefix(b"#[")?.strip_suffix(b"]")?;
    let comma = memchr::memchr(b',', inner)?;
    fn pair(p: &[u8]) -> Option<(&[u8], f64)> {
        let eq = memchr::memchr(b'=', p)?;
        Some((p[..eq].trim_ascii(), number(p[eq + 1..].trim_ascii())?))
    }
    let (k1, v1) = pair(&inner[..comma])?;
    let (k2, v2) = pair(&inner[comma + 1..])?;
    Some((k1, v1, k2, v2))
}

/// What one line inside a run is.
enum Line<'a> {
    Threads(u32, u32),
    Calibration,
    StatsHeader,
    Latency(f64, f64, f64),
    ReqSec,
    Distribution { hdr: bool, uncorrected: bool },
    Percentile(f64, f64),
    SpectrumTitle,
    SpectrumHeader,
    SpectrumRow,
    Footer(&'a [u8], f64, &'a [u8], f64),
    Rule,
    Requests(u64, f64),
    SocketErrors(SocketErrors),
    Non2xx(u64),
    RequestsPerSec(f64),
    TransferPerSec,
    Blank,
}

fn classify(line: &[u8]) -> Option<Line<'_>> {
    let t = line.trim_ascii();
    if t.is_empty() {
        return Some(Line::Blank);
    }
    if t.starts_with(b"Thread calibration:") {
        return Some(Line::Calibration);
    }
    if t.starts_with(b"Latency Distribution") {
        let hdr = memchr::memmem::find(t, b"HdrHistogram").is_some();
        let uncorrected = memchr::memmem::find(t, b"Uncorrected").is_some();
        return Some(Line::Distribution { hdr, uncorrected });
    }
    if t == b"Detailed Percentile spectrum:" {
        return Some(Line::SpectrumTitle);
    }
    if t.starts_with(b"#[") {
        return footer(t).map(|(a, b, c, d)| Line::Footer(a, b, c, d));
    }
    if t.len() >= 10 && t.iter().all(|&c| c == b'-') {
        return Some(Line::Rule);
    }
    if let Some(v) = t.strip_prefix(b"Requests/sec:") {
        return number(v.trim_ascii()).map(Line::RequestsPerSec);
    }
    if t.starts_with(b"Transfer/sec:") {
        return Some(Line::TransferPerSec);
    }
    if let Some(v) = t.strip_prefix(b"Non-2xx or 3xx responses:") {
        return count(v.trim_ascii()).map(Line::Non2xx);
    }
    if let Some(v) = t.strip_prefix(b"Socket errors:") {
        let mut e = SocketErrors::default();
        for part in v.split(|&c| c == b',') {
            let ([name, n], 2) = tokens::<2>(part)? else {
                return None;
            };
            let n = count(n)?;
            match name {
                b"connect" => e.connect = n,
                b"read" => e.read = n,
                b"write" => e.write = n,
                b"timeout" => e.timeout = n,
                _ => return None,
            }
        }
        return Some(Line::SocketErrors(e));
    }
    let (tok, n) = tokens::<7>(t)?;
    match &tok[..n] {
        [th, b"threads", b"and", c, b"connections"] => {
            let th = u32::try_from(count(th)?).ok()?;
            let c = u32::try_from(count(c)?).ok()?;
            Some(Line::Threads(th, c))
        }
        [b"Thread", b"Stats", b"Avg", b"Stdev", b"Max", b"+/-", b"Stdev"] => {
            Some(Line::StatsHeader)
        }
        [b"Latency", mean, stdev, max, pct] if percent_cell(pct) => {
            Some(Line::Latency(duration_ms(mean)?, duration_ms(stdev)?, duration_ms(max)?))
        }
        [b"Req/Sec", mean, stdev, max, pct] if percent_cell(pct) => {
            metric(mean)?;
            metric(stdev)?;
            metric(max)?;
            Some(Line::ReqSec)
        }
        [p, v] if p.ends_with(b"%") => {
            Some(Line::Percentile(number(&p[..p.len() - 1])?, duration_ms(v)?))
        }
        [b"Value", b"Percentile", b"TotalCount", b"1/(1-Percentile)"] => Some(Line::SpectrumHeader),
        [v, p, c, inv] => {
            number(v)?;
            number(p)?;
            count(c)?;
            if *inv != b"inf" {
                number(inv)?;
            }
            Some(Line::SpectrumRow)
        }
        [n, b"requests", b"in", d, _, b"read"] => {
            let d = d.strip_suffix(b",")?;
            Some(Line::Requests(count(n)?, duration_ms(d)? / 1000.0))
        }
        _ => None,
    }
}

impl Run {
    /// Takes one line into the run; `false` if it is not a line of a wrk summary here.
    fn take(&mut self, line: &[u8]) -> bool {
        let Some(l) = classify(line) else {
            return false;
        };
        let s = self.section;
        let tail = s == Section::Tail;
        let recorded = matches!(s, Section::Distribution | Section::Spectrum);
        match l {
            Line::Blank => {}
            Line::Threads(t, c) if s == Section::Head => {
                self.totals.threads = Some(t);
                self.totals.connections = Some(c);
            }
            Line::Calibration if s == Section::Head => self.tool = Tool::Wrk2,
            Line::StatsHeader | Line::ReqSec if s == Section::Head => {}
            Line::Latency(mean, stdev, max) if s == Section::Head => {
                let lat = &mut self.totals.latency;
                (lat.mean, lat.stdev, lat.max) = (Some(mean), Some(stdev), Some(max));
            }
            Line::Distribution { hdr, uncorrected } if !tail => {
                if hdr {
                    self.tool = Tool::Wrk2;
                }
                self.section = if uncorrected || !self.totals.latency.percentiles.is_empty() {
                    Section::Uncorrected
                } else {
                    Section::Distribution
                };
            }
            Line::Percentile(p, v) if s == Section::Distribution => {
                self.totals.latency.percentiles.push((p, v));
            }
            Line::Percentile(..) if s == Section::Uncorrected => {}
            Line::SpectrumTitle if matches!(s, Section::Distribution | Section::Uncorrected) => {
                self.tool = Tool::Wrk2;
                self.section =
                    if recorded { Section::Spectrum } else { Section::UncorrectedSpectrum };
            }
            Line::SpectrumHeader | Line::SpectrumRow | Line::Rule
                if matches!(s, Section::Spectrum | Section::UncorrectedSpectrum) => {}
            Line::Footer(k1, v1, k2, v2)
                if matches!(s, Section::Spectrum | Section::UncorrectedSpectrum) =>
            {
                if s == Section::Spectrum {
                    let lat = &mut self.totals.latency;
                    match (k1, k2) {
                        (b"Mean", b"StdDeviation") => (lat.mean, lat.stdev) = (Some(v1), Some(v2)),
                        (b"Max", b"Total count") => lat.max = Some(v1),
                        _ => {}
                    }
                }
            }
            Line::Requests(n, secs) if !tail => {
                self.totals.requests = n;
                self.totals.duration_s = Some(secs);
                self.totals.socket_errors = Some(SocketErrors::default());
                self.totals.non_2xx_3xx = Some(0);
                self.complete = true;
                self.section = Section::Tail;
            }
            Line::SocketErrors(e) if tail => self.totals.socket_errors = Some(e),
            Line::Non2xx(n) if tail => self.totals.non_2xx_3xx = Some(n),
            Line::RequestsPerSec(r) if tail => self.totals.requests_per_s = Some(r),
            Line::TransferPerSec if tail => {}
            _ => return false,
        }
        self.lines += 1;
        true
    }
}

impl LineParser for Parser {
    type Record = Aggregate;

    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<Aggregate>) {
        if let Some(url) = running(line) {
            self.end_run(sink);
            let url = (!url.is_empty()).then(|| lossy(url).into_owned());
            self.run = Some(Run {
                first: no,
                lines: 1,
                tool: Tool::Wrk,
                totals: Totals { url, ..Totals::default() },
                section: Section::Head,
                complete: false,
            });
            return;
        }
        if let Some(run) = &mut self.run {
            if run.take(line) {
                if run.section == Section::Tail && line.trim_ascii().starts_with(b"Transfer/sec:") {
                    self.end_run(sink);
                }
                return;
            }
            // A foreign line cuts the run.
            self.end_run(sink);
        }
        let reason = if is_blank(line) { SkipReason::Blank } else { SkipReason::Unrecognised };
        sink.skip(no, reason);
    }

    fn finish(&mut self, sink: &mut dyn Sink<Aggregate>) {
        self.end_run(sink);
    }
}

/// How sure we are that `head` is a wrk or wrk2 summary: a `Running ... test @ URL` line at
/// the start of a line, with `N requests in` or `Requests/sec:` after it.
pub fn sniff(head: &[u8]) -> Option<Detection> {
    let mut lines = crate::text::lines(head);
    let run_at = lines.position(|l| running(l).is_some())?;
    let (mut threads, mut requests, mut rps, mut wrk2) = (false, false, false, false);
    for l in lines.take(400) {
        match classify(l) {
            Some(Line::Threads(..)) => threads = true,
            Some(Line::Requests(..)) => requests = true,
            Some(Line::RequestsPerSec(_)) => rps = true,
            Some(Line::Calibration | Line::SpectrumTitle | Line::Footer(..)) => wrk2 = true,
            Some(Line::Distribution { hdr: true, .. }) => wrk2 = true,
            _ => {}
        }
    }
    let score = if requests || rps {
        0.97
    } else if threads {
        0.9
    } else {
        0.5
    };
    let tool = if wrk2 {
        "wrk2 text summary (HdrHistogram/calibration lines)"
    } else {
        "wrk text summary"
    };
    let seen = [(threads, "threads line"), (requests, "'requests in'"), (rps, "'Requests/sec:'")]
        .iter()
        .filter(|(b, _)| *b)
        .map(|(_, s)| *s)
        .collect::<Vec<_>>()
        .join(", ");
    Some(Detection {
        score,
        reason: format!("{tool}: 'Running ... test @' on line {}; {seen}", run_at + 1),
    })
}

#[cfg(test)]
mod tests;
