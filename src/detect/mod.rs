//! Detect: matches the signature catalog against every event.
//!
//! The catalog is data: the built-in file `src/detect/catalog.toml` (with the causal edges of
//! `src/detect/causal.toml`), embedded in the binary, plus the files a user gives with
//! `--signatures FILE` (format: `docs/catalog.md`; loader: [`file`](mod@file)). Each [`Signature`] has a
//! stable id, the inputs it applies to ([`Source`]), patterns over one kind of text
//! ([`On`]), optionally restricted to some levels, a severity, whether it is a failure, the
//! effect it has on requests, its meaning, its remediation and real wordings ([`Example`]).
//! Texts by kind:
//! - `exception`: every section (and group leaf) of a traceback, as `Type: message`, from
//!   application JSON logs and console tracebacks;
//! - `message`: the message of an application event or of a console log line, and the line
//!   that introduced a console traceback (`Error handling request /x`);
//! - `pg`: the message of a Postgres entry.
//!
//! An event counts once per signature however many of its texts match. Matching runs over
//! chunks of the timeline in parallel with one `RegexSet` per text kind; captures (pool size,
//! pid, ...) are tallied per value so the hypothesis can quote them. Pure apart from
//! [`Catalog::load`], which reads the user's catalog files.
//!
//! ```
//! use rootcause::detect::Catalog;
//! let catalog = Catalog::builtin().unwrap();
//! let s = catalog.get("queuepool_exhausted").unwrap();
//! assert!(s.failure && s.effect.as_deref() == Some("http_5xx"));
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, OnceLock};

use rayon::prelude::*;
use regex::{RegexSet, RegexSetBuilder};
use regex_automata::meta::{self, Regex as MetaRegex};
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input, PatternID};
use rootcause_parsers::console::ConsoleRecord;
use rootcause_parsers::postgres::Severity;
use rootcause_parsers::traceback::Traceback;
use rootcause_parsers::{Level, LineNo, Micros};
use serde::{Deserialize, Serialize};

use crate::correlate::Timeline;
use crate::model::{Event, EventKind, FastHash, Memo, SourceId};

pub mod file;
pub mod graph;
mod prefilter;
mod tail;

pub use graph::{Edge, SYMPTOMS};

/// The built-in catalog, embedded at build time.
pub const BUILTIN_CATALOG: &str = include_str!("catalog.toml");

/// The built-in causal edges, embedded at build time.
pub const BUILTIN_EDGES: &str = include_str!("causal.toml");

/// The schema name a catalog file must declare.
pub const CATALOG_SCHEMA: &str = "rootcause.catalog/v1";

/// What [`Catalog::origins`] says of a built-in signature.
pub const BUILTIN_ORIGIN: &str = "built-in";

/// Largest compiled size of one pattern: that of user patterns.
pub const PATTERN_SIZE_LIMIT: usize = crate::pattern::SIZE_LIMIT;

/// How many evidence locations a finding keeps.
pub const DEFAULT_EVIDENCE: usize = 5;

/// The kind of text a pattern applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum On {
    /// A traceback section or exception-group leaf, as `Type: message`.
    Exception,
    /// An application or console log message.
    Message,
    /// A Postgres message.
    Pg,
}

impl On {
    /// Every kind, in catalog order.
    pub const ALL: [On; 3] = [On::Exception, On::Message, On::Pg];

    /// The name used in catalog files.
    pub fn as_str(self) -> &'static str {
        match self {
            On::Exception => "exception",
            On::Message => "message",
            On::Pg => "pg",
        }
    }
}

/// The kind of input a signature applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The application's JSON log.
    App,
    /// A server's console (stderr): gunicorn, werkzeug, uWSGI, nginx, ... lines and tracebacks.
    Console,
    /// The Postgres log.
    Postgres,
    /// The load tool's output (reserved: load-test results carry no text matched today).
    Loadtest,
}

impl Source {
    /// The name used in catalog files.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::App => "app",
            Source::Console => "console",
            Source::Postgres => "postgres",
            Source::Loadtest => "loadtest",
        }
    }

    /// Whether a pattern on `on` can ever see text from this kind of input.
    pub fn reaches(self, on: On) -> bool {
        matches!(
            (self, on),
            (Source::App | Source::Console, On::Exception | On::Message)
                | (Source::Postgres, On::Pg)
                | (Source::Loadtest, On::Message)
        )
    }

    fn of(kind: &EventKind) -> Source {
        match kind {
            EventKind::App { .. } => Source::App,
            EventKind::Console(_) => Source::Console,
            EventKind::Db(_) => Source::Postgres,
            EventKind::Request(_) | EventKind::Aggregate(_) => Source::Loadtest,
        }
    }
}

/// One pattern of a signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pattern {
    /// Which texts it is matched against.
    pub on: On,
    /// A Rust `regex` pattern (no look-around, no back-references).
    pub regex: String,
    /// Only texts logged at one of these levels (case-insensitive): Postgres severities
    /// (`LOG`, `FATAL`, `DEBUG1`, ...) for `pg`, log levels (`error`, `critical`, ...) for
    /// `message` and `exception`. Empty: any level.
    pub level: Vec<String>,
}

impl Pattern {
    /// A pattern on `on` at any level.
    pub fn new(on: On, regex: &str) -> Pattern {
        Pattern { on, regex: regex.to_string(), level: Vec::new() }
    }
}

/// A real wording of a signature, as some version of its software prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    /// The kind of text.
    pub on: On,
    /// The text as the detector sees it (`Type: message` for an exception).
    pub text: String,
    /// The level it is logged at, for level-filtered patterns.
    pub level: Option<String>,
    /// Which software version prints this wording.
    pub version: Option<String>,
    /// Other signature ids this text matches too.
    pub also: Vec<String>,
}

