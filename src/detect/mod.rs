//! Detect: matches the signature catalog against every event.
//!
//! The catalog is data (`src/detect/catalog.json`, embedded in the binary):
//! each signature has a stable id, patterns over one kind of text, a severity, whether it is a
//! failure, the effect it has on requests, its meaning and its remediation. Texts by kind:
//! - `exception`: every section (and group leaf) of a traceback, as `Type: message`, from
//!   application JSON logs and console tracebacks;
//! - `message`: the message of an application event or of a console log line;
//! - `pg`: the message of a Postgres entry.
//!
//! An event counts once per signature however many of its texts match. Matching runs over
//! chunks of the timeline in parallel with one `RegexSet` per text kind; captures (pool size,
//! pid, ...) are tallied per value so the hypothesis can quote them. Pure: no I/O.

use std::borrow::Cow;
use std::collections::BTreeMap;

use rayon::prelude::*;
use regex::{Regex, RegexSet, RegexSetBuilder};
use rootcause_parsers::console::ConsoleRecord;
use rootcause_parsers::traceback::Traceback;
use rootcause_parsers::{LineNo, Micros};
use serde::Deserialize;

pub mod graph;

use crate::correlate::Timeline;
use crate::model::{Event, EventKind, SourceId};

/// The built-in catalog, embedded at build time.
pub const BUILTIN_CATALOG: &str = include_str!("catalog.json");

/// The schema name a catalog file must declare.
pub const CATALOG_SCHEMA: &str = "rootcause.catalog/v1";

/// Largest compiled size of one pattern: that of user patterns.
pub const PATTERN_SIZE_LIMIT: usize = crate::pattern::SIZE_LIMIT;

/// How many evidence locations a finding keeps.
pub const DEFAULT_EVIDENCE: usize = 5;

/// The kind of text a pattern applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum On {
    /// A traceback section or exception-group leaf, as `Type: message`.
    Exception,
    /// An application or console log message.
    Message,
    /// A Postgres message.
    Pg,
}

const ON_ALL: [On; 3] = [On::Exception, On::Message, On::Pg];

/// One pattern of a signature.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    /// Which texts it is matched against.
    pub on: On,
    /// A Rust `regex` pattern (no look-around, no back-references).
    pub regex: String,
}

/// A catalogued failure signature.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Stable snake_case id, used in reports, tests and `--fail-on`.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// The component that emits it.
    pub component: String,
    /// `critical`, `error`, `warning` or `info`.
    pub severity: String,
    /// True when it marks a failure (as opposed to context).
    pub failure: bool,
    /// Its effect on requests: `http_5xx`, `no_response`, `footprint` (a trace left by another
    /// failure), or absent.
    #[serde(default)]
    pub effect: Option<String>,
    /// The patterns; the signature matches when any does.
    pub patterns: Vec<Pattern>,
    /// What it means, cause and effect.
    pub meaning: String,
    /// What to do.
    pub remediation: String,
    /// Sources and documentation.
    #[serde(default)]
    pub references: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    schema: String,
    signatures: Vec<Signature>,
}

/// The patterns on one kind of text, compiled together.
#[derive(Debug, Clone)]
struct PatternSet {
    on: On,
    set: RegexSet,
    /// For each pattern of the set: its signature's index and its own regex (for captures).
    each: Vec<(usize, Regex)>,
}

/// A compiled catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// The signatures, in catalog order.
    pub signatures: Vec<Signature>,
    sets: Vec<PatternSet>,
}

impl Catalog {
    /// The built-in catalog.
    pub fn builtin() -> Result<Catalog, String> {
        Catalog::from_json(BUILTIN_CATALOG, "built-in catalog")
    }

