//! Python tracebacks: frames, the exception chain, and the final exception.
//!
//! [`parse`] reads one traceback *block* (lines separated by `\n`: a traceback string taken
//! out of a JSON log line, or lines a console framer collected) into a [`Traceback`]: one
//! [`Section`] per exception of the chain, oldest first, each with its frames, its exception
//! line ([`ExcLine`], the message running over continuation lines such as SQLAlchemy's
//! `[SQL: ...]` or libpq's tab-indented details), the [`Link`] to the section before it, and
//! the leaf exceptions of an exception group (3.11+). The grammar is CPython's
//! (`Lib/traceback.py`, 2.7 and 3.6–3.13): `Traceback (most recent call last):` headers,
//! `File "x", line N, in f` frames, source lines, 3.11+ `^~~~` marker lines and
//! `[Previous line repeated N more times]` (all three ignored), chain separators, and the
//! `  | `/`  +-+---- 1 ----` margins of exception groups.
//!
//! [`is_header`] recognises a header line and [`Collector`] decides, line by line, where a
//! traceback printed on a console ends; the console framer uses both.
//!
//! This module does no I/O and never panics: any byte string is accepted, invalid UTF-8 is
//! replaced by U+FFFD in the text kept, ANSI escapes and control characters are dropped, and
//! the work is linear in the input.
//!
//! ```
//! use rootcause_parsers::traceback::{parse, Link};
//! let block = b"Traceback (most recent call last):\n  File \"pool.py\", line 165, in _do_get\n    raise exc.TimeoutError(\nsqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"views.py\", line 45, in get\n    return handle()\nsqlalchemy.exc.SQLAlchemyError: TimeoutError occurred when committing to database\n";
//! let tb = parse(block).unwrap();
//! assert_eq!(tb.sections.len(), 2);
//! assert_eq!(tb.root().unwrap().exc_type, "sqlalchemy.exc.TimeoutError");
//! assert_eq!(tb.last().unwrap().exc_type, "sqlalchemy.exc.SQLAlchemyError");
//! assert_eq!(tb.sections[1].link, Some(Link::Context));
//! assert_eq!(tb.sections[0].frames[0].func, "_do_get");
//! ```

use std::sync::LazyLock;

use nom::bytes::complete::{tag, take_until, take_while1};
use nom::character::complete::space0;
use nom::combinator::verify;
use nom::{IResult, Parser};
use regex::bytes::Regex;

use crate::text;

/// How a section is linked to the section before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// "The above exception was the direct cause of the following exception:" (`raise X from Y`).
    Cause,
    /// "During handling of the above exception, another exception occurred:".
    Context,
}

/// One `File "...", line N, in func` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Source file as printed.
    pub file: String,
    /// Line number in that file.
    pub line: u32,
    /// Function name.
    pub func: String,
}

/// An exception line: `module.Type: message`.
///
/// A section whose exception line is missing (a truncated traceback) has an empty `exc_type`
/// and an empty `message` (see [`ExcLine::is_missing`]). An exception line that does not read
/// as `Type: message` (a type with spaces, for example) keeps an empty `exc_type` and the
/// whole line as `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcLine {
    /// Exception type, module-qualified when printed so (`sqlalchemy.exc.TimeoutError`).
    pub exc_type: String,
    /// The message, continuation lines joined with `\n`; empty when there is none.
    pub message: String,
}

impl ExcLine {
    /// The placeholder for a section that ends before its exception line.
    fn missing() -> ExcLine {
        ExcLine { exc_type: String::new(), message: String::new() }
    }

    /// True when the section ended before its exception line (a truncated traceback).
    pub fn is_missing(&self) -> bool {
        self.exc_type.is_empty() && self.message.is_empty()
    }

    /// The type without its module: `TimeoutError` for `sqlalchemy.exc.TimeoutError`.
    pub fn short_type(&self) -> &str {
        self.exc_type.rsplit('.').next().unwrap_or(&self.exc_type)
    }
}