/// A catalogued failure signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// Stable snake_case id, used in reports, tests and `--fail-on`.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// The component that emits it.
    pub component: String,
    /// The kinds of input it applies to.
    pub sources: Vec<Source>,
    /// `critical`, `error`, `warning` or `info`.
    pub severity: String,
    /// True when it marks a failure (as opposed to context).
    pub failure: bool,
    /// Its effect on requests: `http_5xx`, `no_response`, `footprint` (a trace left by another
    /// failure), `latency`, `refused`, or absent.
    pub effect: Option<String>,
    /// The patterns; the signature matches when any does.
    pub patterns: Vec<Pattern>,
    /// What it means, cause and effect.
    pub meaning: String,
    /// What to do.
    pub remediation: String,
    /// Sources and documentation.
    pub references: Vec<String>,
    /// Real wordings it matches.
    pub examples: Vec<Example>,
}

/// The severities a signature may have.
pub const SEVERITIES: [&str; 4] = ["critical", "error", "warning", "info"];

/// The effects a signature may declare.
pub const EFFECTS: [&str; 5] = ["http_5xx", "no_response", "footprint", "latency", "refused"];

/// Postgres severity words a `pg` pattern's `level` may name.
pub const PG_LEVELS: [&str; 14] = [
    "DEBUG",
    "DEBUG1",
    "DEBUG2",
    "DEBUG3",
    "DEBUG4",
    "DEBUG5",
    "LOG",
    "INFO",
    "NOTICE",
    "WARNING",
    "ERROR",
    "FATAL",
    "PANIC",
    "COMMERROR",
];

/// The level a text was logged at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextLevel {
    /// Not known (a console traceback, a line without a level).
    Unknown,
    /// An application or console log level.
    Log(Level),
    /// A Postgres severity.
    Pg(Severity),
}

/// A `level` list, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LevelFilter {
    Any,
    Log(Vec<Level>),
    /// Upper-case Postgres words.
    Pg(Vec<String>),
}

impl LevelFilter {
    /// Reads `words` for a pattern on `on`; the error names the first unknown word.
    fn new(on: On, words: &[String]) -> Result<LevelFilter, String> {
        if words.is_empty() {
            return Ok(LevelFilter::Any);
        }
        match on {
            On::Pg => {
                let mut v = Vec::new();
                for w in words {
                    let up = w.to_ascii_uppercase();
                    if !PG_LEVELS.contains(&up.as_str()) {
                        return Err(format!(
                            "level '{w}' is not a Postgres severity ({})",
                            PG_LEVELS.join(", ")
                        ));
                    }
                    // COMMERROR is logged as LOG.
                    v.push(if up == "COMMERROR" { "LOG".to_string() } else { up });
                }
                Ok(LevelFilter::Pg(v))
            }
            On::Message | On::Exception => {
                let mut v = Vec::new();
                for w in words {
                    v.push(Level::from_word(w.as_bytes()).ok_or_else(|| {
                        format!(
                            "level '{w}' is not a log level (debug, info, warning, error, critical)"
                        )
                    })?);
                }
                Ok(LevelFilter::Log(v))
            }
        }
    }

    fn admits(&self, level: TextLevel) -> bool {
        match (self, level) {
            (LevelFilter::Any, _) => true,
            (LevelFilter::Log(ls), TextLevel::Log(l)) => ls.contains(&l),
            (LevelFilter::Pg(ws), TextLevel::Pg(s)) => ws.iter().any(|w| pg_word_is(w, s)),
            _ => false,
        }
    }
}

/// True when the upper-case word names this severity: `DEBUG` any debug level, `DEBUG2` only
/// that one.
fn pg_word_is(word: &str, s: Severity) -> bool {
    match s {
        Severity::Debug(n) => {
            word == "DEBUG" || (n > 0 && word.strip_prefix("DEBUG") == Some(&n.to_string()))
        }
        other => word == other.as_str(),
    }
}

/// Reads a Postgres severity word (`FATAL`, `debug1`).
pub fn pg_severity(word: &str) -> Option<Severity> {
    let up = word.to_ascii_uppercase();
    Some(match up.as_str() {
        "DEBUG" => Severity::Debug(0),
        "LOG" | "COMMERROR" => Severity::Log,
        "INFO" => Severity::Info,
        "NOTICE" => Severity::Notice,
        "WARNING" => Severity::Warning,
        "ERROR" => Severity::Error,
        "FATAL" => Severity::Fatal,
        "PANIC" => Severity::Panic,
        d => match d.strip_prefix("DEBUG").and_then(|n| n.parse::<u8>().ok()) {
            Some(n @ 1..=5) => Severity::Debug(n),
            _ => return None,
        },
    })
}

/// One pattern of a [`PatternSet`]: its signature's index, its level filter, and its own
/// regex for captures, compiled on the first match (most patterns never match in a run, and
/// the set already checked that each compiles).
#[derive(Debug, Clone)]
struct Compiled {
    signature: usize,
    pattern: Arc<str>,
    re: Arc<OnceLock<Option<Matcher>>>,
    levels: LevelFilter,
}

/// A pattern's regex and its group cut at the end of the line, if any ([`tail`]).
type Matcher = (MetaRegex, Option<tail::Tail>);

impl Compiled {
    fn compiled(&self) -> Option<&Matcher> {
        self.re.get_or_init(|| tail::compile(&self.pattern).ok()).as_ref()
    }

    fn regex(&self) -> Option<&MetaRegex> {
        self.compiled().map(|(re, _)| re)
    }

