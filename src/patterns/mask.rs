//! Masking: one pass over a message's bytes that splits it into tokens and replaces the
//! variable parts with typed placeholders, so that messages differing only in numbers, ids,
//! addresses, strings or times read the same.
//!
//! Tokens are split on whitespace (ASCII controls count as whitespace) and joined again by
//! single spaces. Inside a token, *atoms* are maximal runs of letters, digits, `_` and non-ASCII
//! bytes, joined by `.`, `-` or `:` when a letter or digit follows (and by `::`, for IPv6);
//! everything else (`(`, `=`, `/`, `[`, `,` …) is copied as it is, so punctuation stays attached:
//! `(pid:29804)` → `(pid:<NUM>)`. The rules, in the order they are tried:
//!
//! | rule | example | becomes |
//! |---|---|---|
//! | quoted string opening a token or after `( [ { = : , <` (to the matching quote followed by a non-alphanumeric byte, at most 2048 bytes away; `\"` escapes) | `address "127.0.0.1",` · `app 'labapp'` | `address <STR>,` · `app <STR>` |
//! | C's ctime, spaces included | `[Thu Nov 26 16:41:15 2026]` | `[<TS>]` |
//! | slash date, CLF date (with its `:time`) | `2026/11/25` · `[25/Nov/2026:15:42:08` | `<TS>` · `[<TS>` |
//! | ISO date or date-time, with fraction and zone | `2026-11-25T15:39:20.145862Z` | `<TS>` |
//! | a clock time (`,`/`.` fraction allowed) right after a date token, then a numeric zone token, join the date | `[2026-11-25 15:42:08 +0000]` | `[<TS>]` |
//! | UUID (8-4-4-4-12 hex) | `2bc9aecd-21da-453b-8f39-73606aead311` | `<ID>` |
//! | IPv4 with optional port | `127.0.0.1:34928` | `<IP>` |
//! | IPv6 (hex groups with `::` or seven colons) | `fe80::1` | `<IP>` |
//! | clock duration elsewhere | `session time: 0:00:00.203` | `session time: <DUR>` |
//! | the atom's parts (split at `.` `-` `:`) in runs of numeric/hex parts: all decimal | `15.18-0` · `(13.6%)` · `-5` | `<NUM>` · `(<NUM>%)` · `<NUM>` |
//! | … decimal ending in a unit (`ns us µs ms s m h d min sec secs mins`) | `30000ms` · `2.00s` · `1m30s` | `<DUR>` |
//! | … hex digits with at least one decimal digit, 8 or more in the run | `6b085998.6de2` · `c2861678007d4571a969f2b0a2a1851f` | `<ID>` |
//! | a part of 16 or more letters/digits with at least 4 digits (random tokens) | `Zx8Kq2vP9mN4aB7c` | `<ID>` |
//!
//! Everything else stays, in particular names that mix letters and digits and are neither hex
//! runs of 8 nor long random tokens: `psycopg2`, `H12`, `e3q8`, `3o7r`, `x86_64`, `57P01`, and
//! the words of paths (`/srv/app/.gunicorn/gunicorn.ctl` stays; `/businesses/ref/42` becomes
//! `/businesses/ref/<NUM>`, a path segment being an atom like any other). Choices and limits:
//! an all-digit SQLSTATE (`53300`) and HTTP statuses become `<NUM>` (digits are digits);
//! `python3.11` becomes `python3.<NUM>`; other spellings of dates (`26 November 2026`,
//! `May  9 2026, 07:35:25`) are not recognised as stamps (`<NUM> November <NUM>`); literal `<NUM>` or `<*>` in the input reads
//! as the placeholder. Signs are part of numbers only at the start of a token or after
//! punctuation (`x=-5` → `x=<NUM>`, `64-bit` → `<NUM>-bit`).

use std::ops::Range;