/// One traceback section: frames then the exception they end in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Link to the previous section; `None` for the first.
    pub link: Option<Link>,
    /// Frames, outermost first.
    pub frames: Vec<Frame>,
    /// The exception that ends the section.
    pub exception: ExcLine,
    /// Leaf exceptions of an exception group (3.11+), empty otherwise.
    pub leaves: Vec<ExcLine>,
    /// Offset (in lines) of the exception line from the first line of the block; when the
    /// exception line is missing, the offset of the section's header.
    pub line_offset: u32,
}

/// A whole traceback, sections oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Traceback {
    /// Sections in print order: the first is usually the root cause, the last propagated.
    pub sections: Vec<Section>,
}

impl Traceback {
    /// The first section's exception: usually the root cause.
    pub fn root(&self) -> Option<&ExcLine> {
        self.sections.first().map(|s| &s.exception)
    }
    /// The last section's exception: what propagated to the caller.
    pub fn last(&self) -> Option<&ExcLine> {
        self.sections.last().map(|s| &s.exception)
    }
    /// True when some section ended before its exception line.
    pub fn is_truncated(&self) -> bool {
        self.sections.iter().any(|s| s.exception.is_missing())
    }
}

/// The text after the optional `+ ` and `Exception Group ` of a header line.
const HEADER: &[u8] = b"Traceback (most recent call last):";
/// `raise X from Y`.
const CAUSE: &[u8] = b"The above exception was the direct cause of the following exception:";
/// An exception raised inside an `except` block.
const CONTEXT: &[u8] = b"During handling of the above exception, another exception occurred:";

/// Which header a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderKind {
    /// `Traceback (most recent call last):`.
    Plain,
    /// `+ Exception Group Traceback (most recent call last):` (3.11+).
    Group,
}

fn header_kind(line: &[u8]) -> Option<HeaderKind> {
    let t = line.trim_ascii();
    let t = t.strip_prefix(b"+ ").unwrap_or(t);
    let (t, kind) = match t.strip_prefix(b"Exception Group ") {
        Some(rest) => (rest, HeaderKind::Group),
        None => (t, HeaderKind::Plain),
    };
    (t == HEADER).then_some(kind)
}

/// True for a `Traceback (most recent call last):` header line (also exception-group headers).
///
/// Leading and trailing whitespace is allowed; the header must be the whole line.
pub fn is_header(line: &[u8]) -> bool {
    header_kind(line).is_some()
}

/// The link a chain separator line announces, if `line` is one.
pub fn chain_link(line: &[u8]) -> Option<Link> {
    match line.trim_ascii() {
        CAUSE => Some(Link::Cause),
        CONTEXT => Some(Link::Context),
        _ => None,
    }
}

type PResult<'a, T> = IResult<&'a [u8], T>;

/// `  File "app.py", line 12, in handler`: one stack frame.
///
/// A `File "x", line N` line without `, in func` (the location SyntaxError prints) is not a
/// frame.
fn frame(i: &[u8]) -> PResult<'_, Frame> {
    let (i, _) = space0(i)?;
    let (i, _) = tag("File \"").parse(i)?;
    let (i, file) = take_until("\", line ").parse(i)?;
    let (i, _) = tag("\", line ").parse(i)?;
    let (i, line) = nom::character::complete::u32(i)?;
    let (i, _) = tag(", in ").parse(i)?;
    let func = i.trim_ascii_end();
    let rest = i.get(i.len()..).unwrap_or_default();
    let f =
        Frame { file: text::lossy(file).into_owned(), line, func: text::lossy(func).into_owned() };
    Ok((rest, f))
}

/// One byte of an exception type: identifiers, dots, and the `<locals>` of local classes.
fn type_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'<' | b'>')
}

/// Every dotted part is non-empty and starts like an identifier (or `<locals>`).
fn well_formed_type(t: &[u8]) -> bool {
    t.split(|&c| c == b'.').all(|part| {
        part.first().is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_' || c == b'<')
    }) && t.first().is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_')
}