    /// Its group that runs to the end of the line, if it was cut (see [`tail`]).
    fn tail(&self) -> Option<tail::Tail> {
        self.compiled().and_then(|(_, t)| *t)
    }
}

/// The patterns on one kind of text: a [`prefilter::Prefilter`] over their required
/// literals, and a set over those without any.
#[derive(Debug, Clone)]
struct PatternSet {
    on: On,
    prefilter: prefilter::Prefilter,
    /// The patterns no literal finds, compiled together.
    rest: Option<RegexSet>,
    each: Vec<Compiled>,
}

impl PatternSet {
    /// The patterns of `signatures` on `on`, if any (see [`Catalog::compile`]).
    fn compile(
        signatures: &[Signature],
        on: On,
        what: &(dyn Fn(usize, usize) -> String + Sync),
        check: &(dyn Fn(usize) -> bool + Sync),
    ) -> Result<Option<PatternSet>, String> {
        let mut pats = Vec::new();
        let mut each = Vec::new();
        for (si, s) in signatures.iter().enumerate() {
            let check_each = check(si);
            for (pi, p) in s.patterns.iter().enumerate().filter(|(_, p)| p.on == on) {
                // The limits of user patterns: a catalog given with `--signatures` is user
                // input. The built-in patterns are checked by the unit tests and compiled on
                // their first match only.
                let re = Arc::new(OnceLock::new());
                if check_each {
                    crate::pattern::user_regex(&what(si, pi), &p.regex)?;
                    let compiled =
                        tail::compile(&p.regex).map_err(|e| format!("{}: {e}", what(si, pi)))?;
                    let _ = re.set(Some(compiled));
                }
                let levels =
                    LevelFilter::new(on, &p.level).map_err(|e| format!("{}: {e}", what(si, pi)))?;
                pats.push(p.regex.as_str());
                each.push(Compiled {
                    signature: si,
                    pattern: Arc::from(p.regex.as_str()),
                    re,
                    levels,
                });
            }
        }
        if pats.is_empty() {
            return Ok(None);
        }
        let prefilter = prefilter::Prefilter::new(&pats);
        let rest_pats: Vec<&str> =
            prefilter.always.iter().filter_map(|&i| pats.get(i as usize).copied()).collect();
        let rest = if rest_pats.is_empty() {
            None
        } else {
            Some(
                RegexSetBuilder::new(&rest_pats)
                    .size_limit(PATTERN_SIZE_LIMIT * 16)
                    .build()
                    .map_err(|e| {
                        format!("the patterns on {} do not compile together: {e}", on.as_str())
                    })?,
            )
        };
        Ok(Some(PatternSet { on, prefilter, rest, each }))
    }
}

/// Scratch space for [`PatternSet::matches`], per thread and set.
struct Scratch {
    candidates: Vec<(u32, usize)>,
    /// Per pattern, its search cache.
    caches: Vec<Option<meta::Cache>>,
    /// For each pattern with groups, where they matched in the last text it matched.
    groups: Vec<Option<Captures>>,
    /// What short texts met before matched, when no match had groups (see
    /// [`crate::model::Memo`]).
    memo: Memo<Vec<(usize, bool)>>,
}

impl Default for Scratch {
    fn default() -> Scratch {
        Scratch {
            candidates: Vec::new(),
            caches: Vec::new(),
            groups: Vec::new(),
            memo: Memo::new(MEMO_ENTRIES),
        }
    }
}

/// Most texts [`Scratch::memo`] keeps.
const MEMO_ENTRIES: usize = 4096;

impl Scratch {
    /// The named groups of pattern `pi` (name, value) in the text [`PatternSet::matches`] last
    /// found it in; `tail` is its group cut at the end of the line, if any.
    fn groups(
        &self,
        pi: usize,
        tail: Option<tail::Tail>,
        text: &str,
        mut each: impl FnMut(&str, &str),
    ) {
        let Some(Some(caps)) = self.groups.get(pi) else { return };
        let names = caps.group_info().pattern_names(PatternID::ZERO);
        for (g, name) in names.enumerate() {
            if let (Some(name), Some(span)) = (name, caps.get_group(g)) {
                let end = match tail {
                    Some(t) if t.group == g => t.end(text, span.start),
                    _ => span.end,
                };
                if let Some(value) = text.get(span.start..end) {
                    each(name, value);
                }
            }
        }
    }
}

/// True when `re` has groups besides the whole match.
fn has_groups(re: &MetaRegex) -> bool {
    re.group_info().group_len(PatternID::ZERO) > 1
}

impl PatternSet {
    /// The patterns that match `text`, ascending, into `out` (cleared first), each with
    /// whether it has groups, read into the scratch space (see [`Scratch::groups`]).
    ///
    /// A candidate runs anchored at each place its prefilter found one of its leading
    /// literals, in order, until it matches there: the leftmost match, groups and all, that an
    /// unanchored search would find (see [`prefilter`]).
    fn matches(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<(usize, bool)>) {
        if let Some(known) = scratch.memo.get(text) {
            out.clear();
            out.extend_from_slice(known);
            return;
        }
        self.search(text, scratch, out);
        if out.iter().all(|&(_, groups)| !groups) {
            scratch.memo.keep(text, || out.clone());
        }
    }