/// Placeholder of a number (integer, decimal, signed, version-like `15.18-0`).
pub const NUM: &str = "<NUM>";
/// Placeholder of a duration (`30000ms`, `2.00s`, `0:00:00.203`).
pub const DUR: &str = "<DUR>";
/// Placeholder of an id: UUID, hex run of 8 or more digits, `0x…`, long random token.
pub const ID: &str = "<ID>";
/// Placeholder of an IPv4 or IPv6 address, with its port if it has one.
pub const IP: &str = "<IP>";
/// Placeholder of a quoted string.
pub const STR: &str = "<STR>";
/// Placeholder of a timestamp (date, date-time, with zone).
pub const TS: &str = "<TS>";
/// What a template shows where its messages differ.
pub const WILDCARD: &str = "<*>";

/// Longest distance from an opening quote to its closing one, so that a message full of
/// unmatched quotes stays linear to mask.
const MAX_QUOTE: usize = 2048;

/// A masked message: its text with placeholders and the byte range of each token in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Masked {
    /// The tokens, joined by single spaces.
    pub text: String,
    /// The byte range of each token in `text`.
    pub tokens: Vec<Range<usize>>,
    /// Whether tokens were left unread past the cap given to the masker.
    pub truncated: bool,
}

impl Masked {
    /// The tokens, as string slices of `text`.
    pub fn token_strs(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().map(|r| self.text.get(r.clone()).unwrap_or(""))
    }
}

/// Masks the whole of `text` (see the module doc for the rules).
///
/// ```
/// use rootcause::patterns::mask;
/// let m = mask("WORKER TIMEOUT (pid:29804)");
/// assert_eq!(m.text, "WORKER TIMEOUT (pid:<NUM>)");
/// assert_eq!(m.tokens.len(), 3);
/// ```
pub fn mask(text: &str) -> Masked {
    let mut m = Masked::default();
    mask_into(text, usize::MAX, &mut m);
    m
}

/// Masks `text` into `out` (cleared first, its buffers reused), reading at most `max_tokens`
/// tokens; `out.truncated` says whether more followed. What [`Miner::add`](super::Miner::add)
/// calls.
pub fn mask_into(text: &str, max_tokens: usize, out: &mut Masked) {
    mask_with(text, max_tokens, out, true);
}

/// [`mask_into`]; with `plain`, a token that no rule can touch is copied without reading its
/// atoms ([`plain_token`]).
pub(super) fn mask_with(text: &str, max_tokens: usize, out: &mut Masked, plain: bool) {
    out.text.clear();
    out.tokens.clear();
    out.truncated = false;
    let b = text.as_bytes();
    let mut m = Masker { b, text, out: &mut out.text, last: Last::Other };
    let mut i = 0;
    loop {
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        // A clock after a date, or a zone after a date-time, joins the previous token.
        let joined = match m.last {
            Last::Date => clock_len(b, i).and_then(|l| {
                let z = zone_len(b, i + l).unwrap_or(0);
                let last = if z > 0 { Last::Other } else { Last::DateTime };
                boundary(b, i + l + z).then_some((l + z, last))
            }),
            Last::DateTime => {
                zone_len(b, i).filter(|&l| boundary(b, i + l)).map(|l| (l, Last::Other))
            }
            Last::Other => None,
        };
        if let (Some((l, last)), Some(prev)) = (joined, out.tokens.last_mut()) {
            m.last = last;
            i = m.token(i + l);
            prev.end = m.out.len();
            continue;
        }
        if out.tokens.len() >= max_tokens {
            out.truncated = true;
            break;
        }
        if !m.out.is_empty() {
            m.out.push(' ');
        }
        let start = m.out.len();
        m.last = Last::Other;
        i = match plain_token(b, i).filter(|_| plain) {
            Some(end) => {
                m.copy(i, end);
                end
            }
            None => m.token(i),
        };
        out.tokens.push(start..m.out.len());
    }
}

/// What the last thing written was, for joining a clock or zone to a date.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    /// A date without a time.
    Date,
    /// A date with a time and no zone.
    DateTime,
    /// Anything else.
    Other,
}

struct Masker<'a> {
    b: &'a [u8],
    text: &'a str,
    out: &'a mut String,
    last: Last,
}