/// `module.Type: message` or a bare `Type` (whole line, trailing whitespace ignored):
/// returns (type, message).
fn exception_line(i: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = i.trim_ascii_end();
    let res: PResult<'_, &[u8]> = verify(take_while1(type_char), well_formed_type).parse(i);
    let (rest, ty) = res.ok()?;
    if rest.is_empty() || rest == b":" {
        return Some((ty, b""));
    }
    rest.strip_prefix(b": ").map(|msg| (ty, msg))
}

/// Suffixes and names that make a lone `Type: message` line credible as an exception when no
/// header or frame vouches for it.
const EXCEPTION_SUFFIXES: [&[u8]; 5] = [b"Error", b"Exception", b"Exit", b"Interrupt", b"Warning"];

/// A type that reads as an exception on its own: dotted, or ending in `Error`, `Exception`,
/// `Exit`, `Interrupt`, `Warning` (with something before the suffix), or `StopIteration`.
fn credible_type(ty: &[u8]) -> bool {
    ty.contains(&b'.')
        || EXCEPTION_SUFFIXES.iter().any(|s| ty.len() > s.len() && ty.ends_with(s))
        || ty.ends_with(b"ExceptionGroup")
        || ty == b"StopIteration"
        || ty == b"StopAsyncIteration"
}

/// An exception line that stands on its own: not indented, `Type: msg`, credible type.
fn credible_exception_line(line: &[u8]) -> Option<(&[u8], &[u8])> {
    if line.first().is_some_and(u8::is_ascii_whitespace) {
        return None;
    }
    exception_line(line).filter(|(ty, _)| credible_type(ty))
}

