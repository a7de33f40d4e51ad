//! One Postgres server log written to several destinations at once.
//!
//! `log_destination = 'stderr,csvlog'` (or `jsonlog`) writes every entry twice, as
//! `postgresql.log` and `postgresql.csv`, side by side in the log directory; whoever copies
//! that directory for a ticket copies both. Read together they would count every Postgres
//! signature twice. So before reading, the Postgres inputs in different formats are compared
//! by the entries at their start: when at least [`SHARE`] of the first entries of one are
//! also among the first entries of another (same time, pid, severity and message), they are
//! one log, and only one of them is read: the csvlog, else the jsonlog, else the stderr log
//! (the structured destinations need no `log_line_prefix`). The others are listed as inputs
//! with the reason and a warning, their lines not read. Logs whose starts differ (one
//! destination switched on later) are all read.

use std::collections::HashSet;

use rayon::prelude::*;

use rootcause_parsers::postgres::{self, PgRecord};
use rootcause_parsers::sniff::Format;
use rootcause_parsers::time::SECOND;
use rootcause_parsers::{LineParser, Micros, parse_bytes};

use super::read::{self, LineReader};
use super::{HEAD_BYTES, IngestOptions, Input, choose_format};

/// Share of the shorter start that must be found in the other for two logs to be one.
pub const SHARE: f64 = 0.8;
/// Entries compared at each log's start.
const ENTRIES: usize = 200;
/// Fewest entries a start must have to be compared (a handful of startup lines are alike in
/// any two logs of one server).
const MIN_ENTRIES: usize = 5;

/// An entry as the destinations all print it: its time in whole seconds (`%t` has no
/// milliseconds), pid, severity and the first line of its message (continuation lines are
/// indented in a stderr log, not in the others).
type Key = (Option<Micros>, Option<u32>, &'static str, String);

/// For each input, the input it is a copy of (another destination of the same server log)
/// and its own format, if so.
pub fn find(inputs: &[Input], o: &IngestOptions) -> Vec<Option<(usize, Format)>> {
    let mut out = vec![None; inputs.len()];
    if inputs.len() < 2 {
        return out;
    }
    let starts: Vec<Option<(Format, Vec<Key>)>> = inputs.par_iter().map(|i| start(i, o)).collect();
    let rank = |f: Format| match f {
        Format::PostgresCsv => 0,
        Format::PostgresJson => 1,
        _ => 2,
    };
    // Each input is compared with the preferred ones before it in preference order.
    let mut order: Vec<usize> = (0..inputs.len()).filter(|&i| starts[i].is_some()).collect();
    order.sort_by_key(|&i| starts[i].as_ref().map(|(f, _)| rank(*f)));
    for (k, &i) in order.iter().enumerate() {
        let Some((fi, ki)) = &starts[i] else { continue };
        for &j in &order[..k] {
            let Some((fj, kj)) = &starts[j] else { continue };
            if out[j].is_none() && fi != fj && same_log(ki, kj) {
                out[i] = Some((j, *fi));
                break;
            }
        }
    }
    out
}

/// True when the shorter start is at least [`SHARE`] within the other.
fn same_log(a: &[Key], b: &[Key]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() < MIN_ENTRIES {
        return false;
    }
    let long: HashSet<&Key> = long.iter().collect();
    let shared = short.iter().filter(|k| long.contains(k)).count();
    shared as f64 >= SHARE * short.len() as f64
}

/// The format and first entries of a Postgres input; `None` for any other input, for stdin,
/// a pipe or a device (read once: not read ahead) and for what cannot be read.
fn start(input: &Input, o: &IngestOptions) -> Option<(Format, Vec<Key>)> {
    if !std::fs::metadata(input.path()?).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let (r, _) = read::open(input.path(), o.max_decompressed).ok()?;
    let mut lr = LineReader::new(r, o.max_line);
    let nul = lr.skip_leading_nul().ok()?;
    let head = lr.head(HEAD_BYTES).ok()?;
    let (format, _) = choose_format(input, head, nul, o);
    let format = format.filter(|f| f.is_postgres())?;
    // The head may end inside an entry: only whole lines are read.
    let whole = match memchr::memrchr(b'\n', head) {
        Some(end) => &head[..end],
        None => head,
    };
    let records = match format {
        Format::PostgresCsv => entries(&mut postgres::csv::Parser::new(o.time), whole),
        Format::PostgresJson => entries(&mut postgres::json::Parser::new(o.time), whole),
        _ => {
            let prefix = o
                .pg_prefix
                .clone()
                .or_else(|| postgres::infer_prefix(whole, &o.time).map(|(p, _)| p))?;
            entries(&mut postgres::Parser::new(prefix, o.time), whole)
        }
    };
    Some((format, records))
}

fn entries<P: LineParser<Record = PgRecord>>(p: &mut P, head: &[u8]) -> Vec<Key> {
    let out = parse_bytes(p, head);
    // The last entry may be cut short (the head ends inside it): left out.
    let n = out.records.len().saturating_sub(1).min(ENTRIES);
    out.records
        .into_iter()
        .take(n)
        .map(|r| {
            let sev = r.rec.severity.map_or("", |s| s.as_str());
            let first = r.rec.message.lines().next().unwrap_or_default().to_string();
            (r.rec.ts.map(|t| t.div_euclid(SECOND)), r.rec.pid, sev, first)
        })
        .collect()
}