    /// [`PatternSet::matches`] without the memo.
    fn search(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<(usize, bool)>) {
        out.clear();
        self.prefilter.candidates(text, &mut scratch.candidates);
        if scratch.caches.len() < self.each.len() {
            scratch.caches.resize_with(self.each.len(), || None);
            scratch.groups.resize_with(self.each.len(), || None);
        }
        let Scratch { candidates, caches, groups, .. } = scratch;
        for run in candidates.chunk_by(|a, b| a.0 == b.0) {
            let pi = run[0].0 as usize;
            let Some(re) = self.each.get(pi).and_then(Compiled::regex) else { continue };
            let cache = caches[pi].get_or_insert_with(|| re.create_cache());
            let with_groups = has_groups(re);
            for &(_, start) in run {
                let input = Input::new(text).span(start..text.len()).anchored(Anchored::Yes);
                let found = if with_groups {
                    let caps = groups[pi].get_or_insert_with(|| re.create_captures());
                    re.search_captures_with(cache, &input, caps);
                    caps.is_match()
                } else {
                    re.search_half_with(cache, &input).is_some()
                };
                if found {
                    out.push((pi, with_groups));
                    break;
                }
            }
        }
        if let Some(rest) = &self.rest {
            let before = out.len();
            for ri in rest.matches(text).iter() {
                let Some(&pi) = self.prefilter.always.get(ri) else { continue };
                let pi = pi as usize;
                let Some(re) = self.each.get(pi).and_then(Compiled::regex) else { continue };
                let with_groups = has_groups(re);
                if with_groups {
                    let cache = caches[pi].get_or_insert_with(|| re.create_cache());
                    let caps = groups[pi].get_or_insert_with(|| re.create_captures());
                    re.search_captures_with(cache, &Input::new(text), caps);
                }
                out.push((pi, with_groups));
            }
            if before > 0 && out.len() > before {
                out.sort_unstable();
            }
        }
    }
}

/// A compiled catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// The signatures, in catalog order.
    pub signatures: Vec<Signature>,
    /// Where each signature came from: [`BUILTIN_ORIGIN`] or the path of a user file.
    pub origins: Vec<String>,
    /// The causal edges.
    pub edges: Vec<Edge>,
    sets: Vec<PatternSet>,
    /// For each signature, the inputs it applies to, as a bit per [`Source`].
    source_bits: Vec<u8>,
}

fn source_bit(s: Source) -> u8 {
    match s {
        Source::App => 1,
        Source::Console => 2,
        Source::Postgres => 4,
        Source::Loadtest => 8,
    }
}

static BUILTIN: LazyLock<Result<Catalog, String>> =
    LazyLock::new(|| Catalog::load_texts(&[]).map_err(|e| format!("the built-in catalog: {e}")));

impl Catalog {
    /// The built-in catalog (`catalog.toml` and `causal.toml`), compiled once per process.
    pub fn builtin() -> Result<Catalog, String> {
        BUILTIN.clone()
    }

    /// The built-in catalog (unless `builtin` is false) with each user file in order: a user
    /// signature whose id is already in the catalog replaces it where it stands, a new id is
    /// appended; user edges are added (one with the same `from` and `to` as an earlier edge
    /// replaces it). Errors name the file and the line.
    pub fn load(builtin: bool, files: &[PathBuf]) -> Result<Catalog, String> {
        if builtin && files.is_empty() {
            return Catalog::builtin();
        }
        let mut texts = Vec::new();
        for f in files {
            let bytes =
                std::fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| format!("{}: the file is not UTF-8 text", f.display()))?;
            texts.push((f.display().to_string(), text));
        }
        let user: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        if builtin { Catalog::load_texts(&user) } else { file::build(&user) }
    }

    /// The built-in files followed by `user` files given as (name, text).
    fn load_texts(user: &[(&str, &str)]) -> Result<Catalog, String> {
        let mut all = vec![
            (file::BUILTIN_CATALOG_NAME, BUILTIN_CATALOG),
            (file::BUILTIN_EDGES_NAME, BUILTIN_EDGES),
        ];
        all.extend_from_slice(user);
        file::build(&all)
    }

    /// Reads one catalog file's text (no built-in signatures); `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Catalog, String> {
        file::build(&[(origin, text)])
    }

    /// Compiles signatures, all from `origin`, without edges.
    pub fn new(signatures: Vec<Signature>, origin: &str) -> Result<Catalog, String> {
        let mut seen = std::collections::HashSet::new();
        for s in &signatures {
            if !seen.insert(s.id.as_str()) {
                return Err(format!("{origin}: signature id '{}' appears twice", s.id));
            }
            if !is_snake_case(&s.id) {
                return Err(format!("{origin}: signature id '{}' is not snake_case", s.id));
            }
        }
        let origins = vec![origin.to_string(); signatures.len()];
        let ids: Vec<String> = signatures.iter().map(|s| s.id.clone()).collect();
        Catalog::compile(
            signatures,
            origins,
            Vec::new(),
            &|si, _| format!("{origin}: signature '{}'", ids.get(si).map_or("?", String::as_str)),
            &|_| true,
        )
    }

    /// Compiles the patterns; `what(signature index, pattern index)` starts a pattern's
    /// error. `check(signature index)` says whether to compile that signature's patterns one
    /// by one now, under the limits of user patterns and with an error naming the pattern
    /// (user files), or only within the sets (the built-in catalog, checked by its tests).
    fn compile(
        signatures: Vec<Signature>,
        origins: Vec<String>,
        edges: Vec<Edge>,
        what: &(dyn Fn(usize, usize) -> String + Sync),
        check: &(dyn Fn(usize) -> bool + Sync),
    ) -> Result<Catalog, String> {
        // The sets compile over the threads: start-up waits for the largest only (the
        // built-in catalog's took 12 ms one after the other).
        // Collected before the first error is taken, so that it is the same error every run.
        let sets: Vec<Result<Option<PatternSet>, String>> = On::ALL
            .par_iter()
            .map(|&on| PatternSet::compile(&signatures, on, what, check))
            .collect();
        let sets = sets.into_iter().filter_map(Result::transpose).collect::<Result<_, _>>()?;
        let source_bits = signatures
            .iter()
            .map(|s| s.sources.iter().fold(0, |acc, &src| acc | source_bit(src)))
            .collect();
        Ok(Catalog { signatures, origins, edges, sets, source_bits })
    }

    /// The signature with this id.
    pub fn get(&self, id: &str) -> Option<&Signature> {
        self.signatures.iter().find(|s| s.id == id)
    }

    /// The index of the signature with this id.
    pub fn index(&self, id: &str) -> Option<usize> {
        self.signatures.iter().position(|s| s.id == id)
    }

    /// The edges into `id`.
    pub fn edges_to<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Edge> + 'a {
        self.edges.iter().filter(move |e| e.to == id)
    }

    /// The edges out of `id`.
    pub fn edges_from<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Edge> + 'a {
        self.edges.iter().filter(move |e| e.from == id)
    }

    /// The ids of the signatures that match one text of kind `on` logged at `level` (a
    /// Postgres severity for `pg`, a log level otherwise; `None`: unknown), from an input of
    /// kind `source`, in catalog order. What the detector does with one text.
    pub fn matching(&self, source: Source, on: On, text: &str, level: Option<&str>) -> Vec<&str> {
        let level = match (on, level) {
            (_, None) => TextLevel::Unknown,
            (On::Pg, Some(w)) => pg_severity(w).map_or(TextLevel::Unknown, TextLevel::Pg),
            (_, Some(w)) => {
                Level::from_word(w.as_bytes()).map_or(TextLevel::Unknown, TextLevel::Log)
            }
        };
        let mut hit = vec![false; self.signatures.len()];
        let mut found = Vec::new();
        for ps in self.sets.iter().filter(|ps| ps.on == on) {
            ps.matches(text, &mut Scratch::default(), &mut found);
            for &(pi, _) in &found {
                if let Some(c) = ps.each.get(pi) {
                    if self.applies(c, source, level) {
                        hit[c.signature] = true;
                    }
                }
            }
        }
        self.signatures.iter().zip(hit).filter(|(_, h)| *h).map(|(s, _)| s.id.as_str()).collect()
    }

    fn applies(&self, c: &Compiled, source: Source, level: TextLevel) -> bool {
        self.source_bits.get(c.signature).is_some_and(|b| b & source_bit(source) != 0)
            && c.levels.admits(level)
    }
}

