//! The fast path of [`super::Parser`]: a byte-level scan of one top-level JSON object into
//! its `(key, raw value)` pairs, without building any value (issue 9).
//!
//! It gives exactly what `serde_json::from_slice::<Pairs>` gives, or nothing: the scan
//! accepts a subset of what serde_json accepts, and for that subset the same pairs in the
//! same order (duplicate keys included), each value the same raw text (from its first byte
//! to its last, no whitespace around it). Whatever it does not accept goes to serde_json,
//! which decides the record or the skip reason as it always did. What it accepts:
//!
//! - a line that is valid UTF-8 (anything else takes serde_json's lossy path);
//! - `{`, pairs, `}`, with JSON whitespace (space, tab, CR, LF) around any token;
//! - keys without a backslash (serde_json unescapes those into an owned key);
//! - values: strings (escapes `\" \\ \/ \b \f \n \r \t \uXXXX`, no control character, as
//!   serde_json's `ignore_str` checks them), numbers in JSON's grammar (serde_json's
//!   `ignore_number`), `true`, `false`, `null`, and arrays and objects of these nested up to
//!   [`MAX_DEPTH`] deep.
//!
//! Anything else — a missing or extra comma, a bad literal or number, a truncated line,
//! trailing bytes, deeper nesting — returns `None`. The proptests in `super::tests`
//! (`fast_path`) check the two paths against each other on generated and corrupted lines,
//! and the `json_log` fuzz target does on whatever it finds.
//!
//! Strings are scanned eight bytes at a time (SWAR, as serde_json's `skip_to_escape`): on the
//! benchmark's structlog lines the scan runs at about 2.3 GB/s, and the whole parser went from
//! about 450 to about 1000 MB/s.

use super::load_le;

/// A key and the raw text of its value. The scan takes no key with an escape, so a key is
/// always a slice of the line.
pub(super) type Pair<'a> = (&'a [u8], &'a str);

/// Nesting the scan follows inside a value; deeper values are left to serde_json, whose
/// `ignore_value` has no limit.
pub(super) const MAX_DEPTH: u32 = 64;

/// [`string_end`]'s flag for a string with an escape.
const ESCAPED: u8 = 1;
/// [`string_end`]'s flag for a string with a DEL.
const DEL: u8 = 2;

/// What the scan of one line says besides its pairs.
pub(super) struct Scanned {
    /// No top-level string value holds a backslash or a DEL: each is the text between its
    /// quotes and needs no unescaping and no cleaning (JSON has no raw control character).
    pub(super) plain: bool,
}

/// The pairs of the JSON object that is the whole of `line`, pushed onto `out` (which the
/// caller clears); `None` when the line is not one the scan accepts (see the module
/// documentation), with `out` then in an unspecified state.
pub(super) fn object<'a>(line: &'a [u8], out: &mut Vec<Pair<'a>>) -> Option<Scanned> {
    let s = std::str::from_utf8(line).ok()?;
    object_str(s, out)
}

fn object_str<'a>(s: &'a str, out: &mut Vec<Pair<'a>>) -> Option<Scanned> {
    let b = s.as_bytes();
    let mut plain = true;
    let mut i = ws(b, 0);
    if *b.get(i)? != b'{' {
        return None;
    }
    i = ws(b, i + 1);
    if *b.get(i)? == b'}' {
        i += 1;
    } else {
        loop {
            if *b.get(i)? != b'"' {
                return None;
            }
            let (end, flags) = string_end(b, i + 1)?;
            if flags & ESCAPED != 0 {
                return None;
            }
            // Every index the scan slices at follows or is an ASCII byte (a quote, a digit, a
            // bracket...): a char boundary, so slicing the `str` cannot panic.
            let key = &b[i + 1..end];
            i = ws(b, end + 1);
            if *b.get(i)? != b':' {
                return None;
            }
            i = ws(b, i + 1);
            let start = i;
            // Most values are strings: no call to `value` for them.
            i = match *b.get(i)? {
                b'"' => {
                    let (end, flags) = string_end(b, i + 1)?;
                    plain &= flags == 0;
                    end + 1
                }
                _ => value(b, i, 0)?,
            };
            out.push((key, &s[start..i]));
            i = ws(b, i);
            match *b.get(i)? {
                b',' => i = ws(b, i + 1),
                b'}' => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    (ws(b, i) == b.len()).then_some(Scanned { plain })
}

/// The index of the first byte from `i` on that is not JSON whitespace.
#[inline]
fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\r' | b'\n') = b.get(i) {
        i += 1;
    }
    i
}