impl Masker<'_> {
    /// Copies `text[from..to]` (always cut next to ASCII bytes, so on char boundaries).
    fn copy(&mut self, from: usize, to: usize) {
        if let Some(s) = self.text.get(from..to) {
            self.out.push_str(s);
        }
        if to > from {
            self.last = Last::Other;
        }
    }

    fn put(&mut self, placeholder: &str) {
        self.out.push_str(placeholder);
        self.last = Last::Other;
    }

    /// Masks the token starting at `s` (not whitespace); returns where it ends.
    fn token(&mut self, s: usize) -> usize {
        let b = self.b;
        let mut j = s;
        while j < b.len() && !is_space(b[j]) {
            let c = b[j];
            if (c == b'"' || c == b'\'')
                && (j == s || matches!(b[j - 1], b'(' | b'[' | b'{' | b'=' | b':' | b',' | b'<'))
            {
                if let Some(close) = closing_quote(b, j) {
                    self.put(STR);
                    j = close + 1;
                    continue;
                }
            }
            if c.is_ascii_uppercase() && (j == s || !is_word(b[j - 1])) {
                if let Some(l) = ctime_len(b, j) {
                    self.put(TS);
                    j += l;
                    continue;
                }
            }
            if is_word(c) || (c == b':' && b.get(j + 1) == Some(&b':')) {
                j = self.atom(s, j);
                continue;
            }
            self.copy(j, j + 1);
            j += 1;
        }
        j
    }

    /// Masks the atom starting at `s` inside the token starting at `tok`; returns its end.
    fn atom(&mut self, tok: usize, s: usize) -> usize {
        let b = self.b;
        if let Some(l) = slash_date(b, s) {
            self.put(TS);
            self.last = Last::Date;
            if l.1 {
                self.last = Last::DateTime;
            }
            return s + l.0;
        }
        let mut e = s;
        while e < b.len() {
            let c = b[e];
            if is_word(c) {
                e += 1;
            } else if matches!(c, b'.' | b'-' | b':') {
                match b.get(e + 1) {
                    Some(&n) if is_word(n) => e += 1,
                    Some(b':') if c == b':' => e += 2,
                    _ => break,
                }
            } else {
                break;
            }
        }
        let a = &b[s..e];
        if let Some(with_time) = iso_date(a) {
            self.put(TS);
            self.last = if with_time { Last::DateTime } else { Last::Date };
            if with_time {
                if let Some(z) = zone_len(b, e) {
                    self.last = Last::Other;
                    return e + z;
                }
            }
            return e;
        }
        if is_uuid(a) {
            self.put(ID);
        } else if is_ipv4(a) || is_ipv6(a) {
            self.put(IP);
        } else if clock_len(a, 0) == Some(a.len()) {
            self.put(DUR);
        } else {
            self.parts(tok, s, e);
        }
        e
    }

    /// Masks an atom part by part: runs of numeric/hex parts become one placeholder.
    fn parts(&mut self, tok: usize, s: usize, e: usize) {
        let b = self.b;
        // The current run of numeric/hex parts: where it starts and what it holds.
        let mut run: Option<Run> = None;
        let mut p = s;
        while p < e {
            let mut q = p;
            while q < e && !matches!(b[q], b'.' | b'-' | b':') {
                q += 1;
            }
            let kind = part_kind(&b[p..q]);
            match kind {
                Part::Word => {
                    if let Some(r) = run.take() {
                        self.flush(tok, r, p);
                    }
                    self.copy(p, q);
                }
                Part::LongId => {
                    if let Some(r) = run.take() {
                        self.flush(tok, r, p);
                    }
                    self.put(ID);
                }
                _ => {
                    let r = run.get_or_insert(Run { start: p, all_num: true, ..Run::default() });
                    r.all_num &= kind == Part::Num;
                    r.hex |= kind == Part::Hex;
                    r.hex_len += q - p;
                    r.ends_dur = kind == Part::Dur;
                    r.dur_mid |= r.saw_dur;
                    r.saw_dur |= kind == Part::Dur;
                }
            }
            // The joiner after the part: kept when the run ends here.
            if q < e {
                let next_run = q + 1 < e && part_kind(&b[q + 1..next_joiner(b, q + 1, e)]).in_run();
                if run.is_some() && next_run {
                    p = q + 1;
                    continue;
                }
                if let Some(r) = run.take() {
                    self.flush(tok, r, q);
                }
                let j = if b[q] == b':' && b.get(q + 1) == Some(&b':') { q + 2 } else { q + 1 };
                self.copy(q, j.min(e));
                p = j;
            } else {
                p = q;
            }
        }
        if let Some(r) = run.take() {
            self.flush(tok, r, e);
        }
    }

    /// Writes the placeholder of the run `r` that ends at `end` (or copies it).
    fn flush(&mut self, tok: usize, r: Run, end: usize) {
        let placeholder = if r.all_num {
            Some(NUM)
        } else if r.ends_dur && !r.dur_mid && !r.hex {
            Some(DUR)
        } else if r.hex && r.hex_len >= 8 {
            Some(ID)
        } else {
            None
        };
        match placeholder {
            Some(p) => {
                // A sign at the start of the token or after punctuation belongs to the number.
                if p != ID && r.start > tok {
                    let sign = self.b[r.start - 1];
                    let before = if r.start - 1 > tok { self.b.get(r.start - 2) } else { None };
                    if matches!(sign, b'-' | b'+')
                        && before.is_none_or(|&c| !is_word(c))
                        && self.out.ends_with(sign as char)
                    {
                        self.out.pop();
                    }
                }
                self.put(p);
            }
            None => self.copy(r.start, end),
        }
    }
}

