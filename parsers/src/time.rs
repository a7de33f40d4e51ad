//! Every timestamp grammar seen in the inputs, to UTC microseconds since the Unix epoch.
//!
//! Grammars (all parsed from bytes with nom, `complete` combinators only):
//! - ISO 8601 / RFC 3339 with `T` or a space, optional seconds fraction (`.` or `,`), and a
//!   zone that is `Z`, a numeric offset (`+01:00`, `+0100`, `+01`), a zone abbreviation
//!   (`UTC`, `GMT`, `CET`, `EST`, ... as Postgres prints with `%m`/`%t`) or absent;
//! - slash dates `2026/11/25 15:42:08` (nginx error log);
//! - day-first `25/Nov/2026 15:40:52` (werkzeug) and `25/Nov/2026:15:40:52 +0000` (access logs);
//! - ctime `Wed Nov 25 15:42:08 2026` (uWSGI);
//! - epoch numbers in seconds, milliseconds, microseconds or nanoseconds (by magnitude).
//!
//! A stamp without a zone gets [`TimeOptions::default_offset_secs`] and is marked
//! [`ZoneKind::Assumed`]; one whose zone is a named abbreviation other than UTC's (`CET`,
//! `CST`) is marked [`ZoneKind::Abbreviation`], so callers can report both
//! ([`Stamp::caveat`]). This module never reads a clock.
//!
//! ```
//! use rootcause_parsers::time::{parse, format_rfc3339, TimeOptions};
//! let s = parse(b"2026-11-25 15:42:07.355 CET", &TimeOptions::default()).unwrap();
//! assert_eq!(format_rfc3339(s.micros), "2026-11-25T14:42:07.355Z");
//! ```

use nom::branch::alt;
use nom::bytes::complete::{take_while_m_n, take_while1};
use nom::character::complete::char;
use nom::combinator::opt;
use nom::{IResult, Parser};

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

/// One second in microseconds.
pub const SECOND: Micros = 1_000_000;

/// Whether the zone of a stamp was written in the input or assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneKind {
    /// The input carried an unambiguous zone (a numeric offset, `Z`, or a name of UTC:
    /// [`UTC_NAMES`]), or the stamp is an epoch number.
    Explicit,
    /// The zone was a named abbreviation other than UTC's (`CET`, `CST`), read with the offset
    /// [`zone_abbreviation`] gives it.
    Abbreviation,
    /// No zone (or an unknown abbreviation): the default offset was applied.
    Assumed,
    /// A garbled stamp whose time could still be read from it ([`recover_garbled`]).
    Recovered,
}

/// A parsed timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// UTC microseconds.
    pub micros: Micros,
    /// Where the zone came from.
    pub zone: ZoneKind,
}

impl Stamp {
    /// The caveat a parser notes for this stamp: a zone that was assumed or named by an
    /// abbreviation, or a time recovered from a garbled stamp; `None` when the stamp said
    /// everything itself, unambiguously.
    pub fn caveat(&self) -> Option<crate::Note> {
        match self.zone {
            ZoneKind::Explicit => None,
            ZoneKind::Abbreviation => Some(crate::Note::ZoneAbbreviation),
            ZoneKind::Assumed => Some(crate::Note::ZoneAssumed),
            ZoneKind::Recovered => Some(crate::Note::TimestampRecovered),
        }
    }
}

/// How to read stamps that carry no zone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeOptions {
    /// Offset east of UTC, in seconds, for stamps without a zone (`--tz`); 0 means UTC.
    pub default_offset_secs: i32,
}

type PResult<'a, T> = IResult<&'a [u8], T>;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Broken-down local time as read from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    micros: u32,
}

impl Civil {
    /// UTC microseconds for this local time at `offset_secs` east of UTC; `None` if invalid.
    fn to_micros(self, offset_secs: i32) -> Option<Micros> {
        if !(1..=12).contains(&self.month)
            || self.day == 0
            || self.day > days_in_month(self.year, self.month)
            || self.hour > 24
            || self.minute > 59
            || self.second > 60
            || (self.hour == 24 && (self.minute, self.second, self.micros) != (0, 0, 0))
        {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(offset_secs);
        secs.checked_mul(SECOND)?.checked_add(i64::from(self.micros))
    }
}

/// Formats UTC microseconds as RFC 3339 with milliseconds: `2026-11-25T15:39:20.139Z`.
pub fn format_rfc3339(m: Micros) -> String {
    let (date, secs, sub) = split(m);
    let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    format!("{date}T{h:02}:{mi:02}:{s:02}.{:03}Z", sub / 1000)
}

/// Formats UTC microseconds as RFC 3339 with microseconds: `2026-11-25T15:39:20.139000Z`.
pub fn format_rfc3339_micros(m: Micros) -> String {
    let (date, secs, sub) = split(m);
    let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    format!("{date}T{h:02}:{mi:02}:{s:02}.{sub:06}Z")
}

fn split(m: Micros) -> (String, i64, i64) {
    let days = m.div_euclid(86_400 * SECOND);
    let rem = m.rem_euclid(86_400 * SECOND);
    let (y, mo, d) = civil_from_days(days);
    (format!("{y:04}-{mo:02}-{d:02}"), rem / SECOND, rem % SECOND)
}

fn is_digit(c: u8) -> bool {
    c.is_ascii_digit()
}

fn num(d: &[u8]) -> u32 {
    d.iter().fold(0u32, |a, &c| a.wrapping_mul(10).wrapping_add(u32::from(c - b'0')))
}

/// Exactly `n` ASCII digits as a number: `take_while_m_n(n, n, is_digit)` written out, since
/// every stamp reads five to seven such fields and nom's general take cost a tenth of the
/// Postgres and werkzeug parsers.
fn digits(n: usize) -> impl Fn(&[u8]) -> PResult<'_, u32> {
    move |i| match (i.get(..n), i.get(n..)) {
        (Some(d), Some(rest)) if d.iter().all(|&c| is_digit(c)) => Ok((rest, num(d))),
        _ => Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::TakeWhileMN))),
    }
}

