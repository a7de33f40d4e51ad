//! Small byte-level helpers shared by the parsers: line splitting, trimming, ANSI stripping.

use std::borrow::Cow;

/// Iterates over the lines of `bytes`, without `\n` or `\r\n`; a last unterminated line counts.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        Some(trim_cr(line))
    })
}

/// Removes one trailing `\r`.
pub fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// True when the line holds only ASCII whitespace.
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Trims ASCII whitespace at both ends.
pub fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// Text for a field we keep: UTF-8 as is, anything else with U+FFFD replacements.
///
/// `str::from_utf8` first: it checks ASCII a word at a time, where `String::from_utf8_lossy`
/// walks its `Utf8Chunks` a byte at a time (7% of the hammer CSV parser's time); the lossy
/// pass runs only on text that is not UTF-8, and gives the same result.
pub fn lossy(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// True when the bytes contain an ESC (0x1b), i.e. possibly an ANSI escape sequence.
pub fn has_escape(b: &[u8]) -> bool {
    memchr::memchr(0x1b, b).is_some()
}

/// Removes ANSI escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ST`, and two-byte
/// `ESC x`). Terminal colour codes wrap werkzeug's request lines, for example.
pub fn strip_ansi(b: &[u8]) -> Cow<'_, [u8]> {
    if !has_escape(b) {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != 0x1b {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'[') => {
                // CSI: parameters and intermediates 0x20..=0x3f, then one final byte 0x40..=0x7e.
                let mut j = i + 2;
                while j < b.len() && (0x20..=0x3f).contains(&b[j]) {
                    j += 1;
                }
                i = (j + 1).min(b.len());
            }
            Some(b']') => {
                // OSC: up to BEL or ESC \.
                let mut j = i + 2;
                while j < b.len() {
                    if b[j] == 0x07 {
                        j += 1;
                        break;
                    }
                    if b[j] == 0x1b && b.get(j + 1) == Some(&b'\\') {
                        j += 2;
                        break;
                    }
                    j += 1;
                }
                i = j;
            }
            Some(_) => i += 2,
            None => i += 1,
        }
    }
    Cow::Owned(out)
}

/// Removes ANSI escape sequences and control characters other than tab and newline (C0 and
/// DEL), so that log text kept in a record can never drive a terminal.
pub fn clean(b: &[u8]) -> Cow<'_, [u8]> {
    fn dropped(c: u8) -> bool {
        (c < 0x20 && c != b'\t' && c != b'\n') || c == 0x7f
    }
    let s = strip_ansi(b);
    // Branch-free within each chunk, so the compiler vectorises the test; `any` over the bytes
    // stops at each one (a tenth of the console parser's time, which cleans every line).
    if !s.chunks(64).any(|c| c.iter().fold(false, |seen, &x| seen | dropped(x))) {
        return s;
    }
    Cow::Owned(s.iter().copied().filter(|&c| !dropped(c)).collect())
}

/// A non-negative decimal integer of 1 to 19 digits (`"59575"`), else `None`.
pub fn unsigned(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// A finite decimal number (`"12.5"`, `"-3"`, `"1e3"`), else `None`.
pub fn decimal(v: &[u8]) -> Option<f64> {
    std::str::from_utf8(v).ok()?.parse::<f64>().ok().filter(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_with_crlf_and_unterminated_tail() {
        let v: Vec<&[u8]> = lines(b"a\r\nb\n\nc").collect();
        assert_eq!(v, vec![&b"a"[..], b"b", b"", b"c"]);
        assert_eq!(lines(b"").count(), 0);
        assert_eq!(lines(b"\n").count(), 1);
    }

    #[test]
    fn strips_ansi_sequences() {
        let s = b"\x1b[31m\x1b[1mWARNING: dev server\x1b[0m";
        assert_eq!(&*strip_ansi(s), b"WARNING: dev server");
        assert_eq!(&*strip_ansi(b"\x1b]0;title\x07text"), b"text");
        assert_eq!(&*strip_ansi(b"plain"), b"plain");
        assert_eq!(&*strip_ansi(b"cut\x1b["), b"cut");
    }

    #[test]
    fn clean_keeps_text_tabs_and_newlines_only() {
        assert_eq!(&*clean(b"\x1b[1mbold\x1b[0m\x07\x7f a\tb\nc\r"), b"bold a\tb\nc");
        assert!(matches!(clean(b"plain"), Cow::Borrowed(_)));
    }
}