#[derive(Default)]
struct Run {
    start: usize,
    all_num: bool,
    hex: bool,
    hex_len: usize,
    ends_dur: bool,
    saw_dur: bool,
    dur_mid: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Num,
    Dur,
    Hex,
    LongId,
    Word,
}

impl Part {
    fn in_run(self) -> bool {
        matches!(self, Part::Num | Part::Dur | Part::Hex)
    }
}

/// The index of the quote closing the one at `open`: the same quote, not escaped, followed by
/// a byte that is not a letter or digit, at most [`MAX_QUOTE`] bytes away.
fn closing_quote(b: &[u8], open: usize) -> Option<usize> {
    let q = b[open];
    let end = b.len().min(open + MAX_QUOTE);
    let mut from = open + 1;
    while from < end {
        let k = from + memchr::memchr(q, b.get(from..end)?)?;
        if b[k - 1] != b'\\' && !b.get(k + 1).is_some_and(|&c| is_word(c)) {
            return Some(k);
        }
        from = k + 1;
    }
    None
}

fn next_joiner(b: &[u8], from: usize, e: usize) -> usize {
    let mut q = from;
    while q < e && !matches!(b[q], b'.' | b'-' | b':') {
        q += 1;
    }
    q
}

fn part_kind(p: &[u8]) -> Part {
    if p.is_empty() {
        return Part::Word;
    }
    let digits = p.iter().filter(|c| c.is_ascii_digit()).count();
    if digits == p.len() {
        return Part::Num;
    }
    if let Some(h) = p.strip_prefix(b"0x").or_else(|| p.strip_prefix(b"0X")) {
        if !h.is_empty() && h.iter().all(u8::is_ascii_hexdigit) {
            return Part::LongId;
        }
    }
    if digits > 0 && p[0].is_ascii_digit() && is_duration(p) {
        return Part::Dur;
    }
    if digits > 0 && p.iter().all(u8::is_ascii_hexdigit) {
        return Part::Hex;
    }
    if p.len() >= 16 && digits >= 4 {
        return Part::LongId;
    }
    Part::Word
}

/// `(\d+ unit)+` with a unit of `ns us µs ms s m h d min mins sec secs`.
fn is_duration(p: &[u8]) -> bool {
    let mut i = 0;
    let mut any = false;
    while i < p.len() {
        let d = i;
        while i < p.len() && p[i].is_ascii_digit() {
            i += 1;
        }
        let u = i;
        while i < p.len() && !p[i].is_ascii_digit() {
            i += 1;
        }
        if u == d || u == i {
            return false;
        }
        if !matches!(
            &p[u..i],
            b"ns"
                | b"us"
                | b"\xc2\xb5s"
                | b"ms"
                | b"s"
                | b"m"
                | b"h"
                | b"d"
                | b"min"
                | b"mins"
                | b"sec"
                | b"secs"
        ) {
            return false;
        }
        any = true;
    }
    any
}