/// A seconds fraction after `.` or `,`, as microseconds (extra digits are truncated).
fn fraction(i: &[u8]) -> PResult<'_, u32> {
    let (i, _) = alt((char('.'), char(','))).parse(i)?;
    let (i, d) = take_while1(is_digit).parse(i)?;
    let mut us = 0u32;
    for k in 0..6 {
        us = us * 10 + d.get(k).map_or(0, |&c| u32::from(c - b'0'));
    }
    Ok((i, us))
}

/// `HH:MM[:SS[.frac]]`.
fn clock(i: &[u8]) -> PResult<'_, (u32, u32, u32, u32)> {
    let (i, h) = digits(2)(i)?;
    let (i, _) = char(':').parse(i)?;
    let (i, mi) = digits(2)(i)?;
    let (i, sec) = opt((char(':'), digits(2), opt(fraction))).parse(i)?;
    let (s, us) = sec.map_or((0, 0), |(_, s, f)| (s, f.unwrap_or(0)));
    Ok((i, (h, mi, s, us)))
}

/// A numeric offset: `+01:00`, `+0100`, `+01`, `-0530`, in seconds east of UTC.
fn numeric_offset(i: &[u8]) -> PResult<'_, i32> {
    let (i, sign) = alt((char('+'), char('-'))).parse(i)?;
    let (i, h) = digits(2)(i)?;
    let (i, m) = opt(alt(((char(':'), digits(2)).map(|(_, m)| m), digits(2)))).parse(i)?;
    if h > 23 || m.unwrap_or(0) > 59 {
        return Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify)));
    }
    let secs = (h * 3600 + m.unwrap_or(0) * 60) as i32;
    Ok((i, if sign == '-' { -secs } else { secs }))
}

/// Offset of a zone abbreviation, in seconds east of UTC.
///
/// The set follows Postgres' `Default` timezone_abbreviations where they agree with common
/// usage; ambiguous ones (IST) are left out. `CST` is US Central as in Postgres.
/// A stamp written with one of these other than [`UTC_NAMES`] is marked
/// [`ZoneKind::Abbreviation`], so that reports can say the offset was read from a name.
pub fn zone_abbreviation(abbr: &[u8]) -> Option<i32> {
    let h = |x: i32| Some(x * 3600);
    match abbr {
        b"UTC" | b"GMT" | b"UT" | b"Z" | b"Zulu" | b"WET" | b"UCT" => h(0),
        b"WEST" | b"BST" | b"CET" | b"MET" | b"WAT" => h(1),
        b"CEST" | b"MEST" | b"EET" | b"SAST" | b"CAT" => h(2),
        b"EEST" | b"MSK" | b"EAT" => h(3),
        b"PKT" => h(5),
        b"ICT" | b"WIB" => h(7),
        b"AWST" | b"HKT" | b"SGT" | b"PHT" | b"WITA" => h(8),
        b"JST" | b"KST" | b"WIT" => h(9),
        b"ACST" => Some(9 * 3600 + 1800),
        b"ACDT" => Some(10 * 3600 + 1800),
        b"AEST" => h(10),
        b"AEDT" => h(11),
        b"NZST" => h(12),
        b"NZDT" => h(13),
        b"AST" => h(-4),
        b"ADT" => h(-3),
        b"NST" => Some(-(3 * 3600 + 1800)),
        b"NDT" => Some(-(2 * 3600 + 1800)),
        b"EST" => h(-5),
        b"EDT" => h(-4),
        b"CDT" => h(-5),
        b"CST" | b"MDT" => h(-6),
        b"MST" | b"PDT" => h(-7),
        b"PST" | b"AKDT" => h(-8),
        b"AKST" => h(-9),
        b"HST" => h(-10),
        _ => None,
    }
}

/// Names of UTC itself: a stamp written with one of them is [`ZoneKind::Explicit`], not
/// [`ZoneKind::Abbreviation`].
pub const UTC_NAMES: [&[u8]; 6] = [b"UTC", b"GMT", b"UT", b"Z", b"Zulu", b"UCT"];