    /// Reads a catalog from JSON text; `origin` names it in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Catalog, String> {
        let file: CatalogFile = serde_json::from_str(text)
            .map_err(|e| format!("{origin}: line {}, column {}: {e}", e.line(), e.column()))?;
        if file.schema != CATALOG_SCHEMA {
            return Err(format!(
                "{origin}: schema is '{}', expected '{CATALOG_SCHEMA}'",
                file.schema
            ));
        }
        Catalog::new(file.signatures, origin)
    }

    /// Compiles signatures.
    pub fn new(signatures: Vec<Signature>, origin: &str) -> Result<Catalog, String> {
        let mut seen = std::collections::HashSet::new();
        for s in &signatures {
            if !seen.insert(s.id.as_str()) {
                return Err(format!("{origin}: signature id '{}' appears twice", s.id));
            }
            let valid = !s.id.is_empty()
                && s.id.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
            if !valid {
                return Err(format!("{origin}: signature id '{}' is not snake_case", s.id));
            }
        }
        let mut sets = Vec::new();
        for on in ON_ALL {
            let mut pats = Vec::new();
            let mut compiled = Vec::new();
            for (si, s) in signatures.iter().enumerate() {
                for p in s.patterns.iter().filter(|p| p.on == on) {
                    // The limits of user patterns: a catalog given with `--signatures` is
                    // user input.
                    let re = crate::pattern::user_regex(
                        &format!("{origin}: signature '{}'", s.id),
                        &p.regex,
                    )?;
                    pats.push(p.regex.clone());
                    compiled.push((si, re));
                }
            }
            if pats.is_empty() {
                continue;
            }
            let set =
                RegexSetBuilder::new(&pats).size_limit(PATTERN_SIZE_LIMIT * 8).build().map_err(
                    |e| format!("{origin}: patterns on {on:?} do not compile together: {e}"),
                )?;
            sets.push(PatternSet { on, set, each: compiled });
        }
        Ok(Catalog { signatures, sets })
    }

    /// The signature with this id.
    pub fn get(&self, id: &str) -> Option<&Signature> {
        self.signatures.iter().find(|s| s.id == id)
    }
}

/// One place that supports a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The input.
    pub source: SourceId,
    /// The line of the matched text.
    pub line: LineNo,
    /// When.
    pub ts: Option<Micros>,
    /// The matched text (at most [`EVIDENCE_TEXT_CHARS`] characters, one line).
    pub text: String,
}

/// Longest evidence text kept.
pub const EVIDENCE_TEXT_CHARS: usize = 300;

/// A signature found in the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Index of the signature in the catalog.
    pub signature: usize,
    /// Events that matched.
    pub count: u64,
    /// Earliest timestamp of a match.
    pub first_seen: Option<Micros>,
    /// Latest timestamp of a match.
    pub last_seen: Option<Micros>,
    /// Matches per input.
    pub by_source: BTreeMap<SourceId, u64>,
    /// The first matches, in time order.
    pub evidence: Vec<Evidence>,
    /// Named captures: name → value → count.
    pub captures: BTreeMap<String, BTreeMap<String, u64>>,
    /// Times of the timed matches, in the order met (the first [`MAX_TIMES`]), for charts.
    pub times: Vec<Micros>,
    /// Request ids of the application events that matched (at most [`MAX_TIMES`]): which
    /// requests it failed, for the hypothesis to attribute each failed request.
    pub request_ids: std::collections::BTreeSet<String>,
}

/// Most match times a finding keeps for charts.
pub const MAX_TIMES: usize = 100_000;

impl Finding {
    fn new(signature: usize) -> Finding {
        Finding {
            signature,
            count: 0,
            first_seen: None,
            last_seen: None,
            by_source: BTreeMap::new(),
            evidence: Vec::new(),
            captures: BTreeMap::new(),
            times: Vec::new(),
            request_ids: std::collections::BTreeSet::new(),
        }
    }

    fn merge(&mut self, other: Finding, max_evidence: usize) {
        self.count += other.count;
        self.first_seen = min_opt(self.first_seen, other.first_seen);
        self.last_seen = max_opt(self.last_seen, other.last_seen);
        for (s, n) in other.by_source {
            *self.by_source.entry(s).or_default() += n;
        }
        for e in other.evidence {
            if self.evidence.len() < max_evidence {
                self.evidence.push(e);
            }
        }
        let room = MAX_TIMES.saturating_sub(self.times.len());
        self.times.extend(other.times.into_iter().take(room));
        for id in other.request_ids {
            if self.request_ids.len() >= MAX_TIMES {
                break;
            }
            self.request_ids.insert(id);
        }
        for (name, values) in other.captures {
            let slot = self.captures.entry(name).or_default();
            for (v, n) in values {
                *slot.entry(v).or_default() += n;
            }
        }
    }

    /// The most frequent value of a capture.
    pub fn top_capture(&self, name: &str) -> Option<&str> {
        let values = self.captures.get(name)?;
        values.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(v, _)| v.as_str())
    }
}

