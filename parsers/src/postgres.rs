//! Postgres stderr logs: each entry with its `DETAIL:`/`HINT:`/`STATEMENT:` lines and its
//! tab-indented continuation lines folded into one [`PgRecord`].
//!
//! Every line the server writes starts with the expansion of its [`log_line_prefix`] setting.
//! [`Prefix::compile`] turns such a setting into a matcher; [`infer_prefix`] picks one from the
//! first lines of a log by trying the common settings (the PG default `%m [%p] `, Debian's
//! `%m [%p] %q%u@%d `, pgBadger's recommendation, RDS) and, as a last resort, a generic shape.
//! [`Parser`] then folds lines into records through a [`Sink`]. Input is bytes, output is
//! records: this module never opens a file, spawns no thread and never panics on input.
//!
//! [`log_line_prefix`]: https://www.postgresql.org/docs/current/runtime-config-logging.html#GUC-LOG-LINE-PREFIX
//!
//! ```
//! use rootcause_parsers::postgres::{infer_prefix, Parser, Severity};
//! use rootcause_parsers::{parse_bytes, time::TimeOptions};
//!
//! let log = b"2026-11-25 15:42:19.989 UTC [29844] ERROR:  duplicate key value violates \
//! unique constraint \"guests_pkey\"\n\
//! 2026-11-25 15:42:19.989 UTC [29844] DETAIL:  Key (id)=(7) already exists.\n";
//! let (prefix, found) = infer_prefix(log, &TimeOptions::default()).unwrap();
//! assert_eq!(prefix.spec(), "%m [%p] ");
//! assert_eq!(found.reason, "2 of 2 lines match log_line_prefix '%m [%p] '");
//!
//! let out = parse_bytes(&mut Parser::new(prefix, TimeOptions::default()), log);
//! let rec = &out.records[0];
//! assert_eq!((rec.line, rec.lines), (1, 2));
//! assert_eq!(rec.rec.severity, Some(Severity::Error));
//! assert_eq!(rec.rec.pid, Some(29844));
//! assert_eq!(rec.rec.detail.as_deref(), Some("Key (id)=(7) already exists."));
//! ```

use std::borrow::Cow;
use std::sync::LazyLock;

use memchr::memmem;
use nom::IResult;
use nom::Parser as _;
use nom::bytes::complete::{tag, take_while_m_n};
use nom::character::complete::{anychar, char, digit1, hex_digit1};
use nom::combinator::{opt, recognize};
use nom::sequence::terminated;

use crate::error::{Note, SkipReason};
use crate::text;
use crate::time::{self, Micros, Stamp, TimeOptions, ZoneKind};
use crate::{Detection, LineNo, LineParser, Sink};

type PResult<'a, T> = IResult<&'a [u8], T>;

/// Longest text kept in one field of a record (message, detail, statement...), in bytes.
///
/// A longer text is cut at a character boundary and ends with `…`. It bounds memory when a
/// multi-megabyte statement is logged; the lines folded into the record are still counted.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// Longest text a free-width escape (`%u`, `%d`, `%a`, `%h`, `%r`, `%b`, `%i`, `%L`) may match.
const MAX_FREE: usize = 512;

/// How many ways a line may be tried against a prefix with free-width escapes before giving up.
const MATCH_BUDGET: u32 = 64;

/// How many non-blank, non-continuation lines of a head [`infer_prefix`] looks at.
const MAX_HEAD_LINES: usize = 200;

/// How far after the timestamp the generic shape looks for the severity, in bytes.
const GENERIC_WINDOW: usize = 120;

/// The spec string of [`Prefix::generic`].
pub const GENERIC_SPEC: &str = "(generic)";

/// The `log_line_prefix` settings [`infer_prefix`] tries, most common first.
///
/// On equal evidence the earlier entry wins, so a setting comes before its extensions.
pub const CANDIDATES: &[&str] = &[
    // PostgreSQL's own default since 10.
    "%m [%p] ",
    // Debian/Ubuntu packages' default (postgresql-common), PG 10 and later.
    "%m [%p] %q%u@%d ",
    "%t [%p] ",
    // pgBadger's recommendations (current and older documentation).
    "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%t [%p]: user=%u,db=%d,app=%a,client=%h ",
    "%m [%p]: user=%u,db=%d,app=%a,client=%h ",
    "%t [%p]: [%l-1] ",
    "%t [%p]: ",
    "%m [%p]: ",
    // Debian/Ubuntu default before PG 10.
    "%t [%p-%l] %q%u@%d ",
    // Amazon RDS / Aurora default.
    "%t:%r:%u@%d:[%p]:",
];

/// A Postgres message severity as printed in the server log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// `DEBUG1`..`DEBUG5` (the number is kept). Postgres itself prints plain `DEBUG` for every
    /// debug level; that reads as `Debug(0)`.
    Debug(u8),
    /// `LOG`.
    Log,
    /// `INFO`.
    Info,
    /// `NOTICE`.
    Notice,
    /// `WARNING`.
    Warning,
    /// `ERROR`.
    Error,
    /// `FATAL`.
    Fatal,
    /// `PANIC`.
    Panic,
}

impl Severity {
    /// The word as Postgres prints it (`DEBUG` for every debug level).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Debug(_) => "DEBUG",
            Severity::Log => "LOG",
            Severity::Info => "INFO",
            Severity::Notice => "NOTICE",
            Severity::Warning => "WARNING",
            Severity::Error => "ERROR",
            Severity::Fatal => "FATAL",
            Severity::Panic => "PANIC",
        }
    }
}

/// One log entry with its follow-up lines folded in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PgRecord {
    /// `%m`, `%t` or `%n` from the prefix.
    pub ts: Option<Micros>,
    /// `%p`.
    pub pid: Option<u32>,
    /// Severity of the main line; `None` only if the prefix matched but no severity followed.
    pub severity: Option<Severity>,
    /// Message of the main line; tab-indented continuation lines appended with `\n`.
    pub message: String,
    /// `%e`, else the code that `log_error_verbosity = verbose` puts before the message.
    pub sqlstate: Option<String>,
    /// `%u` (`[unknown]` as printed before authentication).
    pub user: Option<String>,
    /// `%d`.
    pub db: Option<String>,
    /// `%a` (`[unknown]` as printed when unset).
    pub app: Option<String>,
    /// `%h`, or the host part of `%r`.
    pub client: Option<String>,
    /// `DETAIL:` text.
    pub detail: Option<String>,
    /// `HINT:` text.
    pub hint: Option<String>,
    /// `STATEMENT:` text.
    pub statement: Option<String>,
    /// `CONTEXT:` text.
    pub context: Option<String>,
    /// `QUERY:` text.
    pub query: Option<String>,
    /// `LOCATION:` text (`log_error_verbosity = verbose`).
    pub location: Option<String>,
    /// The port part of `%r`.
    pub port: Option<u16>,
    /// `%l`: the number of this line within its session or process.
    pub session_line: Option<u64>,
    /// `%c`: the session id (`6926d2af.7464`).
    pub session_id: Option<String>,
    /// `%b`: the backend type (`client backend`, `checkpointer`...).
    pub backend_type: Option<String>,
    /// `%i`: the command tag (`SELECT`, `idle in transaction`...).
    pub command_tag: Option<String>,
    /// `%v`: the virtual transaction id (`3/1234`).
    pub vxid: Option<String>,
    /// `%x`: the transaction id (0 when none).
    pub xid: Option<u64>,
    /// `%Q`: the query id (0 when none is computed).
    pub query_id: Option<i64>,
}