/// Upper-case words that follow a timestamp in logs and are never zones.
const SEVERITY_WORDS: [&[u8]; 12] = [
    b"LOG", b"ERROR", b"FATAL", b"PANIC", b"INFO", b"DEBUG", b"HINT", b"QUERY", b"WARN", b"TRACE",
    b"CRIT", b"NOTE",
];

/// What a stamp wrote in the place of its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WrittenZone {
    /// `Z`, a numeric offset, or a name of UTC ([`UTC_NAMES`]): seconds east of UTC.
    Explicit(i32),
    /// Another known abbreviation ([`zone_abbreviation`]): seconds east of UTC.
    Abbreviation(i32),
    /// A word that is not a known abbreviation.
    Unknown,
}

/// The zone after a clock: `Z`, an optional space then a numeric offset, or a space then an
/// abbreviation. `None` when there is no zone.
fn zone(i: &[u8]) -> PResult<'_, Option<WrittenZone>> {
    if let Some(rest) = i.strip_prefix(b"Z") {
        if !rest.first().is_some_and(u8::is_ascii_alphanumeric) {
            return Ok((rest, Some(WrittenZone::Explicit(0))));
        }
    }
    if let Ok((rest, off)) = numeric_offset(i) {
        return Ok((rest, Some(WrittenZone::Explicit(off))));
    }
    if let Some(after_space) = i.strip_prefix(b" ") {
        if let Ok((rest, off)) = numeric_offset(after_space) {
            return Ok((rest, Some(WrittenZone::Explicit(off))));
        }
        if let Ok((rest, abbr)) =
            take_while_m_n::<_, _, nom::error::Error<&[u8]>>(2, 5, |c: u8| c.is_ascii_uppercase())
                .parse(after_space)
        {
            let ends_word = !rest.first().is_some_and(u8::is_ascii_alphanumeric);
            if ends_word {
                if let Some(off) = zone_abbreviation(abbr) {
                    let z = if UTC_NAMES.contains(&abbr) {
                        WrittenZone::Explicit(off)
                    } else {
                        WrittenZone::Abbreviation(off)
                    };
                    return Ok((rest, Some(z)));
                }
                // An unknown word is a zone only if it is not a log severity ("LOG:") or
                // any other word followed by a colon.
                if rest.first() != Some(&b':') && !SEVERITY_WORDS.contains(&abbr) {
                    return Ok((rest, Some(WrittenZone::Unknown)));
                }
            }
        }
    }
    Ok((i, None))
}

fn finish<'a>(
    rest: &'a [u8],
    c: Civil,
    z: Option<WrittenZone>,
    o: &TimeOptions,
) -> PResult<'a, Stamp> {
    let (offset, kind) = match z {
        Some(WrittenZone::Explicit(off)) => (off, ZoneKind::Explicit),
        Some(WrittenZone::Abbreviation(off)) => (off, ZoneKind::Abbreviation),
        Some(WrittenZone::Unknown) | None => (o.default_offset_secs, ZoneKind::Assumed),
    };
    match c.to_micros(offset) {
        Some(micros) => Ok((rest, Stamp { micros, zone: kind })),
        None => Err(nom::Err::Error(nom::error::Error::new(rest, nom::error::ErrorKind::Verify))),
    }
}

/// `2026-11-25T15:42:07.355Z`, `2026-11-25 15:42:07 UTC`, `2019-01-29 15:56:50,123`,
/// and `2026/11/25 15:42:08`.
fn iso<'a>(i: &'a [u8], o: &TimeOptions) -> PResult<'a, Stamp> {
    match iso_with_seconds(i, o) {
        Some(r) => r,
        None => iso_nom(i, o),
    }
}

/// Year, month, day, hour, minute and second of the 19 bytes `YYYY-MM-DD HH:MM:SS` (`-` or
/// `/` in the date, `T`, `t` or a space between date and time), read at fixed places; `None`
/// when a separator or a digit is not where it belongs.
fn fixed_fields(head: &[u8]) -> Option<[u32; 6]> {
    let head = head.get(..19)?;
    let sep = head[4];
    let seps = (sep == b'-' || sep == b'/')
        && head[7] == sep
        && matches!(head[10], b'T' | b' ' | b't')
        && head[13] == b':'
        && head[16] == b':';
    if !seps {
        return None;
    }
    let field = |at: usize, n: usize| -> Option<u32> {
        let d = head.get(at..at + n)?;
        d.iter().all(|&c| is_digit(c)).then(|| num(d))
    };
    Some([field(0, 4)?, field(5, 2)?, field(8, 2)?, field(11, 2)?, field(14, 2)?, field(17, 2)?])
}