impl Signature {
    /// The first of its sources whose texts a pattern on `on` sees (for trying an example).
    pub fn source_for(&self, on: On) -> Option<Source> {
        self.sources.iter().copied().find(|s| s.reaches(on))
    }
}

/// True for a non-empty id of lower-case ASCII letters, digits and `_`.
pub fn is_snake_case(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
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
    pub captures: BTreeMap<String, Values>,
    /// Times of the timed matches, in the order met (the first [`MAX_TIMES`]), for charts.
    pub times: Vec<Micros>,
    /// Request ids of the application events that matched (at most [`MAX_TIMES`]): which
    /// requests it failed, for the hypothesis to attribute each failed request.
    pub request_ids: std::collections::BTreeSet<String>,
}

/// Most distinct values a finding names per capture (a statement's text or a duration has a
/// new value on every line); the others are counted under [`OTHER_VALUES`].
pub const MAX_CAPTURE_VALUES: usize = 1000;

/// The value under which captures past [`MAX_CAPTURE_VALUES`] distinct ones are counted.
pub const OTHER_VALUES: &str = "(other values)";

/// One capture value's count, and its rank in the order the values were first met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// How many matches captured it.
    pub count: u64,
    /// How many other values were met before it (in its chunk, then in the merged finding).
    first: usize,
}

/// The values of one capture and how often each was seen, within [`MAX_CAPTURE_VALUES`]
/// (hashed, for a statement's text is looked up on every `duration:` line; sorted when
/// reported or merged).
///
/// Merged in input order (as findings are), the values named are the first distinct ones
/// met, each counted exactly, however the input was cut into chunks: a chunk names the first
/// values it meets and keeps the others' counts aside, so that a value an earlier chunk named
/// gets them at the merge. (Across inputs, each already merged, a value one input
/// named and another counted among its others stays there.)
#[derive(Debug, Clone, Default)]
pub struct Values {
    named: HashMap<Box<str>, Tally, FastHash>,
    /// In a chunk's findings: the values met once `named` was full. Empty once merged.
    rest: Rest,
}

impl PartialEq for Values {
    fn eq(&self, other: &Values) -> bool {
        self.named == other.named && self.rest.entries() == other.rest.entries()
    }
}

impl Eq for Values {}