/// One `%` escape of a `log_line_prefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Esc {
    /// `%a` application name.
    App,
    /// `%u` user name.
    User,
    /// `%d` database name.
    Db,
    /// `%r` remote host and port: `host(port)`.
    RemoteHostPort,
    /// `%h` remote host.
    RemoteHost,
    /// `%L` local address (PG 16+).
    LocalAddr,
    /// `%b` backend type (PG 13+).
    BackendType,
    /// `%p` process id.
    Pid,
    /// `%P` parallel group leader's pid (PG 14+), empty when not a parallel worker.
    LeaderPid,
    /// `%t` timestamp without milliseconds.
    Time,
    /// `%m` timestamp with milliseconds.
    TimeMs,
    /// `%n` Unix epoch with milliseconds.
    Epoch,
    /// `%i` command tag.
    CommandTag,
    /// `%e` SQLSTATE.
    SqlState,
    /// `%c` session id.
    SessionId,
    /// `%l` session line number.
    SessionLine,
    /// `%s` session start timestamp.
    SessionStart,
    /// `%v` virtual transaction id, empty outside a backend.
    Vxid,
    /// `%x` transaction id.
    Xid,
    /// `%Q` query id (PG 14+).
    QueryId,
}

impl Esc {
    fn from_char(c: char) -> Option<Esc> {
        Some(match c {
            'a' => Esc::App,
            'u' => Esc::User,
            'd' => Esc::Db,
            'r' => Esc::RemoteHostPort,
            'h' => Esc::RemoteHost,
            'L' => Esc::LocalAddr,
            'b' => Esc::BackendType,
            'p' => Esc::Pid,
            'P' => Esc::LeaderPid,
            't' => Esc::Time,
            'm' => Esc::TimeMs,
            'n' => Esc::Epoch,
            'i' => Esc::CommandTag,
            'e' => Esc::SqlState,
            'c' => Esc::SessionId,
            'l' => Esc::SessionLine,
            's' => Esc::SessionStart,
            'v' => Esc::Vxid,
            'x' => Esc::Xid,
            'Q' => Esc::QueryId,
            _ => return None,
        })
    }

    /// Text of any width: it ends where the rest of the prefix matches.
    fn is_free(self) -> bool {
        matches!(
            self,
            Esc::App
                | Esc::User
                | Esc::Db
                | Esc::RemoteHostPort
                | Esc::RemoteHost
                | Esc::LocalAddr
                | Esc::BackendType
                | Esc::CommandTag
        )
    }

    fn is_time(self) -> bool {
        matches!(self, Esc::Time | Esc::TimeMs | Esc::Epoch)
    }
}

/// One piece of a compiled prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// Text printed as is (`%%` included, as `%`).
    Lit(Vec<u8>),
    /// An escape with its padding (`%-10u` is `pad = -10`: left-justified in 10 columns).
    Esc { esc: Esc, pad: i32 },
}

/// A compiled `log_line_prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    spec: String,
    tokens: Vec<Token>,
    /// Number of tokens before `%q`: non-session processes print only those.
    q_at: Option<usize>,
    /// The generic shape (see [`Prefix::generic`]) instead of tokens.
    generic: bool,
}

/// Why a `log_line_prefix` given by the user was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixError {
    /// What is wrong, in one sentence.
    pub message: String,
}

impl std::fmt::Display for PrefixError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PrefixError {}

/// What a prefix captured from one line; text fields borrow from the line.
///
/// Empty fields (background processes print `user=,db=`) are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrefixMatch<'a> {
    /// `%m`, `%t` or `%n`, when it could be read.
    pub ts: Option<Stamp>,
    /// True when a time escape matched text that is not a valid timestamp.
    pub bad_ts: bool,
    /// `%p`.
    pub pid: Option<u32>,
    /// `%P`.
    pub leader_pid: Option<u32>,
    /// `%l`.
    pub session_line: Option<u64>,
    /// `%u`.
    pub user: Option<&'a [u8]>,
    /// `%d`.
    pub db: Option<&'a [u8]>,
    /// `%a`.
    pub app: Option<&'a [u8]>,
    /// `%h`, or the host part of `%r`.
    pub client: Option<&'a [u8]>,
    /// The port part of `%r`.
    pub port: Option<u16>,
    /// `%L`.
    pub local: Option<&'a [u8]>,
    /// `%e`.
    pub sqlstate: Option<&'a [u8]>,
    /// `%c`.
    pub session_id: Option<&'a [u8]>,
    /// `%s`, as printed.
    pub session_start: Option<&'a [u8]>,
    /// `%v`.
    pub vxid: Option<&'a [u8]>,
    /// `%x`.
    pub xid: Option<u64>,
    /// `%Q`.
    pub query_id: Option<i64>,
    /// `%b`.
    pub backend_type: Option<&'a [u8]>,
    /// `%i`.
    pub command_tag: Option<&'a [u8]>,
    /// True when the line stopped at `%q` (a process without a client session).
    pub short: bool,
    /// The line after the prefix: the severity word and the message.
    pub rest: &'a [u8],
}

impl<'a> PrefixMatch<'a> {
    /// Stores the text matched by a free-width escape.
    fn set_free(&mut self, esc: Esc, v: &'a [u8]) {
        let v = (!v.is_empty()).then_some(v);
        match esc {
            Esc::App => self.app = v,
            Esc::User => self.user = v,
            Esc::Db => self.db = v,
            Esc::RemoteHost => self.client = v,
            Esc::RemoteHostPort => {
                let (host, port) = v.map_or((None, None), host_port);
                self.client = host;
                self.port = port;
            }
            Esc::LocalAddr => self.local = v,
            Esc::BackendType => self.backend_type = v,
            Esc::CommandTag => self.command_tag = v,
            _ => {}
        }
    }
}

/// `%r`: `10.0.0.5(51234)` is host and port; `[local]` is a host alone.
fn host_port(v: &[u8]) -> (Option<&[u8]>, Option<u16>) {
    if let Some(inner) = v.strip_suffix(b")") {
        if let Some(open) = memchr::memrchr(b'(', inner) {
            let (host, port) = (inner.get(..open), inner.get(open + 1..));
            if let Some(port) = port.and_then(ascii_num::<u16>) {
                return (host.filter(|h| !h.is_empty()), Some(port));
            }
        }
    }
    (Some(v), None)
}

/// Decimal digits as a number; `None` when empty, not digits or too large.
fn ascii_num<T: std::str::FromStr>(d: &[u8]) -> Option<T> {
    if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(d).ok()?.parse().ok()
}