/// [`iso`] for a stamp that starts `YYYY-MM-DD HH:MM:SS` (`-` or `/`, `T`, `t` or a space),
/// read at fixed places instead of with nom's combinators (the JSON-lines parser's stamps,
/// issue 9); `None` for any other start, which [`iso_nom`] reads. Where it answers, the
/// answer is [`iso_nom`]'s: the same fields, the same fraction (every digit after `.` or
/// `,`, the first six kept), the same [`zone`] and [`finish`].
fn iso_with_seconds<'a>(i: &'a [u8], o: &TimeOptions) -> Option<PResult<'a, Stamp>> {
    let (head, rest) = (i.get(..19)?, i.get(19..)?);
    let [year, month, day, hour, minute, second] = fixed_fields(head)?;
    let (mut rest, mut micros) = (rest, 0);
    if let [b'.' | b',', tail @ ..] = rest {
        let n = tail.iter().take_while(|&&c| is_digit(c)).count();
        if n > 0 {
            for k in 0..6 {
                micros = micros * 10 + tail[..n].get(k).map_or(0, |&c| u32::from(c - b'0'));
            }
            rest = &tail[n..];
        }
    }
    let c = Civil { year: i64::from(year), month, day, hour, minute, second, micros };
    Some(zone(rest).and_then(|(rest, z)| finish(rest, c, z, o)))
}

/// [`iso`] with nom, for every shape.
fn iso_nom<'a>(i: &'a [u8], o: &TimeOptions) -> PResult<'a, Stamp> {
    let (i, year) = digits(4)(i)?;
    let (i, sep) = alt((char('-'), char('/'))).parse(i)?;
    let (i, month) = digits(2)(i)?;
    let (i, _) = char(sep).parse(i)?;
    let (i, day) = digits(2)(i)?;
    let (i, _) = alt((char('T'), char(' '), char('t'))).parse(i)?;
    let (i, (hour, minute, second, micros)) = clock(i)?;
    let (i, z) = zone(i)?;
    let c = Civil { year: i64::from(year), month, day, hour, minute, second, micros };
    finish(i, c, z, o)
}

fn month_name(i: &[u8]) -> PResult<'_, u32> {
    let (rest, m) = take_while_m_n(3, 3, |c: u8| c.is_ascii_alphabetic()).parse(i)?;
    const NAMES: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let lower = [m[0].to_ascii_lowercase(), m[1].to_ascii_lowercase(), m[2].to_ascii_lowercase()];
    match NAMES.iter().position(|n| **n == lower) {
        Some(k) => Ok((rest, k as u32 + 1)),
        None => Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Tag))),
    }
}

/// `25/Nov/2026 15:40:52` (werkzeug) and `25/Nov/2026:15:40:52 +0000` (common log format).
fn day_first<'a>(i: &'a [u8], o: &TimeOptions) -> PResult<'a, Stamp> {
    let (i, day) = alt((digits(2), digits(1))).parse(i)?;
    let (i, _) = char('/').parse(i)?;
    let (i, month) = month_name(i)?;
    let (i, _) = char('/').parse(i)?;
    let (i, year) = digits(4)(i)?;
    let (i, _) = alt((char(':'), char(' '))).parse(i)?;
    let (i, (hour, minute, second, micros)) = clock(i)?;
    let (i, z) = zone(i)?;
    let c = Civil { year: i64::from(year), month, day, hour, minute, second, micros };
    finish(i, c, z, o)
}

/// ctime: `Wed Nov 25 15:42:08 2026` (day padded with a space when below 10).
fn ctime<'a>(i: &'a [u8], o: &TimeOptions) -> PResult<'a, Stamp> {
    let (i, _) = take_while_m_n(3, 3, |c: u8| c.is_ascii_alphabetic()).parse(i)?;
    let (i, _) = char(' ').parse(i)?;
    let (i, month) = month_name(i)?;
    let (i, _) = take_while1(|c| c == b' ').parse(i)?;
    let (i, day) = alt((digits(2), digits(1))).parse(i)?;
    let (i, _) = char(' ').parse(i)?;
    let (i, (hour, minute, second, micros)) = clock(i)?;
    let (i, _) = char(' ').parse(i)?;
    let (i, year) = digits(4)(i)?;
    let c = Civil { year: i64::from(year), month, day, hour, minute, second, micros };
    finish(i, c, None, o)
}

/// A timestamp at the start of `i` in any textual grammar; returns the rest of the input.
pub fn timestamp<'a>(i: &'a [u8], o: &TimeOptions) -> PResult<'a, Stamp> {
    match i.first() {
        Some(c) if c.is_ascii_digit() => {
            if i.get(4).is_some_and(|&c| c == b'-' || c == b'/') {
                iso(i, o)
            } else {
                day_first(i, o)
            }
        }
        Some(c) if c.is_ascii_alphabetic() => ctime(i, o),
        _ => Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Alt))),
    }
}

/// Reads an epoch number by magnitude: seconds (< 10^11), milliseconds (< 10^14),
/// microseconds (< 10^17), else nanoseconds. Negative or non-finite values are refused.
pub fn from_epoch(v: f64) -> Option<Micros> {
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let us = if v < 1e11 {
        v * 1e6
    } else if v < 1e14 {
        v * 1e3
    } else if v < 1e17 {
        v
    } else {
        v / 1e3
    };
    if us >= 9.2e18 {
        return None;
    }
    Some(us.round() as Micros)
}