/// The end of the token starting at `s` when no rule can change it: it has no digit (every
/// number, id, address, duration and date has one), no quote (strings), no `:` (IPv6 of hex
/// letters such as `dead::beef`) and does not end in a weekday's name (a C ctime starts with
/// one, the digits in the tokens after it). Such a token reads as words and punctuation,
/// copied as they are: most words of a message, and nearly all of an SQL statement's.
fn plain_token(b: &[u8], s: usize) -> Option<usize> {
    let mut j = s;
    while j < b.len() && !is_space(b[j]) {
        let c = b[j];
        if c.is_ascii_digit() || matches!(c, b'"' | b'\'' | b':') {
            return None;
        }
        j += 1;
    }
    let tok = &b[s..j];
    if tok.len() >= 3 {
        let day = &tok[tok.len() - 3..];
        let alone = tok.len() == 3 || !is_word(tok[tok.len() - 4]);
        if alone && matches!(day, b"Mon" | b"Tue" | b"Wed" | b"Thu" | b"Fri" | b"Sat" | b"Sun") {
            return None;
        }
    }
    Some(j)
}

fn is_space(c: u8) -> bool {
    c <= b' ' || c == 0x7f
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// Whether `i` ends a token piece: end, whitespace or punctuation other than a joiner.
fn boundary(b: &[u8], i: usize) -> bool {
    match b.get(i) {
        None => true,
        Some(&c) => is_space(c) || !(is_word(c) || matches!(c, b'.' | b'-' | b':' | b'+')),
    }
}

fn digits(b: &[u8], i: usize, n: usize) -> bool {
    b.get(i..i + n).is_some_and(|d| d.iter().all(u8::is_ascii_digit))
}

/// Length of `h:mm:ss` or `hh:mm:ss` (any number of hour digits) with an optional `.`/`,`
/// fraction, at `i`.
fn clock_len(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    if j == i || j - i > 3 {
        return None;
    }
    if b.get(j) != Some(&b':') || !digits(b, j + 1, 2) || b.get(j + 3) != Some(&b':') {
        return None;
    }
    if !digits(b, j + 4, 2) {
        return None;
    }
    j += 6;
    if matches!(b.get(j), Some(b'.' | b',')) && digits(b, j + 1, 1) {
        j += 1;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
    }
    if b.get(j).is_some_and(|&c| c.is_ascii_digit()) {
        return None;
    }
    Some(j - i)
}

/// Length of a zone at `i`: `Z`, `±hh`, `±hhmm`, `±hh:mm`.
fn zone_len(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'Z' => Some(1),
        b'+' | b'-' if digits(b, i + 1, 2) => {
            if digits(b, i + 3, 2) {
                Some(5)
            } else if b.get(i + 3) == Some(&b':') && digits(b, i + 4, 2) {
                Some(6)
            } else {
                Some(3)
            }
        }
        _ => None,
    }
    .filter(|&l| !b.get(i + l).is_some_and(|c| c.is_ascii_alphanumeric()))
}

/// `YYYY-MM-DD`, optionally `T`/`_` and a clock with fraction and zone. `Some(has_time)`.
fn iso_date(a: &[u8]) -> Option<bool> {
    if a.len() < 10 || !digits(a, 0, 4) || a[4] != b'-' || !digits(a, 5, 2) || a[7] != b'-' {
        return None;
    }
    if !digits(a, 8, 2) {
        return None;
    }
    if a.len() == 10 {
        return Some(false);
    }
    if !matches!(a[10], b'T' | b'_') {
        return None;
    }
    let l = clock_len(a, 11)?;
    let rest = a.len() - 11 - l;
    if rest == 0 {
        return Some(true);
    }
    (zone_len(a, 11 + l) == Some(rest)).then_some(false)
}