/// `%` then an optional padding (`-10`, `10`) then the escape character.
fn escape(i: &str) -> IResult<&str, (Option<&str>, char)> {
    let (i, _) = char('%').parse(i)?;
    (opt(recognize((opt(char('-')), digit1))), anychar).parse(i)
}

impl Prefix {
    /// Compiles a `log_line_prefix` such as `%m [%p] `.
    ///
    /// Every escape of PostgreSQL 17 is known, with optional padding (`%-10u`, `%10p`); an
    /// unknown escape or a lone `%` at the end is refused with a message naming it.
    pub fn compile(spec: &str) -> Result<Prefix, PrefixError> {
        let mut tokens = Vec::new();
        let mut lit: Vec<u8> = Vec::new();
        let mut q_at = None;
        let mut rest = spec;
        while let Some(k) = rest.find('%') {
            lit.extend_from_slice(rest.get(..k).unwrap_or_default().as_bytes());
            let at = spec.len() - rest.len() + k;
            let tail = rest.get(k..).unwrap_or_default();
            let Ok((after, (pad, c))) = escape(tail) else {
                return Err(PrefixError {
                    message: format!(
                        "log_line_prefix '{spec}' ends with an incomplete escape '{tail}'"
                    ),
                });
            };
            rest = after;
            let pad = match pad {
                None => 0,
                Some(p) => p.parse::<i32>().map_err(|_| PrefixError {
                    message: format!("log_line_prefix '{spec}': padding '{p}' is too large"),
                })?,
            };
            match c {
                '%' => lit.push(b'%'),
                'q' => {
                    if !lit.is_empty() {
                        tokens.push(Token::Lit(std::mem::take(&mut lit)));
                    }
                    // Only the first %q matters: a session process prints everything.
                    q_at.get_or_insert(tokens.len());
                }
                c => {
                    let Some(esc) = Esc::from_char(c) else {
                        return Err(PrefixError {
                            message: format!(
                                "unknown log_line_prefix escape '%{c}' at byte {at} of '{spec}'"
                            ),
                        });
                    };
                    if !lit.is_empty() {
                        tokens.push(Token::Lit(std::mem::take(&mut lit)));
                    }
                    tokens.push(Token::Esc { esc, pad });
                }
            }
        }
        lit.extend_from_slice(rest.as_bytes());
        if !lit.is_empty() {
            tokens.push(Token::Lit(lit));
        }
        Ok(Prefix { spec: spec.to_string(), tokens, q_at, generic: false })
    }

    /// The last-resort shape used when no known `log_line_prefix` fits: a timestamp at the
    /// start of the line, optionally a `[pid]` somewhere, then `SEVERITY:  ` within the next
    /// 120 bytes, with no quote or `word: text` phrase before it. Its [`spec`](Prefix::spec)
    /// is [`GENERIC_SPEC`].
    pub fn generic() -> Prefix {
        Prefix { spec: GENERIC_SPEC.to_string(), tokens: Vec::new(), q_at: None, generic: true }
    }

    /// The spec it was compiled from.
    pub fn spec(&self) -> &str {
        &self.spec
    }

    /// True for [`Prefix::generic`].
    pub fn is_generic(&self) -> bool {
        self.generic
    }

    /// True when lines carry a timestamp (`%m`, `%t`, `%n`, or the generic shape).
    pub fn has_time(&self) -> bool {
        self.generic
            || self.tokens.iter().any(|t| matches!(t, Token::Esc { esc, .. } if esc.is_time()))
    }

    /// Matches the start of `line` against the prefix and returns what it captured.
    ///
    /// A match followed by a severity word (`LOG:  `) is preferred; with `%q`, both the whole
    /// prefix and the part before `%q` are tried. `None` when the prefix does not match at all.
    pub fn match_line<'a>(&self, line: &'a [u8], time: &TimeOptions) -> Option<PrefixMatch<'a>> {
        let mut st = MatchState::new(time, true);
        self.match_in(line, &mut st).then_some(st.m)
    }

    /// [`Prefix::match_line`] into `st`: the match in `st.m`, and in `st.sev` the severity
    /// after it when the match had to find one. The parser reads the match where it is (a
    /// `PrefixMatch` is some 300 bytes, and copying it out of each try was a tenth of the
    /// parser's time) and need not read the severity again.
    fn match_in<'a>(&self, line: &'a [u8], st: &mut MatchState<'a, '_>) -> bool {
        if self.try_match(line, st) {
            return true;
        }
        st.reset(false);
        self.try_match(line, st)
    }

    fn match_with<'a>(
        &self,
        line: &'a [u8],
        time: &TimeOptions,
        need_sev: bool,
    ) -> Option<PrefixMatch<'a>> {
        let mut st = MatchState::new(time, need_sev);
        self.try_match(line, &mut st).then_some(st.m)
    }

    /// One try of [`Prefix::match_in`] from the fresh state `st`: the whole prefix, then the
    /// part before `%q` from a fresh state again.
    fn try_match<'a>(&self, line: &'a [u8], st: &mut MatchState<'a, '_>) -> bool {
        if self.generic {
            if !st.need_sev {
                return false;
            }
            let Some(m) = generic(line, st.time) else { return false };
            st.m = m;
            return true;
        }
        if let Some(rest) = walk(&self.tokens, line, st) {
            st.m.rest = rest;
            return true;
        }
        let Some(head) = self.q_at.and_then(|q| self.tokens.get(..q)) else { return false };
        st.reset(st.need_sev);
        let Some(rest) = walk(head, line, st) else { return false };
        st.m.rest = rest;
        st.m.short = true;
        true
    }

    /// How many of `lines` match with a severity after the prefix, and how many prefix tokens
    /// those matches used in all (the tie-breaker: a `%q` part never seen adds nothing).
    fn evidence(&self, lines: &[&[u8]], time: &TimeOptions) -> (usize, usize) {
        let mut count = 0;
        let mut tokens = 0;
        for line in lines {
            if let Some(m) = self.match_with(line, time, true) {
                count += 1;
                tokens += match (m.short, self.q_at) {
                    (true, Some(q)) => q,
                    _ => self.tokens.len(),
                };
            }
        }
        (count, tokens)
    }
}

/// State of one attempt to match a line.
struct MatchState<'a, 't> {
    m: PrefixMatch<'a>,
    time: &'t TimeOptions,
    /// Accept a match only if a severity word follows it.
    need_sev: bool,
    /// Ways left to try; free-width escapes backtrack over the occurrences of what follows.
    budget: u32,
    /// With `need_sev`, the severity [`MatchState::accept`] read after the match.
    sev: Option<Sev<'a>>,
}

/// What [`severity`] reads: the message after the word, and what the word says.
type Sev<'a> = (&'a [u8], Kind);

impl<'a, 't> MatchState<'a, 't> {
    fn new(time: &'t TimeOptions, need_sev: bool) -> Self {
        MatchState { m: PrefixMatch::default(), time, need_sev, budget: MATCH_BUDGET, sev: None }
    }