/// Lines that continue an exception message even after a blank line.
static CONTINUATION: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?x)
        ^(?:
            [\t\x20]                                   # libpq detail lines (tab), SQL text, indented notes
          | \[SQL:\x20                                 # SQLAlchemy: the statement that failed
          | \[parameters:\x20                          # SQLAlchemy: its bound parameters
          | \[generated\x20in\x20                      # SQLAlchemy 1.4+: statement cache annotation
          | \(Background\x20on\x20this\x20error\x20at: # SQLAlchemy: link to the error code page
          | (?:DETAIL|HINT|CONTEXT|QUERY|WHERE|LOCATION):\x20  # libpq diagnostic fields (psycopg2)
          | LINE\x20\d+:                               # libpq: position of a syntax error
        )",
    )
});

/// Compiles a pattern written in this file.
#[expect(clippy::expect_used, reason = "patterns are literals, compiled by the unit tests")]
pub(crate) fn compile(re: &str) -> Regex {
    Regex::new(re).expect("a literal regex compiles")
}

/// True for a line that continues an exception message after a blank line: tab- or
/// space-indented text, SQLAlchemy's `[SQL: ...]`, `[parameters: ...]`,
/// `(Background on this error at: ...)`, libpq's `DETAIL:`/`HINT:`/`LINE n:` lines.
pub fn is_continuation(line: &[u8]) -> bool {
    CONTINUATION.is_match(line)
}

/// The rule of 40 dashes socketserver prints around a traceback (`BaseServer.handle_error`).
pub fn is_rule(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.len() == 40 && t.iter().all(|&c| c == b'-')
}

/// True for the group's `and 3 more exceptions` and `... (max_group_depth is 10)` lines.
fn is_group_ellipsis(inner: &[u8]) -> bool {
    let t = inner.trim_ascii();
    (t.starts_with(b"and ")
        && (t.ends_with(b" more exception") || t.ends_with(b" more exceptions")))
        || t.starts_with(b"... (max_group_depth is ")
}

/// An exception line that belongs to a group rather than a leaf.
fn is_group_exception(ty: &[u8], msg: &[u8]) -> bool {
    let msg = msg.trim_ascii_end();
    ty.ends_with(b"ExceptionGroup")
        || msg.ends_with(b" sub-exception)")
        || msg.ends_with(b" sub-exceptions)")
}

fn exc(ty: &[u8], msg: &[u8]) -> ExcLine {
    ExcLine {
        exc_type: text::lossy(ty).into_owned(),
        message: text::lossy(msg.trim_ascii_end()).into_owned(),
    }
}

/// Reads an exception line, or keeps it whole as the message when it does not parse.
fn exc_or_raw(line: &[u8]) -> ExcLine {
    match exception_line(line) {
        Some((ty, msg)) => exc(ty, msg),
        None => exc(b"", line.trim_ascii()),
    }
}

/// Appends a continuation line to a message, with the blank lines seen before it.
fn append(msg: &mut String, blanks: usize, line: &[u8]) {
    if !msg.is_empty() || blanks > 0 {
        for _ in 0..=blanks {
            msg.push('\n');
        }
    }
    msg.push_str(&text::lossy(line.trim_ascii_end()));
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn leading_spaces(line: &[u8]) -> usize {
    line.iter().take_while(|&&c| c == b' ').count()
}

/// Where [`Builder`] is in the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    /// Before the first header, or after text that ended a section: ignored, except a lone
    /// credible exception line (kept provisionally, see [`Builder::provisional`]).
    #[default]
    Outside,
    /// After a header: frames, source lines, marker lines.
    Frames,
    /// After the exception line: the message may continue.
    Message,
    /// After a chain separator: waiting for the next header (or a frameless exception).
    AfterSep,
}

/// State inside an exception group (`  | `-margined lines).
#[derive(Debug, Clone, Copy)]
struct Group {
    /// Column of the top-level margin (`+` of the header, `|` of its lines).
    margin: usize,
    /// A numbered sub-block separator has been seen.
    in_subs: bool,
    /// The group's own exception line has been read.
    exc_seen: bool,
    /// The next non-indented line of a sub-block is an exception line.
    expect_exc: bool,
    /// The last leaf's message may continue.
    leaf_open: bool,
    /// Blank margin lines after the group's own exception line.
    blanks: usize,
}

/// The line-by-line state machine behind [`parse`].
#[derive(Debug, Default)]
struct Builder {
    sections: Vec<Section>,
    cur: Option<Section>,
    state: State,
    /// In [`State::Message`]: any non-blank line continues the message (right after a normal
    /// exception line); otherwise only [`is_continuation`] lines do.
    loose: bool,
    /// `cur` is a lone exception line before any header: kept if a chain separator follows
    /// or if it ends a block that has no header at all.
    provisional: bool,
    /// Blank lines seen since the last message line.
    blanks: usize,
    /// Link announced by a chain separator, for the next section.
    pending: Option<Link>,
    group: Option<Group>,
    /// Indentation of the last plain header: a traceback quoted with an indent (inside a log
    /// message, say) is read as if it were flush left.
    indent: usize,
}

impl Builder {
    fn feed(&mut self, line: &[u8], off: u32) {
        if header_kind(line) == Some(HeaderKind::Plain) {
            self.indent = leading_spaces(line);
        }
        let line = line.get(leading_spaces(line).min(self.indent)..).unwrap_or(line);
        if self.group.is_some() && self.group_line(line, off) {
            return;
        }
        match self.state {
            State::Outside => self.outside(line, off),
            State::Frames => self.frames(line, off),
            State::Message => self.message(line, off),
            State::AfterSep => self.after_sep(line, off),
        }
    }

    fn new_section(&mut self, exception: ExcLine, line_offset: u32) -> Section {
        let link = self.pending.take().filter(|_| !self.sections.is_empty());
        Section { link, frames: Vec::new(), exception, leaves: Vec::new(), line_offset }
    }

    fn start(&mut self, kind: HeaderKind, line: &[u8], off: u32) {
        self.cur = Some(self.new_section(ExcLine::missing(), off));
        self.state = State::Frames;
        self.provisional = false;
        self.group = (kind == HeaderKind::Group).then(|| Group {
            margin: leading_spaces(line),
            in_subs: false,
            exc_seen: false,
            expect_exc: false,
            leaf_open: false,
            blanks: 0,
        });
    }

    /// Starts a section that has an exception line but no header (a chained exception that
    /// was never raised, or a lone exception line).
    fn start_frameless(&mut self, ty: &[u8], msg: &[u8], off: u32, provisional: bool) {
        self.cur = Some(self.new_section(exc(ty, msg), off));
        self.state = State::Message;
        self.provisional = provisional;
        self.loose = !provisional;
        self.blanks = 0;
    }

    /// Ends the current section: kept, unless it is provisional and `keep_provisional` is false.
    fn close(&mut self, keep_provisional: bool) {
        if let Some(s) = self.cur.take() {
            if !self.provisional || keep_provisional {
                self.sections.push(s);
            }
        }
        self.provisional = false;
        self.group = None;
    }

    fn outside(&mut self, line: &[u8], off: u32) {
        if let Some(kind) = header_kind(line) {
            self.start(kind, line, off);
        } else if let Some((ty, msg)) = credible_exception_line(line) {
            self.start_frameless(ty, msg, off, true);
        }
    }

    fn frames(&mut self, line: &[u8], off: u32) {
        if let Some(kind) = header_kind(line) {
            self.close(true);
            self.start(kind, line, off);
        } else if let Some(link) = chain_link(line) {
            self.close(true);
            self.pending = Some(link);
            self.state = State::AfterSep;
        } else if text::is_blank(line) {
        } else if let Ok((_, f)) = frame(line) {
            if let Some(s) = self.cur.as_mut() {
                s.frames.push(f);
            }
        } else if line.first().is_some_and(u8::is_ascii_whitespace) {
            // Source lines, `^^^~~~` markers, `[Previous line repeated N more times]`,
            // SyntaxError's location and caret lines.
        } else {
            if let Some(s) = self.cur.as_mut() {
                s.exception = exc_or_raw(line);
                s.line_offset = off;
            }
            self.state = State::Message;
            self.loose = true;
            self.blanks = 0;
        }
    }

    fn message(&mut self, line: &[u8], off: u32) {
        if text::is_blank(line) {
            self.blanks += 1;
        } else if let Some(link) = chain_link(line) {
            self.close(true);
            self.pending = Some(link);
            self.state = State::AfterSep;
        } else if let Some(kind) = header_kind(line) {
            self.close(false);
            self.start(kind, line, off);
        } else if !is_rule(line) && (is_continuation(line) || (self.loose && self.blanks == 0)) {
            if let Some(s) = self.cur.as_mut() {
                append(&mut s.exception.message, self.blanks, line);
            }
            self.blanks = 0;
        } else {
            // Text after the exception that is not part of it (the socketserver banner's
            // closing rule, say) ends the section.
            self.close(false);
            self.state = State::Outside;
            self.outside(line, off);
        }
    }

    fn after_sep(&mut self, line: &[u8], off: u32) {
        if let Some(kind) = header_kind(line) {
            self.start(kind, line, off);
        } else if let Some(link) = chain_link(line) {
            self.pending = Some(link);
        } else if let Some((ty, msg)) = credible_exception_line(line) {
            // A chained exception that was never raised prints without a traceback.
            self.start_frameless(ty, msg, off, false);
        }
        // Anything else after a separator is noise: ignored.
    }

    /// Handles a line while inside an exception group; false when the line ends the group.
    fn group_line(&mut self, line: &[u8], off: u32) -> bool {
        let Some(mut g) = self.group else {
            return false;
        };
        let ind = leading_spaces(line);
        let rest = line.get(ind..).unwrap_or_default();
        let consumed = ind >= g.margin
            && match rest.first() {
                Some(b'+') => {
                    // `+-+---- 1 ----`, `+---- 2 ----`, `+---- ... ----` open a sub-block;
                    // `+------------------------------------` closes the last one.
                    g.in_subs = true;
                    g.expect_exc = rest.iter().any(u8::is_ascii_digit) || rest.contains(&b' ');
                    g.leaf_open = false;
                    true
                }
                Some(b'|') => {
                    let inner = rest.get(1..).unwrap_or_default();
                    let inner = inner.strip_prefix(b" ").unwrap_or(inner);
                    if ind == g.margin && !g.in_subs {
                        self.group_top(&mut g, inner, off);
                    } else {
                        self.group_sub(&mut g, inner);
                    }
                    true
                }
                _ => false,
            };
        if consumed {
            self.group = Some(g);
        } else {
            // The group is over; what follows is read as after any exception line.
            self.group = None;
            self.state = State::Message;
            self.loose = false;
            self.blanks = 0;
        }
        consumed
    }

    /// A line of the group itself (depth 1): its frames and its `ExceptionGroup: ...` line.
    fn group_top(&mut self, g: &mut Group, inner: &[u8], off: u32) {
        let Some(s) = self.cur.as_mut() else {
            return;
        };
        if text::is_blank(inner) {
            g.blanks += 1;
        } else if !g.exc_seen {
            if let Ok((_, f)) = frame(inner) {
                s.frames.push(f);
            } else if !inner.first().is_some_and(u8::is_ascii_whitespace) {
                s.exception = exc_or_raw(inner);
                s.line_offset = off;
                g.exc_seen = true;
                g.blanks = 0;
            }
        } else {
            append(&mut s.exception.message, g.blanks, inner);
            g.blanks = 0;
        }
    }

    /// A line inside a numbered sub-block (any depth): leaves are collected, the rest ignored.
    fn group_sub(&mut self, g: &mut Group, inner: &[u8]) {
        let Some(s) = self.cur.as_mut() else {
            return;
        };
        if text::is_blank(inner) {
            g.leaf_open = false;
        } else if header_kind(inner).is_some() || chain_link(inner).is_some() {
            g.expect_exc = true;
            g.leaf_open = false;
        } else if is_group_ellipsis(inner) {
            g.expect_exc = false;
            g.leaf_open = false;
        } else if inner.first().is_some_and(u8::is_ascii_whitespace) {
            if g.leaf_open && frame(inner).is_err() {
                if let Some(leaf) = s.leaves.last_mut() {
                    append(&mut leaf.message, 0, inner);
                }
            }
        } else if g.expect_exc {
            g.expect_exc = false;
            let e = exc_or_raw(inner);
            let group = exception_line(inner).is_some_and(|(t, m)| is_group_exception(t, m));
            g.leaf_open = !group;
            if !group {
                s.leaves.push(e);
            }
        } else if g.leaf_open {
            if let Some(leaf) = s.leaves.last_mut() {
                append(&mut leaf.message, 0, inner);
            }
        }
    }

    fn finish(mut self) -> Option<Traceback> {
        match self.state {
            State::Frames | State::Message => {
                let keep = self.sections.is_empty();
                self.close(keep);
            }
            State::Outside | State::AfterSep => {}
        }
        (!self.sections.is_empty()).then_some(Traceback { sections: self.sections })
    }
}

/// Parses a block of text (lines separated by `\n`) holding one traceback with its chain.
///
/// Text before the first header is ignored, except that a lone exception line followed by a
/// chain separator becomes a frameless first section (Python prints a chained exception that
/// was never raised without a traceback). A block with no header at all gives one frameless
/// section when it ends in an exception line with a dotted or `*Error`/`*Exception`-like type
/// (e.g. `RuntimeError: can't start new thread`), else `None`. A traceback cut short keeps
/// the sections found; the last one's exception [`is_missing`](ExcLine::is_missing).
/// `\r\n` line ends, ANSI escapes and invalid UTF-8 are tolerated.
pub fn parse(block: &[u8]) -> Option<Traceback> {
    let mut b = Builder::default();
    for (off, line) in text::lines(block).enumerate() {
        b.feed(&text::clean(line), to_u32(off));
    }
    b.finish()
}

/// What a console line means for the traceback block being collected (see [`Collector`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The line belongs to the block, and so do the blank lines held before it.
    Take,
    /// A blank line: it belongs to the block only if a later line is taken; hold it.
    Hold,
    /// The line does not belong to the block: the block ended before it and before any
    /// held blank lines.
    Stop,
}