/// The index of the quote that closes the string whose text starts at `i`, and whether the
/// text holds an escape ([`ESCAPED`]) or a DEL ([`DEL`]); `None` for a control character, a
/// bad escape or no closing quote.
#[inline(always)]
fn string_end(b: &[u8], mut i: usize) -> Option<(usize, u8)> {
    let mut flags = 0;
    loop {
        // Eight bytes at a time to the first quote, backslash, control character or byte from
        // DEL up, as serde_json's `skip_to_escape` does; the last few bytes of the line in one
        // zero-padded word (a zero byte is a control character: past the line, nothing ends).
        loop {
            let Some(chunk) = b.get(i..i + 8) else {
                let rest = b.get(i..)?;
                let at = special(load_le(rest)).trailing_zeros() as usize / 8;
                if at >= rest.len() {
                    return None;
                }
                i += at;
                break;
            };
            let Ok(word) = <[u8; 8]>::try_from(chunk) else { return None };
            let found = special(u64::from_le_bytes(word));
            if found != 0 {
                i += found.trailing_zeros() as usize / 8;
                break;
            }
            i += 8;
        }
        match *b.get(i)? {
            b'"' => return Some((i, flags)),
            b'\\' => {
                flags |= ESCAPED;
                match *b.get(i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        let hex = b.get(i + 2..i + 6)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        i += 6;
                    }
                    _ => return None,
                }
            }
            0..0x20 => return None,
            0x7f => {
                flags |= DEL;
                i += 1;
            }
            // Non-ASCII text, a byte at a time.
            _ => i += 1,
        }
    }
}

/// The high bit of each byte of `w` that is a quote, a backslash, below 0x20 or from 0x7f up
/// (DEL, and the bytes of non-ASCII text, which the caller then takes one at a time), and
/// maybe of bytes above a quote, backslash or control character (a borrow runs upward):
/// exact for the lowest one.
#[inline]
fn special(w: u64) -> u64 {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    let quote = zero(w ^ (ONES * u64::from(b'"')));
    let backslash = zero(w ^ (ONES * u64::from(b'\\')));
    // No carry between bytes: 0x7f + 1 is the largest sum.
    let del_up = ((w & (ONES * 0x7f)) + ONES) | w;
    (control | quote | backslash | del_up) & HIGH
}

/// The index just past the JSON value that starts at `i`, nested `depth` deep.
fn value(b: &[u8], i: usize, depth: u32) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i + 1).map(|(end, _)| end + 1),
        b'-' | b'0'..=b'9' => number(b, i),
        b't' => literal(b, i, b"true"),
        b'f' => literal(b, i, b"false"),
        b'n' => literal(b, i, b"null"),
        b'[' if depth < MAX_DEPTH => {
            let mut i = ws(b, i + 1);
            if *b.get(i)? == b']' {
                return Some(i + 1);
            }
            loop {
                i = ws(b, value(b, i, depth + 1)?);
                match *b.get(i)? {
                    b',' => i = ws(b, i + 1),
                    b']' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        b'{' if depth < MAX_DEPTH => {
            let mut i = ws(b, i + 1);
            if *b.get(i)? == b'}' {
                return Some(i + 1);
            }
            loop {
                if *b.get(i)? != b'"' {
                    return None;
                }
                let (end, _) = string_end(b, i + 1)?;
                i = ws(b, end + 1);
                if *b.get(i)? != b':' {
                    return None;
                }
                i = ws(b, value(b, ws(b, i + 1), depth + 1)?);
                match *b.get(i)? {
                    b',' => i = ws(b, i + 1),
                    b'}' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        _ => None,
    }
}

/// `word` at `i`, and the index past it.
#[inline]
fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    b.get(i..)?.starts_with(word).then_some(i + word.len())
}

/// The index past the JSON number at `i`: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
/// A digit right after a leading `0` is refused, as serde_json refuses it.
fn number(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match *b.get(i)? {
        b'0' => {
            i += 1;
            if b.get(i).is_some_and(u8::is_ascii_digit) {
                return None;
            }
        }
        b'1'..=b'9' => i = digits(b, i + 1),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let end = digits(b, i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let end = digits(b, i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(i)
}

/// The index of the first byte from `i` on that is not an ASCII digit.
#[inline]
fn digits(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}