    /// Back to [`MatchState::new`]'s state.
    fn reset(&mut self, need_sev: bool) {
        self.m = PrefixMatch::default();
        self.need_sev = need_sev;
        self.budget = MATCH_BUDGET;
        self.sev = None;
    }

    fn spend(&mut self) -> bool {
        self.budget = self.budget.saturating_sub(1);
        self.budget > 0
    }

    /// Whether a match may end before `rest`; with `need_sev`, the severity word there is
    /// kept, for the match that ends there (the first accepted ends the walk).
    fn accept(&mut self, rest: &'a [u8]) -> bool {
        if !self.need_sev {
            return true;
        }
        match severity(rest) {
            Ok(sev) => {
                self.sev = Some(sev);
                true
            }
            Err(_) => false,
        }
    }
}

/// Matches `toks` at the start of `i`; returns the rest of the line.
fn walk<'a>(toks: &[Token], i: &'a [u8], st: &mut MatchState<'a, '_>) -> Option<&'a [u8]> {
    let mut i = i;
    for (k, tok) in toks.iter().enumerate() {
        let next = toks.get(k + 1..).unwrap_or_default();
        match tok {
            Token::Lit(l) => i = i.strip_prefix(l.as_slice())?,
            Token::Esc { esc, pad } if esc.is_free() => return free(*esc, *pad, next, i, st),
            Token::Esc { esc, pad } => {
                let next_lit = match next.first() {
                    Some(Token::Lit(l)) => Some(l.as_slice()),
                    _ => None,
                };
                i = padded(*esc, *pad, next_lit, i, st)?;
            }
        }
    }
    st.accept(i).then_some(i)
}

/// A free-width escape followed by `next`: tries each place where `next` can start, shortest
/// first (the next literal's occurrences, or every byte when an escape or the end follows).
fn free<'a>(
    esc: Esc,
    pad: i32,
    next: &[Token],
    i: &'a [u8],
    st: &mut MatchState<'a, '_>,
) -> Option<&'a [u8]> {
    let limit = MAX_FREE + pad.unsigned_abs() as usize;
    let window = i.get(..limit).unwrap_or(i);
    let attempt = |pos: usize, st: &mut MatchState<'a, '_>| free_at(esc, pad, next, i, pos, st);
    match next.first() {
        Some(Token::Lit(l)) => {
            for pos in occurrences(window, l) {
                if !st.spend() {
                    return None;
                }
                if let Some(rest) = attempt(pos, st) {
                    return Some(rest);
                }
            }
            None
        }
        None if !st.need_sev => {
            // Nothing to anchor on: a word.
            let pos = memchr::memchr(b' ', window).unwrap_or(window.len());
            attempt(pos, st)
        }
        None => {
            // The prefix ends here: the value stops where a severity word starts.
            let scan = i.get(..limit + 12).unwrap_or(i);
            for colon in memchr::memchr_iter(b':', scan) {
                let before = scan.get(..colon).unwrap_or_default();
                let pos = colon - word_len(before);
                if pos > window.len() {
                    return None;
                }
                if !st.spend() {
                    return None;
                }
                if let Some(rest) = attempt(pos, st) {
                    return Some(rest);
                }
            }
            None
        }
        _ => {
            for pos in 0..=window.len() {
                if !st.spend() {
                    return None;
                }
                if let Some(rest) = attempt(pos, st) {
                    return Some(rest);
                }
            }
            None
        }
    }
}

/// Where `needle` starts in `hay`, left to right, without overlaps: what
/// `memmem::find_iter` gives. Prefix literals are a few bytes (`,db=`, `]: [`), and building a
/// memmem searcher for every line cost more than the search (6.5% of the pgBadger-prefix
/// parser); a memchr for the first byte and a compare do it without one.
fn occurrences<'h>(hay: &'h [u8], needle: &'h [u8]) -> impl Iterator<Item = usize> + 'h {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at <= hay.len() {
            let pos = match needle.first() {
                Some(&b) => at + memchr::memchr(b, hay.get(at..)?)?,
                None => at,
            };
            if hay.get(pos..).is_some_and(|r| r.starts_with(needle)) {
                at = pos + needle.len().max(1);
                return Some(pos);
            }
            at = pos + 1;
        }
        None
    })
}

/// The free-width escape takes `i[..pos]` and `next` must match from `pos`.
fn free_at<'a>(
    esc: Esc,
    pad: i32,
    next: &[Token],
    i: &'a [u8],
    pos: usize,
    st: &mut MatchState<'a, '_>,
) -> Option<&'a [u8]> {
    let value = i.get(..pos)?;
    let value = if pad != 0 { value.trim_ascii() } else { value };
    st.m.set_free(esc, value);
    walk(next, i.get(pos..)?, st)
}

/// A fixed-grammar escape with its padding: spaces before the value when `pad > 0`, after it
/// (up to the width) when `pad < 0`.
fn padded<'a>(
    esc: Esc,
    pad: i32,
    next_lit: Option<&[u8]>,
    i: &'a [u8],
    st: &mut MatchState<'a, '_>,
) -> Option<&'a [u8]> {
    let i = if pad > 0 { skip_spaces(i, usize::MAX) } else { i };
    let rest = fixed(esc, next_lit, i, st)?;
    if pad < 0 {
        let width = i.len() - rest.len();
        let fill = (pad.unsigned_abs() as usize).saturating_sub(width);
        return Some(skip_spaces(rest, fill));
    }
    Some(rest)
}

fn skip_spaces(i: &[u8], at_most: usize) -> &[u8] {
    let n = i.iter().take(at_most).take_while(|&&c| c == b' ').count();
    i.get(n..).unwrap_or_default()
}

/// A fixed-grammar escape at the start of `i`; stores the value and returns the rest.
fn fixed<'a>(
    esc: Esc,
    next_lit: Option<&[u8]>,
    i: &'a [u8],
    st: &mut MatchState<'a, '_>,
) -> Option<&'a [u8]> {
    let m = &mut st.m;
    match esc {
        Esc::Time | Esc::TimeMs => match time::timestamp(i, st.time) {
            Ok((rest, stamp)) => {
                // %m always prints milliseconds and %t never does: this tells them apart.
                let has_ms = memchr::memchr(b'.', i.get(..i.len() - rest.len())?).is_some();
                if has_ms != (esc == Esc::TimeMs) {
                    return None;
                }
                m.ts = Some(stamp);
                Some(rest)
            }
            Err(_) => {
                let rest = unreadable_stamp(i, next_lit)?;
                m.bad_ts = true;
                Some(rest)
            }
        },
        Esc::Epoch => {
            let (rest, digits) = epoch(i).ok()?;
            match time::parse_epoch(digits) {
                Some(micros) => m.ts = Some(Stamp { micros, zone: ZoneKind::Explicit }),
                None => m.bad_ts = true,
            }
            Some(rest)
        }
        Esc::SessionStart => {
            let rest = match time::timestamp(i, st.time) {
                Ok((rest, _)) => rest,
                Err(_) => unreadable_stamp(i, next_lit)?,
            };
            m.session_start = i.get(..i.len() - rest.len());
            Some(rest)
        }
        Esc::Pid => {
            let (rest, v) = number::<u32>(i).ok()?;
            m.pid = Some(v);
            Some(rest)
        }
        Esc::LeaderPid => {
            let (rest, v) = opt(number::<u32>).parse(i).ok()?;
            m.leader_pid = v;
            Some(rest)
        }
        Esc::SessionLine => {
            let (rest, v) = number::<u64>(i).ok()?;
            m.session_line = Some(v);
            Some(rest)
        }
        Esc::Xid => {
            let (rest, v) = number::<u64>(i).ok()?;
            m.xid = Some(v);
            Some(rest)
        }
        Esc::QueryId => {
            let (rest, v) = query_id(i).ok()?;
            m.query_id = Some(v);
            Some(rest)
        }
        Esc::SqlState => {
            let (rest, v) = sqlstate(i).ok()?;
            m.sqlstate = Some(v);
            Some(rest)
        }
        Esc::SessionId => {
            let (rest, v) = session_id(i).ok()?;
            m.session_id = Some(v);
            Some(rest)
        }
        Esc::Vxid => {
            let (rest, v) = opt(vxid).parse(i).ok()?;
            m.vxid = v;
            Some(rest)
        }
        // Free-width escapes are handled by `free`.
        _ => None,
    }
}