/// `YYYY/MM/DD` or `DD/Mon/YYYY` (with `:hh:mm:ss` joined) at `s`: `(length, has_time)`.
fn slash_date(b: &[u8], s: usize) -> Option<(usize, bool)> {
    let l = if digits(b, s, 4) && b.get(s + 4) == Some(&b'/') && digits(b, s + 5, 2) {
        (b.get(s + 7) == Some(&b'/') && digits(b, s + 8, 2)).then_some(10)?
    } else {
        let d = if digits(b, s, 2) {
            2
        } else if digits(b, s, 1) {
            1
        } else {
            return None;
        };
        let month = is_month(b.get(s + d + 1..s + d + 4)?);
        if b[s + d] != b'/' || !month || b.get(s + d + 4) != Some(&b'/') || !digits(b, s + d + 5, 4)
        {
            return None;
        }
        d + 9
    };
    if b.get(s + l).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    if b.get(s + l) == Some(&b':') {
        if let Some(c) = clock_len(b, s + l + 1) {
            return Some((l + 1 + c, true));
        }
    }
    Some((l, false))
}

fn is_month(m: &[u8]) -> bool {
    matches!(
        m,
        b"Jan"
            | b"Feb"
            | b"Mar"
            | b"Apr"
            | b"May"
            | b"Jun"
            | b"Jul"
            | b"Aug"
            | b"Sep"
            | b"Oct"
            | b"Nov"
            | b"Dec"
    )
}

/// `Www Mmm d hh:mm:ss yyyy` (C's `ctime`, as uWSGI writes it; the day may be padded with a
/// space) at `s`: its length.
fn ctime_len(b: &[u8], s: usize) -> Option<usize> {
    let day = b.get(s..s + 3)?;
    if !matches!(day, b"Mon" | b"Tue" | b"Wed" | b"Thu" | b"Fri" | b"Sat" | b"Sun") {
        return None;
    }
    if b.get(s + 3) != Some(&b' ') || !is_month(b.get(s + 4..s + 7)?) || b.get(s + 7) != Some(&b' ')
    {
        return None;
    }
    let mut i = s + 8;
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    let d = if digits(b, i, 2) {
        2
    } else if digits(b, i, 1) {
        1
    } else {
        return None;
    };
    i += d;
    if b.get(i) != Some(&b' ') || clock_len(b, i + 1) != Some(8) {
        return None;
    }
    i += 9;
    if b.get(i) != Some(&b' ')
        || !digits(b, i + 1, 4)
        || b.get(i + 5).is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    Some(i + 5 - s)
}

fn is_uuid(a: &[u8]) -> bool {
    a.len() == 36
        && a.iter().enumerate().all(|(i, &c)| {
            if matches!(i, 8 | 13 | 18 | 23) { c == b'-' } else { c.is_ascii_hexdigit() }
        })
}

/// `a.b.c.d` with 1-3 digit octets, optionally `:port`.
fn is_ipv4(a: &[u8]) -> bool {
    let (addr, port) = match a.iter().position(|&c| c == b':') {
        Some(p) => (&a[..p], Some(&a[p + 1..])),
        None => (a, None),
    };
    if port.is_some_and(|p| p.is_empty() || p.len() > 5 || !p.iter().all(u8::is_ascii_digit)) {
        return false;
    }
    let mut n = 0;
    for o in addr.split(|&c| c == b'.') {
        n += 1;
        if o.is_empty() || o.len() > 3 || !o.iter().all(u8::is_ascii_digit) {
            return false;
        }
    }
    n == 4
}

/// Hex groups of at most 4 digits separated by colons, with `::` or exactly seven colons.
fn is_ipv6(a: &[u8]) -> bool {
    let colons = a.iter().filter(|&&c| c == b':').count();
    let double = a.windows(2).any(|w| w == b"::");
    if colons < 2 || !(double || colons == 7) {
        return false;
    }
    a.split(|&c| c == b':').all(|g| g.len() <= 4 && g.iter().all(u8::is_ascii_hexdigit))
}

/// Whether a token (masked) holds a variable part: a digit or a placeholder. Drain sends such
/// tokens to the wildcard child of its tree.
pub(crate) fn is_variable(t: &str) -> bool {
    t.bytes().any(|c| c.is_ascii_digit())
        || (t.contains('<') && [NUM, DUR, ID, IP, STR, TS, WILDCARD].iter().any(|p| t.contains(p)))
}