impl Values {
    /// The values named (under [`OTHER_VALUES`] the count of all the others), in no order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tally)> {
        self.named.iter().map(|(v, t)| (&**v, t))
    }

    /// The count of a value named.
    pub fn get(&self, value: &str) -> Option<&Tally> {
        self.named.get(value)
    }

    /// How many values are named.
    pub fn len(&self) -> usize {
        self.named.len()
    }

    /// True when none is.
    pub fn is_empty(&self) -> bool {
        self.named.is_empty()
    }

    /// Counts one more `value` in a chunk.
    pub(crate) fn tally(&mut self, value: &str) {
        if let Some(t) = self.named.get_mut(value) {
            t.count += 1;
        } else if self.named.len() < MAX_CAPTURE_VALUES {
            let first = self.named.len();
            self.named.insert(value.into(), Tally { count: 1, first });
        } else {
            self.rest.tally(value);
        }
    }

    /// Adds the values of a later part of the input: a value already named adds up, a new
    /// one is named while there is room, in the order the part met them, and the rest are
    /// counted under [`OTHER_VALUES`].
    fn add(&mut self, part: Values) {
        let Values { named, rest } = part;
        let mut named: Vec<(Box<str>, Tally)> = named.into_iter().collect();
        named.sort_unstable_by_key(|(_, t)| t.first);
        let mut other = 0;
        for (value, t) in named {
            if let Some(mine) = self.named.get_mut(&value) {
                mine.count += t.count;
            } else if &*value != OTHER_VALUES
                && self.named.len() - usize::from(self.named.contains_key(OTHER_VALUES))
                    < MAX_CAPTURE_VALUES
            {
                let first = self.named.len();
                self.named.insert(value, Tally { count: t.count, first });
            } else {
                other += t.count;
            }
        }
        // The part met these past its own first MAX_CAPTURE_VALUES values: none is among the
        // input's first ones unless named already, and the values named are full by now.
        if !rest.is_empty() {
            let mut found = 0;
            for (value, t) in self.named.iter_mut() {
                let n = rest.count(value);
                t.count += n;
                found += n;
            }
            other += rest.total - found;
        }
        if other > 0 {
            let first = self.named.len();
            let slot = self.named.entry(OTHER_VALUES.into()).or_insert(Tally { count: 0, first });
            slot.count += other;
        }
    }

    /// Within [`MAX_CAPTURE_VALUES`]: what merging it into no values gives.
    fn limited(self) -> Values {
        if self.rest.is_empty() && self.named.len() <= MAX_CAPTURE_VALUES {
            return self;
        }
        let mut out = Values::default();
        out.add(self);
        out
    }
}

/// The values a chunk met once it had named [`MAX_CAPTURE_VALUES`]: their text back to back
/// and a table of (hash, end of the text, count), in the order met; no allocation per value,
/// where a duration or a statement's text is new on almost every line.
#[derive(Debug, Clone, Default)]
struct Rest {
    text: String,
    table: hashbrown::HashTable<(u64, usize, usize, u64)>,
    hasher: FastHash,
    /// The count of all of them.
    total: u64,
}

impl Rest {
    fn is_empty(&self) -> bool {
        self.total == 0
    }

    fn tally(&mut self, value: &str) {
        self.total += 1;
        let hash = self.hasher.hash_one(value);
        match self.table.find_mut(hash, is(&self.text, hash, value)) {
            Some(e) => e.3 += 1,
            None => {
                let start = self.text.len();
                self.text.push_str(value);
                let entry = (hash, start, self.text.len(), 1);
                self.table.insert_unique(hash, entry, |e| e.0);
            }
        }
    }

    /// The values and their counts, in the order met.
    fn entries(&self) -> Vec<(&str, u64)> {
        let mut e: Vec<&(u64, usize, usize, u64)> = self.table.iter().collect();
        e.sort_unstable_by_key(|e| e.1);
        e.into_iter().map(|e| (self.text.get(e.1..e.2).unwrap_or_default(), e.3)).collect()
    }

    /// How many times `value` was met.
    fn count(&self, value: &str) -> u64 {
        let hash = self.hasher.hash_one(value);
        self.table.find(hash, is(&self.text, hash, value)).map_or(0, |e| e.3)
    }
}

/// Whether an entry of a [`Rest`] whose text is `text` is `value`, of hash `hash`.
fn is<'a>(
    text: &'a str,
    hash: u64,
    value: &'a str,
) -> impl Fn(&(u64, usize, usize, u64)) -> bool + 'a {
    move |e| e.0 == hash && text.get(e.1..e.2) == Some(value)
}

/// Counts one more `value` of capture `name` in one chunk's findings.
fn tally(captures: &mut BTreeMap<String, Values>, name: &str, value: &str) {
    let slot = match captures.get_mut(name) {
        Some(s) => s,
        None => captures.entry(name.to_string()).or_default(),
    };
    slot.tally(value);
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
            self.captures.entry(name).or_default().add(values);
        }
    }

    /// The finding with its captures within [`MAX_CAPTURE_VALUES`]: what [`scan`] gives, cut
    /// as merging it into an empty finding would.
    fn limited(mut self) -> Finding {
        self.captures = self.captures.into_iter().map(|(k, v)| (k, v.limited())).collect();
        self
    }

    /// The most frequent value of a capture.
    pub fn top_capture(&self, name: &str) -> Option<&str> {
        let values = self.captures.get(name)?;
        let top = values.iter().max_by(|a, b| a.1.count.cmp(&b.1.count).then(b.0.cmp(a.0)));
        top.map(|(v, _)| v)
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

/// One text of an event, as the patterns see it.
struct Text<'a> {
    on: On,
    text: Cow<'a, str>,
    line: LineNo,
    level: TextLevel,
}