/// Where a [`Collector`] is in the traceback grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CState {
    Frames,
    Message,
    AfterSep,
}

/// Decides line by line whether console lines continue a traceback block.
///
/// Start it at a header line, then feed it each following line (ANSI escapes removed);
/// it answers [`Step::Take`], [`Step::Hold`] (blank lines, decided by the next line) or
/// [`Step::Stop`]. It is stricter than [`parse`] about the end of a message: on a console
/// only indented lines, chain separators and the known continuation forms
/// ([`is_continuation`], plus the lines of an open `[SQL: ...]`) continue an exception line,
/// so 3.11+ `add_note()` notes written flush left end up outside the block. The caller
/// decides itself that a log-envelope line ends the block.
///
/// ```
/// use rootcause_parsers::traceback::{Collector, Step};
/// let mut c = Collector::start(b"Traceback (most recent call last):").unwrap();
/// assert_eq!(c.step(b"  File \"app.py\", line 1, in <module>"), Step::Take);
/// assert_eq!(c.step(b"KeyError: 'x'"), Step::Take);
/// assert_eq!(c.step(b""), Step::Hold);
/// assert_eq!(c.step(b"Starting worker"), Step::Stop);
/// ```
#[derive(Debug, Clone)]
pub struct Collector {
    state: CState,
    /// A blank line was held just before the current line.
    held: bool,
    /// Inside SQLAlchemy's `[SQL: ...]`, which spans lines until one ends with `]`.
    sql_open: bool,
    /// The block is an exception group, whose lines carry `|`/`+` margins.
    group: bool,
}