/// Text where a timestamp should be but cannot be read (`2026-02-30 25:61:00 UTC`): stamp
/// characters only, starting with a digit, up to the literal that follows in the prefix.
fn unreadable_stamp<'a>(i: &'a [u8], next_lit: Option<&[u8]>) -> Option<&'a [u8]> {
    let window = i.get(..64).unwrap_or(i);
    let end = memmem::find(window, next_lit?)?;
    let stamp = window.get(..end)?;
    let stamp_char = |c: &u8| c.is_ascii_alphanumeric() || b":.+-/ ".contains(c);
    let plausible = stamp.len() >= 8
        && stamp.first().is_some_and(u8::is_ascii_digit)
        && stamp.contains(&b':')
        && stamp.iter().all(stamp_char);
    if plausible { i.get(end..) } else { None }
}

/// Decimal digits as a number.
fn number<T: std::str::FromStr>(i: &[u8]) -> PResult<'_, T> {
    let (rest, d) = digit1.parse(i)?;
    match ascii_num(d) {
        Some(v) => Ok((rest, v)),
        None => Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Digit))),
    }
}

/// `%n`: `1764085327.355`.
fn epoch(i: &[u8]) -> PResult<'_, &[u8]> {
    recognize((digit1, opt((char('.'), digit1)))).parse(i)
}

/// `%Q`: a signed 64-bit query id.
fn query_id(i: &[u8]) -> PResult<'_, i64> {
    let (rest, d) = recognize((opt(char('-')), digit1)).parse(i)?;
    match std::str::from_utf8(d).ok().and_then(|s| s.parse().ok()) {
        Some(v) => Ok((rest, v)),
        None => Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Digit))),
    }
}

/// `%e`: five digits or upper-case letters (`53300`, `42P01`).
fn sqlstate(i: &[u8]) -> PResult<'_, &[u8]> {
    take_while_m_n(5, 5, |c: u8| c.is_ascii_digit() || c.is_ascii_uppercase()).parse(i)
}

/// `%c`: process start time and pid in hex, `6926d2af.7464`.
fn session_id(i: &[u8]) -> PResult<'_, &[u8]> {
    recognize((hex_digit1, char('.'), hex_digit1)).parse(i)
}

/// `%v`: `procNumber/localTransactionId`, `3/1234`.
fn vxid(i: &[u8]) -> PResult<'_, &[u8]> {
    recognize((digit1, char('/'), digit1)).parse(i)
}

/// What the word before `:  ` says about a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A new entry.
    Main(Severity),
    /// A line that belongs to the entry before it.
    Sub(Part),
}

/// The text fields of a record a line can add to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Message,
    Detail,
    Hint,
    Statement,
    Context,
    Query,
    Location,
}

impl Part {
    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// `LOG:  `, `DETAIL:  `: a severity word, a colon and two spaces (elog.c writes `"%s:  "`).
/// A bare `WORD:` at the very end of a line (a truncated entry) is accepted too.
fn severity(i: &[u8]) -> PResult<'_, Kind> {
    let word = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let (rest, w) = terminated(take_while_m_n(3, 9, word), char(':')).parse(i)?;
    let (rest, _) = match rest {
        [] => (rest, rest),
        _ => tag(&b"  "[..]).parse(rest)?,
    };
    let Some(kind) = word_kind(w) else {
        return Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Tag)));
    };
    Ok((rest, kind))
}

/// What a severity word (`LOG`, `DEBUG2`, `DETAIL`...) starts; `None` for any other word.
fn word_kind(w: &[u8]) -> Option<Kind> {
    Some(match w {
        b"LOG" => Kind::Main(Severity::Log),
        b"ERROR" => Kind::Main(Severity::Error),
        b"FATAL" => Kind::Main(Severity::Fatal),
        b"WARNING" => Kind::Main(Severity::Warning),
        b"INFO" => Kind::Main(Severity::Info),
        b"NOTICE" => Kind::Main(Severity::Notice),
        b"PANIC" => Kind::Main(Severity::Panic),
        b"DEBUG" => Kind::Main(Severity::Debug(0)),
        [b'D', b'E', b'B', b'U', b'G', n @ b'1'..=b'5'] => Kind::Main(Severity::Debug(n - b'0')),
        b"DETAIL" => Kind::Sub(Part::Detail),
        b"HINT" => Kind::Sub(Part::Hint),
        b"STATEMENT" => Kind::Sub(Part::Statement),
        b"CONTEXT" => Kind::Sub(Part::Context),
        b"QUERY" => Kind::Sub(Part::Query),
        b"LOCATION" => Kind::Sub(Part::Location),
        _ => return None,
    })
}

impl Severity {
    /// The severity of an entry's main line from its word (`LOG`, `FATAL`, `DEBUG2`); `None`
    /// for a follow-up word (`DETAIL`) or anything else.
    pub fn from_word(w: &[u8]) -> Option<Severity> {
        match word_kind(w)? {
            Kind::Main(s) => Some(s),
            Kind::Sub(_) => None,
        }
    }
}

/// Appends a whole field of a structured entry (csvlog, jsonlog) to `out`: its lines cleaned
/// as a stderr entry's pieces are and joined with `\n`, at most [`MAX_FIELD_BYTES`] (then
/// ending in `…`). Sets `lossy` when invalid UTF-8 was replaced.
fn field_into(out: &mut String, v: &[u8], lossy: &mut bool) {
    let start = out.len();
    for (k, piece) in v.split(|&c| c == b'\n').enumerate() {
        let sep = usize::from(k > 0);
        let room = MAX_FIELD_BYTES.saturating_sub(out.len() - start + sep);
        if k > 0 {
            out.push('\n');
        }
        if clean_into(out, text::trim_cr(piece), room, lossy) {
            out.push('…');
            break;
        }
    }
}