fn min_opt(a: Option<Micros>, b: Option<Micros>) -> Option<Micros> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_opt(a: Option<Micros>, b: Option<Micros>) -> Option<Micros> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// The texts of one event, with the line each is on.
fn texts<'a>(ev: &'a Event, out: &mut Vec<(On, Cow<'a, str>, LineNo)>) {
    fn tb<'a>(
        t: &'a Traceback,
        line_of: &dyn Fn(u32) -> LineNo,
        out: &mut Vec<(On, Cow<'a, str>, LineNo)>,
    ) {
        for s in &t.sections {
            let line = line_of(s.line_offset);
            out.push((On::Exception, exc_text(&s.exception.exc_type, &s.exception.message), line));
            for leaf in &s.leaves {
                out.push((On::Exception, exc_text(&leaf.exc_type, &leaf.message), line));
            }
        }
    }
    match &ev.kind {
        EventKind::App { event, .. } => {
            out.push((On::Message, Cow::Borrowed(event.message.as_str()), ev.line));
            if let Some(t) = &event.exception {
                // An exception inside a JSON line is cited at that line.
                tb(t, &|_| ev.line, out);
            }
        }
        EventKind::Console(ConsoleRecord::Log(l)) => {
            out.push((On::Message, Cow::Borrowed(l.message.as_str()), ev.line));
        }
        EventKind::Console(ConsoleRecord::Traceback(t)) => {
            // Section offsets of a console traceback count from the record's first line.
            tb(&t.traceback, &|off| ev.line + u64::from(off), out);
        }
        EventKind::Db(r) => out.push((On::Pg, Cow::Borrowed(r.message.as_str()), ev.line)),
        EventKind::Console(ConsoleRecord::Access(_))
        | EventKind::Request(_)
        | EventKind::Aggregate(_) => {}
    }
}

fn exc_text<'a>(ty: &'a str, msg: &'a str) -> Cow<'a, str> {
    if msg.is_empty() { Cow::Borrowed(ty) } else { Cow::Owned(format!("{ty}: {msg}")) }
}

/// One line of at most [`EVIDENCE_TEXT_CHARS`] characters, control characters removed.
fn excerpt(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    let mut s: String =
        first.chars().filter(|c| !c.is_control() || *c == '\t').take(EVIDENCE_TEXT_CHARS).collect();
    if first.chars().count() > EVIDENCE_TEXT_CHARS {
        s.push('…');
    }
    s
}

fn scan(catalog: &Catalog, events: &[Event], max_evidence: usize) -> Vec<Finding> {
    let mut findings: Vec<Finding> = (0..catalog.signatures.len()).map(Finding::new).collect();
    let mut buf = Vec::new();
    let mut hit = vec![false; catalog.signatures.len()];
    for ev in events {
        buf.clear();
        texts(ev, &mut buf);
        hit.iter_mut().for_each(|h| *h = false);
        for (on, text, line) in &buf {
            for ps in &catalog.sets {
                if ps.on != *on {
                    continue;
                }
                for pi in ps.set.matches(text).iter() {
                    let Some((si, re)) = ps.each.get(pi) else { continue };
                    if hit[*si] {
                        continue;
                    }
                    hit[*si] = true;
                    let f = &mut findings[*si];
                    f.count += 1;
                    f.first_seen = min_opt(f.first_seen, ev.ts);
                    f.last_seen = max_opt(f.last_seen, ev.ts);
                    *f.by_source.entry(ev.source).or_default() += 1;
                    if let (Some(t), true) = (ev.ts, f.times.len() < MAX_TIMES) {
                        f.times.push(t);
                    }
                    if let EventKind::App { event, .. } = &ev.kind {
                        if let (Some(id), true) =
                            (&event.request_id, f.request_ids.len() < MAX_TIMES)
                        {
                            f.request_ids.insert(id.clone());
                        }
                    }
                    if f.evidence.len() < max_evidence {
                        f.evidence.push(Evidence {
                            source: ev.source,
                            line: *line,
                            ts: ev.ts,
                            text: excerpt(text),
                        });
                    }
                    if let Some(caps) = re.captures(text) {
                        for name in re.capture_names().flatten() {
                            if let Some(m) = caps.name(name) {
                                *f.captures
                                    .entry(name.to_string())
                                    .or_default()
                                    .entry(m.as_str().to_string())
                                    .or_default() += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    findings
}

/// Events per parallel chunk.
const CHUNK: usize = 16 * 1024;

/// Matches the catalog over the timeline; returns the signatures found, most frequent first
/// (ties by first occurrence, then id).
pub fn detect(tl: &Timeline, catalog: &Catalog, max_evidence: usize) -> Vec<Finding> {
    let partials: Vec<Vec<Finding>> =
        tl.events.par_chunks(CHUNK).map(|c| scan(catalog, c, max_evidence)).collect();
    let mut total: Vec<Finding> = (0..catalog.signatures.len()).map(Finding::new).collect();
    for part in partials {
        for (t, p) in total.iter_mut().zip(part) {
            t.merge(p, max_evidence);
        }
    }
    let mut found: Vec<Finding> = total.into_iter().filter(|f| f.count > 0).collect();
    found.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.first_seen.cmp(&b.first_seen))
            .then(catalog.signatures[a.signature].id.cmp(&catalog.signatures[b.signature].id))
    });
    found
}

#[cfg(test)]
mod tests;