impl Collector {
    /// Starts a block at its header line; `None` if `header` is not a header.
    pub fn start(header: &[u8]) -> Option<Collector> {
        let kind = header_kind(header)?;
        Some(Collector {
            state: CState::Frames,
            held: false,
            sql_open: false,
            group: kind == HeaderKind::Group,
        })
    }

    /// Classifies the next line of the console.
    pub fn step(&mut self, line: &[u8]) -> Step {
        if text::is_blank(line) {
            self.held = true;
            return Step::Hold;
        }
        let held = std::mem::replace(&mut self.held, false);
        if chain_link(line).is_some() {
            self.state = CState::AfterSep;
            self.sql_open = false;
            return Step::Take;
        }
        match self.state {
            CState::Frames => {
                let indented = line.first().is_some_and(u8::is_ascii_whitespace);
                let margin = self.group && matches!(line.first(), Some(b'|' | b'+'));
                if is_header(line) {
                    Step::Stop
                } else if indented || margin {
                    Step::Take
                } else if !held && !self.group && exception_line(line).is_some() {
                    self.message_starts();
                    Step::Take
                } else {
                    Step::Stop
                }
            }
            CState::Message => {
                if is_header(line) {
                    Step::Stop
                } else if self.sql_open && !held {
                    self.sql_open = !line.trim_ascii_end().ends_with(b"]");
                    Step::Take
                } else if is_continuation(line) {
                    self.sql_open =
                        line.starts_with(b"[SQL: ") && !line.trim_ascii_end().ends_with(b"]");
                    Step::Take
                } else {
                    Step::Stop
                }
            }
            CState::AfterSep => {
                if let Some(kind) = header_kind(line) {
                    self.state = CState::Frames;
                    self.group = kind == HeaderKind::Group;
                    Step::Take
                } else if credible_exception_line(line).is_some() {
                    self.message_starts();
                    Step::Take
                } else {
                    Step::Stop
                }
            }
        }
    }

    fn message_starts(&mut self) {
        self.state = CState::Message;
        self.sql_open = false;
    }
}

#[cfg(test)]
mod tests;