/// Length of the severity-like word (upper-case letters, digits) that ends `before`.
fn word_len(before: &[u8]) -> usize {
    before.iter().rev().take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit()).count()
}

/// `42P01: ` before the message when `log_error_verbosity = verbose`. A SQLSTATE always holds
/// a digit, which keeps words such as `DEBUG: ` out.
fn verbose_sqlstate(msg: &[u8]) -> Option<(&[u8], &[u8])> {
    let (rest, code) = terminated(sqlstate, tag(&b": "[..])).parse(msg).ok()?;
    code.iter().any(u8::is_ascii_digit).then_some((code, rest))
}

/// The generic shape: timestamp, anything (with an optional `[pid]`), `SEVERITY:  `.
fn generic<'a>(line: &'a [u8], time: &TimeOptions) -> Option<PrefixMatch<'a>> {
    let (after, stamp) = time::timestamp(line, time).ok()?;
    let scan = after.get(..GENERIC_WINDOW + 12).unwrap_or(after);
    for colon in memchr::memchr_iter(b':', scan) {
        let before = after.get(..colon)?;
        let wlen = word_len(before);
        let start = colon - wlen;
        if start > GENERIC_WINDOW {
            break;
        }
        if wlen < 3 || before.get(..start)?.last().is_some_and(u8::is_ascii_alphanumeric) {
            continue;
        }
        let rest = after.get(start..)?;
        if severity(rest).is_ok() {
            let head = after.get(..start)?;
            if !plausible_prefix(head) {
                // Text before the severity: an application's log line quoting a server error.
                return None;
            }
            let pid = memchr::memchr(b'[', head)
                .and_then(|k| head.get(k + 1..))
                .and_then(|r| number::<u32>(r).ok())
                .filter(|(r, _)| r.first().is_some_and(|c| b"]-:".contains(c)))
                .map(|(_, p)| p);
            return Some(PrefixMatch { ts: Some(stamp), pid, rest, ..PrefixMatch::default() });
        }
    }
    None
}

/// Whether the text between the timestamp and the severity can be a prefix: prefixes hold
/// pids, names and addresses, never quotes or a `word: text` phrase (as in
/// `ERROR app: OperationalError: ... failed: FATAL:  sorry, too many clients already`).
fn plausible_prefix(head: &[u8]) -> bool {
    memchr::memchr(b'"', head).is_none()
        && !memmem::find_iter(head, b": ")
            .any(|k| head.get(k + 2).is_some_and(u8::is_ascii_alphabetic))
}

/// [`CANDIDATES`], compiled once: inference runs on every input, and a folder of 100k small
/// files spent a quarter of its time recompiling them.
static COMPILED_CANDIDATES: LazyLock<Vec<Prefix>> =
    LazyLock::new(|| CANDIDATES.iter().filter_map(|spec| Prefix::compile(spec).ok()).collect());

/// Infers the prefix from the first lines of a log; `None` if no candidate fits.
///
/// Each of [`CANDIDATES`] is matched against up to 200 lines of `head` (blank lines and
/// tab-indented continuation lines are not counted); a line counts for a candidate only if a
/// Postgres severity (`LOG:  `, `ERROR:  `...) follows the prefix. The candidate matching the
/// most lines wins; on a tie the one whose matches used more prefix tokens wins (an unused `%q`
/// part does not count), then the earlier one. [`Prefix::generic`] is taken only when it
/// matches strictly more lines than every candidate. `None` when the winner matches fewer than
/// half of the lines. The score is the fraction of lines matched (times 0.9 for the generic
/// shape). The last line of `head` is ignored when it is not terminated, as it may be cut.
pub fn infer_prefix(head: &[u8], time: &TimeOptions) -> Option<(Prefix, Detection)> {
    let mut all: Vec<&[u8]> = text::lines(head).collect();
    if all.len() > 1 && !head.ends_with(b"\n") {
        all.pop();
    }
    let lines: Vec<&[u8]> = all
        .into_iter()
        .filter(|l| !l.starts_with(b"\t") && !text::is_blank(l))
        .take(MAX_HEAD_LINES)
        .collect();
    if lines.is_empty() {
        return None;
    }
    let mut best: Option<(&Prefix, (usize, usize))> = None;
    for p in COMPILED_CANDIDATES.iter() {
        let ev = p.evidence(&lines, time);
        if ev.0 > 0 && best.as_ref().is_none_or(|(_, b)| ev > *b) {
            best = Some((p, ev));
        }
    }
    let g = Prefix::generic();
    let (gcount, _) = g.evidence(&lines, time);
    let (prefix, count) = match best {
        Some((p, (count, _))) if count >= gcount => (p.clone(), count),
        _ => (g, gcount),
    };
    let total = lines.len();
    if count == 0 || count * 2 < total {
        return None;
    }
    let mut score = count as f32 / total as f32;
    let reason = if prefix.generic {
        score *= 0.9;
        format!(
            "{count} of {total} lines look like Postgres log lines (timestamp, optional [pid], \
             'SEVERITY:  ') but match no known log_line_prefix"
        )
    } else {
        format!("{count} of {total} lines match log_line_prefix '{}'", prefix.spec)
    };
    Some((prefix, Detection { score, reason }))
}

/// How sure we are that `head` is a Postgres stderr log.
pub fn sniff(head: &[u8]) -> Option<Detection> {
    infer_prefix(head, &TimeOptions::default()).map(|(_, d)| d)
}

/// The record being assembled.
#[derive(Debug)]
struct Open {
    rec: PgRecord,
    line: LineNo,
    lines: u32,
    /// The field the last line went to: continuation lines extend it.
    last: Part,
    /// Fields cut at [`MAX_FIELD_BYTES`], one bit per [`Part`].
    full: u8,
}

impl Open {
    /// Adds `piece` to `part`: after a `\n` when the field already holds text or the piece
    /// is a continuation line. Returns true when invalid UTF-8 was replaced.
    fn push(&mut self, part: Part, piece: &[u8], continuation: bool) -> bool {
        self.last = part;
        let rec = &mut self.rec;
        let slot = match part {
            Part::Message => None,
            Part::Detail => Some(&mut rec.detail),
            Part::Hint => Some(&mut rec.hint),
            Part::Statement => Some(&mut rec.statement),
            Part::Context => Some(&mut rec.context),
            Part::Query => Some(&mut rec.query),
            Part::Location => Some(&mut rec.location),
        };
        let (field, fresh) = match slot {
            // The message is set once, by the main line; later pieces are continuations.
            None => (&mut rec.message, true),
            Some(s) => {
                let fresh = s.is_none();
                (s.get_or_insert_with(String::new), fresh)
            }
        };
        if self.full & part.bit() != 0 {
            return false;
        }
        let sep = continuation || !fresh;
        let room = MAX_FIELD_BYTES.saturating_sub(field.len() + usize::from(sep));
        let mut lossy = false;
        if sep {
            field.push('\n');
        }
        if clean_into(field, piece, room, &mut lossy) {
            field.push('…');
            self.full |= part.bit();
        }
        lossy
    }
}