/// Parses a whole string (surrounding whitespace ignored) as a timestamp: any textual grammar
/// or an epoch number. Returns `None` if anything is left over.
pub fn parse(s: &[u8], o: &TimeOptions) -> Option<Stamp> {
    let s = s.trim_ascii();
    match utc_with_seconds(s) {
        Some(st) => Some(st),
        None => parse_trimmed(s, o),
    }
}

/// [`parse`] of a whole stamp `YYYY-MM-DDTHH:MM:SS[.frac]Z` (or with `/`, a space or `t`
/// between date and time) that is a valid time: the JSON-lines logs' shape, read without
/// going through [`timestamp`]'s results (issue 9). `None` for anything else, which
/// [`parse_trimmed`] reads; where this answers, the answer is its.
fn utc_with_seconds(s: &[u8]) -> Option<Stamp> {
    let (z, stamp) = s.split_last()?;
    if *z != b'Z' {
        return None;
    }
    let (head, frac) = (stamp.get(..19)?, stamp.get(19..)?);
    let [year, month, day, hour, minute, second] = fixed_fields(head)?;
    // Nothing, or `.` or `,` and one digit or more, up to the `Z`.
    let micros = match frac {
        [] => 0,
        [b'.' | b',', digits @ ..] if !digits.is_empty() && digits.iter().all(|&c| is_digit(c)) => {
            let mut us = 0;
            for k in 0..6 {
                us = us * 10 + digits.get(k).map_or(0, |&c| u32::from(c - b'0'));
            }
            us
        }
        _ => return None,
    };
    let c = Civil { year: i64::from(year), month, day, hour, minute, second, micros };
    let micros = c.to_micros(0)?;
    Some(Stamp { micros, zone: ZoneKind::Explicit })
}

/// [`parse`] of a trimmed stamp, for every shape.
fn parse_trimmed(s: &[u8], o: &TimeOptions) -> Option<Stamp> {
    if s.is_empty() {
        return None;
    }
    if let Ok((rest, st)) = timestamp(s, o) {
        if rest.is_empty() {
            return Some(st);
        }
        return recover_garbled(s).map(|micros| Stamp { micros, zone: ZoneKind::Recovered });
    }
    parse_epoch(s)
        .map(|micros| Stamp { micros, zone: ZoneKind::Explicit })
        .or_else(|| recover_garbled(s).map(|micros| Stamp { micros, zone: ZoneKind::Recovered }))
}

/// Recovers the time from a stamp written with `%M%s` instead of `%M:%S`, as in the seed's
/// Flask log: `2019-01-29T15:561548777410` is `YYYY-MM-DDTHH:MM` followed by the epoch seconds
/// `1548777410` (2019-01-29T15:56:50Z). The epoch is taken only when it agrees with the text
/// around it: the same minute, and a date within a day of the written one (the hour may be in
/// another zone). A fraction after the epoch is kept.
pub fn recover_garbled(s: &[u8]) -> Option<Micros> {
    let (head, tail) = (s.get(..16)?, s.get(16..)?);
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let b = head.get(r)?;
        b.iter()
            .all(u8::is_ascii_digit)
            .then(|| b.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0')))
    };
    let shape =
        head[4] == b'-' && head[7] == b'-' && matches!(head[10], b'T' | b' ') && head[13] == b':';
    let (y, mo, d, minute) = (digits(0..4)?, digits(5..7)?, digits(8..10)?, digits(14..16)?);
    let epoch_len = tail.iter().take_while(|c| c.is_ascii_digit()).count();
    if !shape || epoch_len != 10 || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let micros = parse_epoch(tail)?;
    let secs = micros.div_euclid(1_000_000);
    let written_day = days_from_civil(i64::from(y), mo, d);
    let epoch_day = secs.div_euclid(86_400);
    let epoch_minute = secs.div_euclid(60).rem_euclid(60);
    ((epoch_day - written_day).abs() <= 1 && epoch_minute == i64::from(minute)).then_some(micros)
}

/// Reads an epoch number written in decimal (`1764085160`, `1764085160.139`,
/// `1764085160139123456`) exactly, with the unit chosen by magnitude as in [`from_epoch`].
pub fn parse_epoch(s: &[u8]) -> Option<Micros> {
    let (int, frac) = match memchr::memchr(b'.', s) {
        Some(k) => (&s[..k], &s[k + 1..]),
        None => (s, &s[s.len()..]),
    };
    if int.is_empty() || int.len() > 19 || !int.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    let v: u64 = std::str::from_utf8(int).ok()?.parse().ok()?;
    // (multiplier to micros, divisor to micros) and the number of fraction digits that matter.
    let (mul, div, frac_digits) = if v < 100_000_000_000 {
        (1_000_000u64, 1u64, 6usize)
    } else if v < 100_000_000_000_000 {
        (1_000, 1, 3)
    } else if v < 100_000_000_000_000_000 {
        (1, 1, 0)
    } else {
        (1, 1_000, 0)
    };
    let mut us = v.checked_mul(mul)? / div;
    let mut f = 0u64;
    for k in 0..frac_digits {
        f = f * 10 + frac.get(k).map_or(0, |&c| u64::from(c - b'0'));
    }
    us = us.checked_add(f)?;
    Micros::try_from(us).ok()
}