/// The texts of one event, with the line each is on and the level it was logged at.
fn texts<'a>(ev: &'a Event, out: &mut Vec<Text<'a>>) {
    fn tb<'a>(
        t: &'a Traceback,
        line_of: &dyn Fn(u32) -> LineNo,
        level: TextLevel,
        out: &mut Vec<Text<'a>>,
    ) {
        for s in &t.sections {
            let line = line_of(s.line_offset);
            let text = exc_text(&s.exception.exc_type, &s.exception.message);
            out.push(Text { on: On::Exception, text, line, level });
            for leaf in &s.leaves {
                let text = exc_text(&leaf.exc_type, &leaf.message);
                out.push(Text { on: On::Exception, text, line, level });
            }
        }
    }
    let log_level = |l: Option<Level>| l.map_or(TextLevel::Unknown, TextLevel::Log);
    match &ev.kind {
        EventKind::App { event, .. } => {
            let level = log_level(event.level());
            let text = Cow::Borrowed(event.message());
            out.push(Text { on: On::Message, text, line: ev.line, level });
            if let Some(t) = event.exception() {
                // An exception inside a JSON line is cited at that line.
                tb(t, &|_| ev.line, level, out);
            }
        }
        EventKind::Console(c) => match &**c {
            ConsoleRecord::Log(l) => {
                let text = Cow::Borrowed(l.message.as_str());
                out.push(Text { on: On::Message, text, line: ev.line, level: log_level(l.level) });
            }
            ConsoleRecord::Traceback(t) => {
                // The line that introduced it (`Error handling request /x`, Django's `Internal
                // Server Error: /x`) is a message of its own; its level is not kept.
                if let Some(intro) = &t.intro {
                    let text = Cow::Borrowed(intro.as_str());
                    let level = TextLevel::Unknown;
                    out.push(Text { on: On::Message, text, line: ev.line, level });
                }
                // Section offsets of a console traceback count from the record's first line.
                tb(&t.traceback, &|off| ev.line + u64::from(off), TextLevel::Unknown, out);
            }
            // A router's access line that reports an error (`at=error code=H12 ...`).
            ConsoleRecord::Access(a) => {
                if let Some(e) = &a.error {
                    let text = Cow::Borrowed(e.as_str());
                    let level = TextLevel::Log(Level::Error);
                    out.push(Text { on: On::Message, text, line: ev.line, level });
                }
            }
        },
        EventKind::Db(r) => {
            let level = r.severity.map_or(TextLevel::Unknown, TextLevel::Pg);
            out.push(Text {
                on: On::Pg,
                text: Cow::Borrowed(r.message.as_str()),
                line: ev.line,
                level,
            })
        }
        EventKind::Request(_) | EventKind::Aggregate(_) => {}
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

/// Mines the texts of one event into `miner` (issue 11): a traceback's sections as
/// `Type: message` (kind "exception"), an application event's or a console line's message
/// ("app", "console"), a Postgres message ("postgres"), each at its own line and the event's
/// time (on the input's own clock). `failure`: a failure signature matched a text of the event.
fn mine(ev: &Event, texts: &[Text<'_>], failure: bool, miner: &mut crate::patterns::Miner) {
    for t in texts.iter().filter(|t| !t.text.trim().is_empty()) {
        let kind = match (t.on, &ev.kind) {
            (On::Exception, _) => "exception",
            (On::Pg, _) => "postgres",
            (On::Message, EventKind::App { .. }) => "app",
            (On::Message, _) => "console",
        };
        let at = crate::patterns::Occurrence { source: ev.source, line: t.line, ts: ev.ts };
        miner.add_matched(kind, &t.text, at, failure);
    }
    fields(ev, texts, miner);
}

/// A level's name in reports.
fn level_name(l: Level) -> &'static str {
    match l {
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warning => "warning",
        Level::Error => "error",
        Level::Critical => "critical",
    }
}

/// Counts the field values of one event into `miner` ([`crate::patterns::Miner::add_field`]):
/// an application event's route, level and pid; a console line's level and pid; a Postgres
/// entry's user, application name and severity; the type of each exception of its texts
/// (once per type).
fn fields(ev: &Event, texts: &[Text<'_>], miner: &mut crate::patterns::Miner) {
    let at = crate::patterns::Occurrence { source: ev.source, line: ev.line, ts: ev.ts };
    let mut num = itoa_buf();
    match &ev.kind {
        EventKind::App { event, .. } => {
            if let Some(r) = &event.route {
                miner.add_field("route", r, at);
            }
            if let Some(l) = event.level() {
                miner.add_field("level", level_name(l), at);
            }
            if let Some(p) = event.pid() {
                miner.add_field("pid", num.format(p), at);
            }
        }
        EventKind::Console(c) => {
            if let ConsoleRecord::Log(l) = &**c {
                if let Some(lv) = l.level {
                    miner.add_field("level", level_name(lv), at);
                }
                if let Some(p) = l.pid {
                    miner.add_field("pid", num.format(p), at);
                }
            }
        }
        EventKind::Db(r) => {
            if let Some(u) = &r.user {
                miner.add_field("pg_user", u, at);
            }
            if let Some(a) = &r.app {
                miner.add_field("pg_app", a, at);
            }
            if let Some(s) = r.severity {
                miner.add_field("pg_severity", s.as_str(), at);
            }
        }
        EventKind::Request(_) | EventKind::Aggregate(_) => {}
    }
    let mut seen: Vec<&str> = Vec::new();
    for t in texts.iter().filter(|t| t.on == On::Exception) {
        let ty = t.text.split_once(": ").map_or(&*t.text, |(ty, _)| ty).trim();
        if !ty.is_empty() && !seen.contains(&ty) {
            seen.push(ty);
            miner.add_field("exception", ty, at);
        }
    }
}

/// A buffer that writes an integer without allocating.
fn itoa_buf() -> NumBuf {
    NumBuf([0; 10])
}

/// See [`itoa_buf`].
struct NumBuf([u8; 10]);

impl NumBuf {
    fn format(&mut self, mut n: u32) -> &str {
        let mut i = self.0.len();
        loop {
            i -= 1;
            self.0[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        std::str::from_utf8(&self.0[i..]).unwrap_or("")
    }
}

/// Matches the catalog over `events` (in any order); one finding per signature of the
/// catalog, in catalog order, most of them empty. Partial results of consecutive chunks are
/// combined with [`merge_partial`].
pub fn scan(catalog: &Catalog, events: &[Event], max_evidence: usize) -> Vec<Finding> {
    scan_mining(catalog, events, max_evidence, None)
}

/// [`scan`], the texts it reads also mined into `miner` when there is one (each event's texts
/// are made once for both).
pub fn scan_mining(
    catalog: &Catalog,
    events: &[Event],
    max_evidence: usize,
    mut miner: Option<&mut crate::patterns::Miner>,
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = (0..catalog.signatures.len()).map(Finding::new).collect();
    let mut buf = Vec::new();
    let mut hit = vec![false; catalog.signatures.len()];
    // One scratch space per set: a set's caches belong to its own patterns.
    let mut scratches: Vec<Scratch> = catalog.sets.iter().map(|_| Scratch::default()).collect();
    let mut found = Vec::new();
    for ev in events {
        buf.clear();
        texts(ev, &mut buf);
        if buf.is_empty() {
            continue;
        }
        let source = Source::of(&ev.kind);
        hit.iter_mut().for_each(|h| *h = false);
        for t in &buf {
            for (ps, scratch) in
                catalog.sets.iter().zip(&mut scratches).filter(|(ps, _)| ps.on == t.on)
            {
                ps.matches(&t.text, scratch, &mut found);
                for &(pi, read) in &found {
                    let Some(c) = ps.each.get(pi) else { continue };
                    let si = c.signature;
                    if hit[si] || !catalog.applies(c, source, t.level) {
                        continue;
                    }
                    hit[si] = true;
                    let f = &mut findings[si];
                    f.count += 1;
                    f.first_seen = min_opt(f.first_seen, ev.ts);
                    f.last_seen = max_opt(f.last_seen, ev.ts);
                    *f.by_source.entry(ev.source).or_default() += 1;
                    if let (Some(ts), true) = (ev.ts, f.times.len() < MAX_TIMES) {
                        f.times.push(ts);
                    }
                    if let EventKind::App { event, .. } = &ev.kind {
                        if let (Some(id), true) =
                            (&event.request_id, f.request_ids.len() < MAX_TIMES)
                        {
                            f.request_ids.insert(id.to_string());
                        }
                    }
                    if f.evidence.len() < max_evidence {
                        f.evidence.push(Evidence {
                            source: ev.source,
                            line: t.line,
                            ts: ev.ts,
                            text: excerpt(&t.text),
                        });
                    }
                    if read {
                        let captures = &mut f.captures;
                        scratch.groups(pi, c.tail(), &t.text, |name, value| {
                            tally(captures, name, value);
                        });
                    }
                }
            }
        }
        if let Some(m) = miner.as_deref_mut() {
            let failure = hit.iter().zip(&catalog.signatures).any(|(&h, s)| h && s.failure);
            mine(ev, &buf, failure, m);
        }
    }
    findings
}

/// Events per parallel chunk.
const CHUNK: usize = 16 * 1024;

/// Adds the partial findings of a later chunk to `total` (both from [`scan`], or empty).
pub fn merge_partial(total: &mut Vec<Finding>, part: Vec<Finding>, max_evidence: usize) {
    if total.is_empty() {
        *total = part.into_iter().map(Finding::limited).collect();
        return;
    }
    for (t, p) in total.iter_mut().zip(part) {
        if p.count > 0 {
            t.merge(p, max_evidence);
        }
    }
}

/// Matches the catalog over the timeline; returns the signatures found, most frequent first
/// (ties by first occurrence, then id).
pub fn detect(tl: &Timeline, catalog: &Catalog, max_evidence: usize) -> Vec<Finding> {
    let partials: Vec<Vec<Finding>> =
        tl.events.par_chunks(CHUNK).map(|c| scan(catalog, c, max_evidence)).collect();
    let mut total = Vec::new();
    for part in partials {
        merge_partial(&mut total, part, max_evidence);
    }
    rank(total, catalog)
}

/// Combines the findings each input made during ingest ([`scan`] over its events, merged in
/// line order) into the run's: each input's times are moved onto the reference clock by
/// `skew` (what to subtract), then the evidence and times of all inputs are put in time
/// order and cut to their limits. Returns the signatures found, ranked as [`detect`] does.
pub fn combine(
    per_input: Vec<(SourceId, Vec<Finding>)>,
    skew: &dyn Fn(SourceId) -> Micros,
    catalog: &Catalog,
    max_evidence: usize,
) -> Vec<Finding> {
    let mut total: Vec<Finding> = (0..catalog.signatures.len()).map(Finding::new).collect();
    for (source, part) in per_input {
        let k = skew(source);
        for (t, mut p) in total.iter_mut().zip(part) {
            if p.count == 0 {
                continue;
            }
            if k != 0 {
                p.first_seen = p.first_seen.map(|x| x - k);
                p.last_seen = p.last_seen.map(|x| x - k);
                p.times.iter_mut().for_each(|x| *x -= k);
                for e in &mut p.evidence {
                    e.ts = e.ts.map(|x| x - k);
                }
            }
            // Keep every input's evidence and times for now; cut after sorting.
            let (evidence, times) = (std::mem::take(&mut p.evidence), std::mem::take(&mut p.times));
            t.merge(p, max_evidence);
            t.evidence.extend(evidence);
            t.times.extend(times);
        }
    }
    for t in &mut total {
        t.evidence.sort_by_key(|e| (e.ts.is_none(), e.ts, e.source, e.line));
        t.evidence.truncate(max_evidence);
        t.times.sort_unstable();
        t.times.truncate(MAX_TIMES);
    }
    rank(total, catalog)
}

/// The findings with a match, most frequent first (ties by first occurrence, then id).
fn rank(total: Vec<Finding>, catalog: &Catalog) -> Vec<Finding> {
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

#[cfg(test)]
mod wordings;