/// Appends text kept from a line to `out`: at most `room` bytes, ANSI escapes and control
/// characters (tab aside) removed, invalid UTF-8 replaced (then `lossy` is set). Returns true
/// when the text was cut.
fn clean_into(out: &mut String, b: &[u8], room: usize, lossy: &mut bool) -> bool {
    let mut cut = false;
    let b = if b.len() > room {
        cut = true;
        // Back up to a character boundary so the cut does not look like invalid UTF-8.
        let mut end = room;
        while end > 0 && b.get(end).is_some_and(|&c| (0x80..0xc0).contains(&c)) {
            end -= 1;
        }
        b.get(..end).unwrap_or_default()
    } else {
        b
    };
    let stripped = text::strip_ansi(b);
    let is_control = |c: &u8| (*c < 0x20 && *c != b'\t') || *c == 0x7f;
    // Branch-free within each chunk, so the compiler vectorises the test (as `text::clean`).
    let has_control =
        stripped.chunks(64).any(|c| c.iter().fold(false, |seen, x| seen | is_control(x)));
    let bytes: Cow<'_, [u8]> = if has_control {
        Cow::Owned(stripped.iter().copied().filter(|c| !is_control(c)).collect())
    } else {
        stripped
    };
    let start = out.len();
    match text::lossy(&bytes) {
        Cow::Borrowed(s) => out.push_str(s),
        Cow::Owned(s) => {
            *lossy = true;
            out.push_str(&s);
        }
    }
    if out.len() - start > room {
        // Replacement characters are longer than the bytes they replace.
        let mut end = start + room;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        cut = true;
    }
    cut
}

/// A prefix field kept in the record.
fn keep(v: Option<&[u8]>, lossy: &mut bool) -> Option<String> {
    v.map(|v| {
        let mut s = String::with_capacity(v.len());
        clean_into(&mut s, v, MAX_FREE, lossy);
        s
    })
}

impl PgRecord {
    /// The record as [`Parser::lean`] reads it: without the prefix strings that parser does
    /// not keep (user, database, application, client, session id, backend type, command tag,
    /// virtual transaction id).
    pub fn lean(&self) -> PgRecord {
        PgRecord {
            user: None,
            db: None,
            app: None,
            client: None,
            session_id: None,
            backend_type: None,
            command_tag: None,
            vxid: None,
            ..self.clone()
        }
    }
}

/// Reads a structured entry's texts, remembering whether invalid UTF-8 was replaced.
#[derive(Debug)]
struct Texts<'s> {
    lossy: bool,
    /// Where a lean parser checks the fields it does not keep.
    scratch: &'s mut String,
}

impl Texts<'_> {
    /// The field's text; `None` when absent or empty.
    fn get(&mut self, v: Option<&[u8]>) -> Option<String> {
        let v = v.filter(|v| !v.is_empty())?;
        let mut out = String::with_capacity(v.len().min(MAX_FIELD_BYTES));
        field_into(&mut out, v, &mut self.lossy);
        Some(out)
    }

    /// [`Texts::get`] when `keep`, else `None` after reading the field as it would (so the
    /// notes are the same).
    fn keep(&mut self, keep: bool, v: Option<&[u8]>) -> Option<String> {
        if keep {
            return self.get(v);
        }
        if let Some(v) = v {
            self.scratch.clear();
            field_into(self.scratch, v, &mut self.lossy);
        }
        None
    }
}

/// The fields of one structured entry (a csvlog row, a jsonlog object) as read from it,
/// before they become a [`PgRecord`].
#[derive(Debug, Default)]
struct Structured<'a> {
    ts: Option<&'a [u8]>,
    user: Option<&'a [u8]>,
    db: Option<&'a [u8]>,
    client: Option<&'a [u8]>,
    port: Option<u16>,
    pid: Option<u32>,
    session_id: Option<&'a [u8]>,
    session_line: Option<u64>,
    command_tag: Option<&'a [u8]>,
    vxid: Option<&'a [u8]>,
    xid: Option<u64>,
    severity: Option<&'a [u8]>,
    sqlstate: Option<&'a [u8]>,
    message: Option<&'a [u8]>,
    detail: Option<&'a [u8]>,
    hint: Option<&'a [u8]>,
    query: Option<&'a [u8]>,
    context: Option<&'a [u8]>,
    statement: Option<&'a [u8]>,
    location: Option<Cow<'a, [u8]>>,
    app: Option<&'a [u8]>,
    backend_type: Option<&'a [u8]>,
    query_id: Option<i64>,
}

/// What the csvlog and jsonlog parsers share: how they read an entry's fields into a record.
#[derive(Debug, Default)]
struct EntryReader {
    time: TimeOptions,
    /// See [`Parser::lean`].
    lean: bool,
    /// Where a lean reader checks the fields it does not keep.
    scratch: String,
}

impl EntryReader {
    /// The record of the entry at line `no`; notes an unreadable time, an assumed zone and
    /// replaced invalid UTF-8 there. A lean reader leaves out the strings [`Parser::lean`]
    /// does not keep (reading them into its scratch, for the same notes).
    fn read(&mut self, e: Structured<'_>, no: LineNo, sink: &mut dyn Sink<PgRecord>) -> PgRecord {
        let (time, lean, scratch) = (&self.time, self.lean, &mut self.scratch);
        let ts = match e.ts.filter(|t| !t.is_empty()).map(|t| time::parse(t, time)) {
            Some(Some(st)) => {
                if let Some(note) = st.caveat() {
                    sink.note(no, note);
                }
                Some(st.micros)
            }
            Some(None) => {
                sink.note(no, Note::BadTimestamp);
                None
            }
            None => {
                sink.note(no, Note::NoTimestamp);
                None
            }
        };
        let mut t = Texts { lossy: false, scratch };
        let rec = PgRecord {
            ts,
            pid: e.pid,
            severity: e.severity.and_then(Severity::from_word),
            sqlstate: t.get(e.sqlstate),
            message: t.get(e.message).unwrap_or_default(),
            detail: t.get(e.detail),
            hint: t.get(e.hint),
            statement: t.get(e.statement),
            context: t.get(e.context),
            query: t.get(e.query),
            location: t.get(e.location.as_deref()),
            user: t.keep(!lean, e.user),
            db: t.keep(!lean, e.db),
            app: t.keep(!lean, e.app),
            client: t.keep(!lean, e.client),
            session_id: t.keep(!lean, e.session_id),
            backend_type: t.keep(!lean, e.backend_type),
            command_tag: t.keep(!lean, e.command_tag),
            vxid: t.keep(!lean, e.vxid),
            port: e.port,
            session_line: e.session_line,
            xid: e.xid,
            query_id: e.query_id,
        };
        if t.lossy {
            sink.note(no, Note::LossyUtf8);
        }
        rec
    }
}