/// Parses an offset given by a user (`--tz`): `UTC`, `Z`, `+02:00`, `-0530`, `+2`, or a known
/// abbreviation such as `CET`. Returns seconds east of UTC.
pub fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    if let Some(off) = zone_abbreviation(s.as_bytes()) {
        return Some(off);
    }
    if let Ok((rest, off)) = numeric_offset(s.as_bytes()) {
        if rest.is_empty() {
            return Some(off);
        }
    }
    // `+2` or `-5`: whole hours with one digit.
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let h: i32 = digits.parse().ok()?;
    // `then`, not `then_some`: the product of a huge `h` overflows (issue 8, found by fuzzing).
    (0..=14).contains(&h).then(|| sign * h * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Option<String> {
        parse(s.as_bytes(), &TimeOptions::default()).map(|st| format_rfc3339_micros(st.micros))
    }

    #[test]
    fn civil_round_trip() {
        for days in [-719_468_i64, -1, 0, 1, 10_957, 20_417, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn grammars() {
        let cases: &[(&str, Option<&str>)] = &[
            ("2026-11-25T15:39:20.139Z", Some("2026-11-25T15:39:20.139000Z")),
            ("2026-11-25T15:42:12.064399Z", Some("2026-11-25T15:42:12.064399Z")),
            ("2026-11-25T16:39:20.139+01:00", Some("2026-11-25T15:39:20.139000Z")),
            ("2026-11-25T10:39:20-0500", Some("2026-11-25T15:39:20.000000Z")),
            ("2026-11-25T17:39:20+02", Some("2026-11-25T15:39:20.000000Z")),
            ("2026-11-25 15:42:07.355 UTC", Some("2026-11-25T15:42:07.355000Z")),
            ("2026-11-25 15:42:07 UTC", Some("2026-11-25T15:42:07.000000Z")),
            ("2026-11-25 16:42:07 CET", Some("2026-11-25T15:42:07.000000Z")),
            ("2026-07-25 17:42:07 CEST", Some("2026-07-25T15:42:07.000000Z")),
            ("2026-11-25 10:42:07.5 EST", Some("2026-11-25T15:42:07.500000Z")),
            ("2026-11-25 18:42:07 +03", Some("2026-11-25T15:42:07.000000Z")),
            ("2026-11-25 15:42:08 +0000", Some("2026-11-25T15:42:08.000000Z")),
            ("2019-01-29 15:56:50,123", Some("2019-01-29T15:56:50.123000Z")),
            ("2026/11/25 15:42:08", Some("2026-11-25T15:42:08.000000Z")),
            ("25/Nov/2026 15:40:52", Some("2026-11-25T15:40:52.000000Z")),
            ("25/Nov/2026:16:40:52 +0100", Some("2026-11-25T15:40:52.000000Z")),
            ("Wed Nov 25 15:42:08 2026", Some("2026-11-25T15:42:08.000000Z")),
            ("Wed Nov  5 15:42:08 2026", Some("2026-11-05T15:42:08.000000Z")),
            ("1764085160", Some("2025-11-25T15:39:20.000000Z")),
            ("1764085160.5", Some("2025-11-25T15:39:20.500000Z")),
            ("1764085160139", Some("2025-11-25T15:39:20.139000Z")),
            ("1764085160139123", Some("2025-11-25T15:39:20.139123Z")),
            ("1764085160139123456", Some("2025-11-25T15:39:20.139123Z")),
            ("2024-02-29T00:00:00Z", Some("2024-02-29T00:00:00.000000Z")),
            // Invalid dates and garbage are refused, never panic.
            ("2023-02-29T00:00:00Z", None),
            ("2026-13-01T00:00:00Z", None),
            ("2026-11-25T25:00:00Z", None),
            // The seed's `%M%s` bug: the epoch seconds are in it, and agree with the minute.
            ("2019-01-29T15:561548777410", Some("2019-01-29T15:56:50.000000Z")),
            ("2019-01-29T15:561548777410.25", Some("2019-01-29T15:56:50.250000Z")),
            // An epoch that disagrees with the written minute or date is not taken.
            ("2019-01-29T15:571548777410", None),
            ("2019-03-29T15:561548777410", None),
            ("", None),
            ("hello", None),
            ("2026-11-25", None),
            ("-5", None),
            ("1.2.3", None),
        ];
        for (input, want) in cases {
            assert_eq!(utc(input).as_deref(), *want, "input {input:?}");
        }
    }

    #[test]
    fn zone_kind_and_default_offset() {
        let o = TimeOptions { default_offset_secs: 3600 };
        let s = parse(b"2026-11-25 16:42:07", &o).unwrap();
        assert_eq!(s.zone, ZoneKind::Assumed);
        assert_eq!(format_rfc3339(s.micros), "2026-11-25T15:42:07.000Z");
        let s = parse(b"2026-11-25 16:42:07 XYZT", &o).unwrap();
        assert_eq!(s.zone, ZoneKind::Assumed, "unknown abbreviation falls back to the default");
        let s = parse(b"2026-11-25T16:42:07Z", &o).unwrap();
        assert_eq!(s.zone, ZoneKind::Explicit);
    }

    #[test]
    fn zone_abbreviations_other_than_utc_are_marked() {
        let o = TimeOptions { default_offset_secs: 7200 };
        let cases: &[(&str, ZoneKind, &str)] = &[
            ("2026-11-25 16:42:07 CET", ZoneKind::Abbreviation, "2026-11-25T15:42:07.000Z"),
            ("2026-11-25 09:42:07 CST", ZoneKind::Abbreviation, "2026-11-25T15:42:07.000Z"),
            ("2026-11-25 15:42:07 WET", ZoneKind::Abbreviation, "2026-11-25T15:42:07.000Z"),
            ("2026-11-25 15:42:07 UTC", ZoneKind::Explicit, "2026-11-25T15:42:07.000Z"),
            ("2026-11-25 15:42:07 GMT", ZoneKind::Explicit, "2026-11-25T15:42:07.000Z"),
            ("2026-11-25 15:42:07 UT", ZoneKind::Explicit, "2026-11-25T15:42:07.000Z"),
            ("2026-11-25 15:42:07 UCT", ZoneKind::Explicit, "2026-11-25T15:42:07.000Z"),
            ("2026-11-25T15:42:07Z", ZoneKind::Explicit, "2026-11-25T15:42:07.000Z"),
            ("2026-11-25 16:42:07 +0100", ZoneKind::Explicit, "2026-11-25T15:42:07.000Z"),
            ("2026-11-25 17:42:07", ZoneKind::Assumed, "2026-11-25T15:42:07.000Z"),
        ];
        for (input, kind, want) in cases {
            let s = parse(input.as_bytes(), &o).unwrap_or_else(|| panic!("{input} parses"));
            assert_eq!((s.zone, format_rfc3339(s.micros).as_str()), (*kind, *want), "{input}");
        }
        let note = |k| Stamp { micros: 0, zone: k }.caveat();
        assert_eq!(note(ZoneKind::Abbreviation), Some(crate::Note::ZoneAbbreviation));
        assert_eq!(note(ZoneKind::Explicit), None);
        assert_eq!(note(ZoneKind::Assumed), Some(crate::Note::ZoneAssumed));
        assert_eq!(note(ZoneKind::Recovered), Some(crate::Note::TimestampRecovered));
    }

    #[test]
    fn leading_timestamp_leaves_the_rest() {
        let o = TimeOptions::default();
        let (rest, st) = timestamp(b"2026-11-25 15:42:07.355 UTC [29780] LOG:  x", &o).unwrap();
        assert_eq!(rest, b" [29780] LOG:  x");
        assert_eq!(format_rfc3339(st.micros), "2026-11-25T15:42:07.355Z");
        // A word after the clock that is not a zone is left alone.
        let (rest, st) = timestamp(b"2026-11-25 15:42:07 something", &o).unwrap();
        assert_eq!(rest, b" something");
        assert_eq!(st.zone, ZoneKind::Assumed);
        let (rest, _) = timestamp(b"2026-11-25 15:42:07 LOG:  x", &o).unwrap();
        assert_eq!(rest, b" LOG:  x", "a severity is not a zone abbreviation");
    }

    #[test]
    fn user_offsets() {
        assert_eq!(parse_offset("UTC"), Some(0));
        assert_eq!(parse_offset("+02:00"), Some(7200));
        assert_eq!(parse_offset("-0530"), Some(-19_800));
        assert_eq!(parse_offset("+2"), Some(7200));
        assert_eq!(parse_offset("CET"), Some(3600));
        assert_eq!(parse_offset("Mars/Olympus"), None);
        assert_eq!(parse_offset("+99"), None);
    }

    #[test]
    fn issue_8_parse_offset_huge_hours_do_not_overflow() {
        // cargo-fuzz `timestamps`: the hours were multiplied before the range check.
        assert_eq!(parse_offset("-00516013918"), None);
        assert_eq!(parse_offset("+2147483647"), None);
        assert_eq!(parse_offset("-14"), Some(-14 * 3600));
    }

    #[test]
    fn formats_negative_and_fractional_times() {
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(format_rfc3339_micros(1_500_001), "1970-01-01T00:00:01.500001Z");
    }

    #[test]
    fn digits_is_take_while_m_n() {
        // Every input of up to 5 bytes over `0`, `9`, `a`, `-`, for widths 1 to 4.
        let mut inputs = vec![Vec::new()];
        for len in 1..=5u32 {
            for n in 0..4usize.pow(len) {
                inputs.push((0..len).map(|k| b"09a-"[n / 4usize.pow(k) % 4]).collect::<Vec<u8>>());
            }
        }
        for i in &inputs {
            for n in 1..=4 {
                let want = take_while_m_n::<_, _, nom::error::Error<&[u8]>>(n, n, is_digit)
                    .map(num)
                    .parse(i.as_slice());
                assert_eq!(digits(n)(i).ok(), want.ok(), "{n} digits of {:?}", i.escape_ascii());
            }
        }
    }

    /// `iso`'s fixed-place reading of `YYYY-MM-DD HH:MM:SS...` gives what nom gives, on
    /// stamps of every shape around it: each place a digit, a separator or something else,
    /// fractions of any length, every zone form, cut anywhere, with trailing text.
    mod iso_fast_path {
        use super::*;
        use proptest::prelude::*;
        use proptest::sample::select;

        fn piece() -> impl Strategy<Value = &'static str> {
            select(
                &[
                    "2026", "1969", "0000", "9999", "-", "/", "11", "02", "29", "30", "31", "00",
                    "13", "T", "t", " ", "15", "23", "24", ":", "42", "59", "60", "61", "07", ".",
                    ",", "355", "064971", "1234567", "5", "Z", "Za", "z", "+01:00", "-0530", "+01",
                    " +0100", " UTC", " CET", " LOG:", " XYZ", "x", "", "1",
                ][..],
            )
        }

        fn stamp() -> impl Strategy<Value = Vec<u8>> {
            let shaped = (
                select(&["2026", "2024", "1900", "2000", "0001", "20x6"][..]),
                select(&["-", "/", "-", "."][..]),
                select(&["11", "02", "13", "00", "1x"][..]),
                select(&["25", "29", "30", "31", "00", "3"][..]),
                select(&["T", " ", "t", "_"][..]),
                select(&["15", "00", "23", "24", "2"][..]),
                select(&[":42", ":00", ":59", ":60", "42"][..]),
                select(&[":07", ":00", ":60", ":61", ":0", "", ":x7"][..]),
                select(&["", "", ".355", ",123", ".064971", ".1234567", ".", ",x", ".5"][..]),
                select(
                    &["", "Z", "Zulu", "+01:00", "-0530", " +0100", " UTC", " CET", " LOG:"][..],
                ),
                select(&["", "", " rest", "x", "0"][..]),
            )
                .prop_map(|t| {
                    let (y, a, m, d, t_, h, mi, s, f, z, r) = t;
                    let sep2 = if a == "." { "-" } else { a };
                    format!("{y}{a}{m}{sep2}{d}{t_}{h}{mi}{s}{f}{z}{r}").into_bytes()
                });
            let pieces =
                prop::collection::vec(piece(), 0..14).prop_map(|v| v.concat().into_bytes());
            (prop_oneof![3 => shaped, 1 => pieces], any::<prop::sample::Index>(), any::<bool>())
                .prop_map(|(mut b, at, cut)| {
                    if cut && !b.is_empty() {
                        b.truncate(at.index(b.len()));
                    }
                    b
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: ProptestConfig::default().cases.max(4096),
                failure_persistence: None,
                ..ProptestConfig::default()
            })]

            #[test]
            fn same_as_nom(s in stamp(), offset in -50_400i32..50_400) {
                let o = TimeOptions { default_offset_secs: offset };
                prop_assert_eq!(iso(&s, &o), iso_nom(&s, &o), "{:?}", s.escape_ascii().to_string());
            }

            #[test]
            fn whole_utc_stamps_as_parse_reads_them(s in stamp(), offset in -50_400i32..50_400) {
                let o = TimeOptions { default_offset_secs: offset };
                let s = s.trim_ascii();
                if let Some(st) = utc_with_seconds(s) {
                    let text = s.escape_ascii().to_string();
                    prop_assert_eq!(Some(st), parse_trimmed(s, &o), "{:?}", text);
                }
            }
        }

        #[test]
        fn takes_the_common_stamps() {
            let o = TimeOptions::default();
            for s in [
                "2026-11-25T15:40:52.856031Z",
                "2026-11-25 15:42:07.355 UTC",
                "2019-01-29 15:56:50,123",
            ] {
                assert!(iso_with_seconds(s.as_bytes(), &o).is_some_and(|r| r.is_ok()), "{s}");
            }
            for s in
                ["2026-11-25T15:40:52.856031Z", "2026-11-25T15:40:52Z", "2024-02-29 00:00:00,5Z"]
            {
                assert!(utc_with_seconds(s.as_bytes()).is_some(), "{s}");
            }
            for s in ["2026-11-25T15:40:52.Z", "2026-02-30T15:40:52Z", "2026-11-25T15:40:52+00:00"]
            {
                assert!(utc_with_seconds(s.as_bytes()).is_none(), "{s}");
            }
        }
    }
}