/// The streaming parser.
///
/// A line that matches the prefix and has a main severity (`LOG`, `ERROR`, `DEBUG1`...) starts
/// a record. `DETAIL`, `HINT`, `STATEMENT`, `CONTEXT`, `QUERY` and `LOCATION` lines go into the
/// record before them, if it is from the same pid (Postgres writes one report in one piece, so
/// a different pid means the main line is missing: the line is skipped as an orphan). Lines that
/// start with a tab continue the field the previous line went to. A line that matches the
/// prefix but has no severity word (a cut line, or a server with a non-English `lc_messages`)
/// starts a record with `severity: None` and the rest of the line as its message.
/// Skips: blank lines ([`SkipReason::Blank`]), lines the prefix does not match
/// ([`SkipReason::PgUnknownPrefix`]; they do not end the current record), continuation and
/// secondary lines without a record ([`SkipReason::PgOrphanContinuation`]).
#[derive(Debug)]
pub struct Parser {
    prefix: Prefix,
    time: TimeOptions,
    open: Option<Open>,
    /// See [`Parser::lean`].
    lean: bool,
    /// Where [`Parser::lean`] checks the fields it does not keep.
    scratch: String,
}

impl Parser {
    /// A parser for lines written with `prefix`.
    pub fn new(prefix: Prefix, time: TimeOptions) -> Parser {
        Parser { prefix, time, open: None, lean: false, scratch: String::new() }
    }

    /// The parser that keeps, of the prefix's fields, only the time, the pid and the
    /// SQLSTATE (which decides what of the line is the message): the user, database,
    /// application, client, session id, backend type, command tag and virtual transaction id
    /// are matched and checked as before (the same records, skips and notes, a
    /// [`Note::LossyUtf8`] included) but not copied into the record. What an analysis reads
    /// of a Postgres log is its messages; copying four to eight strings out of every line was
    /// most of what a record cost to make and to free.
    pub fn lean(mut self) -> Parser {
        self.lean = true;
        self
    }

    /// True when `line` starts a record: the parser closes the open one there. A stream cut
    /// just before such a line parses, piece by piece, to the records of the whole (what
    /// lets the ingest parse one large log in parallel batches).
    pub fn starts_record(&self, line: &[u8]) -> bool {
        let line = text::trim_cr(line);
        if line.starts_with(b"\t") || text::is_blank(line) {
            return false;
        }
        match self.prefix.match_line(line, &self.time) {
            None => false,
            Some(m) => !matches!(severity(m.rest), Ok((_, Kind::Sub(_)))),
        }
    }

    fn flush(&mut self, sink: &mut dyn Sink<PgRecord>) {
        if let Some(o) = self.open.take() {
            sink.record(o.line, o.lines, o.rec);
        }
    }

    /// The open record, if it can take one more line (`lines` is a `u32`).
    fn open_with_room(&mut self, sink: &mut dyn Sink<PgRecord>) -> Option<&mut Open> {
        if self.open.as_ref().is_some_and(|o| o.lines == u32::MAX) {
            self.flush(sink);
        }
        self.open.as_mut()
    }

    fn start(
        &mut self,
        m: &PrefixMatch<'_>,
        sev: Option<Severity>,
        msg: &[u8],
        no: LineNo,
        sink: &mut dyn Sink<PgRecord>,
    ) {
        self.flush(sink);
        let mut lossy = false;
        let (lean, scratch) = (self.lean, &mut self.scratch);
        let mut field = |v: Option<&[u8]>, lossy: &mut bool| match (lean, v) {
            (true, Some(v)) => {
                scratch.clear();
                clean_into(scratch, v, MAX_FREE, lossy);
                None
            }
            _ => keep(v, lossy),
        };
        let rec = PgRecord {
            ts: m.ts.map(|s| s.micros),
            pid: m.pid,
            severity: sev,
            sqlstate: keep(m.sqlstate, &mut lossy),
            user: field(m.user, &mut lossy),
            db: field(m.db, &mut lossy),
            app: field(m.app, &mut lossy),
            client: field(m.client, &mut lossy),
            port: m.port,
            session_line: m.session_line,
            session_id: field(m.session_id, &mut lossy),
            backend_type: field(m.backend_type, &mut lossy),
            command_tag: field(m.command_tag, &mut lossy),
            vxid: field(m.vxid, &mut lossy),
            xid: m.xid,
            query_id: m.query_id,
            ..PgRecord::default()
        };
        // The record is built where it stays open: a `PgRecord` is 464 bytes, and moving it
        // into an `Open` and then into `self.open` copied it twice.
        let open = self.open.insert(Open { rec, line: no, lines: 1, last: Part::Message, full: 0 });
        let mut msg = msg;
        if sev.is_some() {
            if let Some((code, after)) = verbose_sqlstate(msg) {
                if open.rec.sqlstate.as_deref().is_none_or(|s| s.as_bytes() == code) {
                    open.rec.sqlstate = Some(String::from_utf8_lossy(code).into_owned());
                    msg = after;
                }
            }
        }
        lossy |= open.push(Part::Message, msg, false);
        if m.bad_ts {
            sink.note(no, Note::BadTimestamp);
        } else if let Some(c) = m.ts.and_then(|s| s.caveat()) {
            sink.note(no, c);
        } else if m.ts.is_none() {
            sink.note(no, Note::NoTimestamp);
        }
        if lossy {
            sink.note(no, Note::LossyUtf8);
        }
    }
}

impl LineParser for Parser {
    type Record = PgRecord;

    fn line(&mut self, line: &[u8], no: LineNo, sink: &mut dyn Sink<PgRecord>) {
        let line = text::trim_cr(line);
        if let Some(cont) = line.strip_prefix(b"\t") {
            match self.open_with_room(sink) {
                Some(open) => {
                    open.lines += 1;
                    if open.push(open.last, cont, true) {
                        sink.note(no, Note::LossyUtf8);
                    }
                }
                None if text::is_blank(line) => sink.skip(no, SkipReason::Blank),
                None => sink.skip(no, SkipReason::PgOrphanContinuation),
            }
            return;
        }
        if text::is_blank(line) {
            sink.skip(no, SkipReason::Blank);
            return;
        }
        let time = self.time;
        let mut st = MatchState::new(&time, true);
        if !self.prefix.match_in(line, &mut st) {
            sink.skip(no, SkipReason::PgUnknownPrefix);
            return;
        }
        let m = &st.m;
        match st.sev.map_or_else(|| severity(m.rest), Ok) {
            Ok((msg, Kind::Main(sev))) => self.start(m, Some(sev), msg, no, sink),
            Ok((msg, Kind::Sub(part))) => {
                let pid = m.pid;
                match self.open_with_room(sink) {
                    Some(open)
                        if pid.is_none() || open.rec.pid.is_none() || open.rec.pid == pid =>
                    {
                        open.lines += 1;
                        if open.push(part, msg, false) {
                            sink.note(no, Note::LossyUtf8);
                        }
                    }
                    _ => sink.skip(no, SkipReason::PgOrphanContinuation),
                }
            }
            Err(_) => self.start(m, None, m.rest, no, sink),
        }
    }

    fn finish(&mut self, sink: &mut dyn Sink<PgRecord>) {
        self.flush(sink);
    }
}

pub mod csv;
pub mod json;

#[cfg(test)]
mod tests;
