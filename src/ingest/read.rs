//! Opening inputs: files or stdin, decompressed transparently with a size cap, read line by line.
//!
//! Compression is recognised from the first bytes (gzip magic `1f 8b`), never from the file
//! name. Decompressed output is capped ([`CapReader`], `--max-decompressed`) so a gzip bomb
//! stops with a clear error instead of filling memory or disk. Errors say what they mean for
//! the input: `cannot open`, `cannot read`, `truncated gzip data`, `corrupt gzip data`. Lines
//! are split with memchr over a reusable buffer; a line longer than the limit is dropped
//! (reported as `line_too_long`) after holding only the limit, so a reader's memory is bounded
//! by the limit plus one block whatever the input. NUL padding at the start of an input can be
//! dropped before sniffing ([`LineReader::skip_leading_nul`]).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

/// How an input was compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain bytes.
    None,
    /// gzip (one or more members).
    Gzip,
}

impl Compression {
    /// Name for reports; `None` for plain input.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Compression::None => None,
            Compression::Gzip => Some("gzip"),
        }
    }
}

/// A reader that fails once more than `limit` bytes have been read through it.
pub struct CapReader<R> {
    inner: R,
    limit: u64,
    read: u64,
}

impl<R: Read> CapReader<R> {
    /// Caps `inner` at `limit` bytes.
    pub fn new(inner: R, limit: u64) -> CapReader<R> {
        CapReader { inner, limit, read: 0 }
    }
}

impl<R: Read> Read for CapReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(io::Error::other(format!(
                "gzip data decompresses to more than {}, the --max-decompressed limit (a gzip \
                 bomb?); the rest of this input was not read (raise the limit with \
                 --max-decompressed SIZE)",
                show_size(self.limit)
            )));
        }
        Ok(n)
    }
}

/// `n` bytes in the largest binary unit that divides it: `4 GiB`, `1536 KiB`, `1000 bytes`.
pub fn show_size(n: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if n > 0 && n % (1 << shift) == 0 {
            return format!("{} {unit}", n >> shift);
        }
    }
    format!("{n} bytes")
}

/// A reader whose errors are explained by a function.
struct Explain<R>(R, fn(io::Error) -> io::Error);

impl<R: Read> Read for Explain<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(self.1)
    }
}

/// An error of the file itself (EIO, a file on a vanished network mount...).
fn file_error(e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot read: {e}"))
}

/// What a gzip decoder's error means for the input: cut short, or corrupt. Errors of the file
/// under it pass through (already explained by [`file_error`]).
fn gzip_error(e: io::Error) -> io::Error {
    let what = match e.kind() {
        io::ErrorKind::UnexpectedEof => {
            "truncated gzip data: the file ends inside the compressed stream (cut short, or \
             still being written?)"
        }
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => "corrupt gzip data",
        _ => return e,
    };
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// Opens a file (or stdin for `None`), recognising compression from its first bytes.
pub fn open(
    path: Option<&Path>,
    max_decompressed: u64,
) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let raw: Box<dyn Read + Send> = match path {
        Some(p) => Box::new(Explain(
            File::open(p).map_err(|e| io::Error::new(e.kind(), format!("cannot open: {e}")))?,
            file_error,
        )),
        None => Box::new(Explain(io::stdin(), file_error)),
    };
    decode(raw, max_decompressed)
}

/// Recognises compression from the first bytes of `raw` and decompresses it, capped at
/// `max_decompressed` bytes; plain bytes pass through.
pub fn decode(
    mut raw: Box<dyn Read + Send>,
    max_decompressed: u64,
) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    // The magic is read to its full length, or to the end: a pipe may hand out fewer bytes per
    // read, and a read may be interrupted (issue 8).
    let mut magic = [0u8; 6];
    let mut n = 0;
    while n < magic.len() {
        match raw.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let head = io::Cursor::new(magic).take(n as u64);
    let br = BufReader::with_capacity(64 << 10, head.chain(raw));
    match &magic[..n] {
        [0x1f, 0x8b, ..] => {
            let dec = Explain(MultiGzDecoder::new(br), gzip_error);
            Ok((Box::new(CapReader::new(dec, max_decompressed)), Compression::Gzip))
        }
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Err(io::Error::other(
            "zstd-compressed input is not supported yet; decompress it first (zstd -d)",
        )),
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Err(io::Error::other(
            "xz-compressed input is not supported yet; decompress it first (xz -d)",
        )),
        [b'B', b'Z', b'h', ..] => Err(io::Error::other(
            "bzip2-compressed input is not supported yet; decompress it first (bzip2 -d)",
        )),
        _ => Ok((Box::new(br), Compression::None)),
    }
}

/// One line handed out by [`LineReader`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// The line's bytes without `\n` / `\r\n`.
    Text(&'a [u8]),
    /// A line longer than the limit; its bytes were dropped.
    TooLong,
}

/// A run of whole lines handed out by [`LineReader::next_lines`].
#[derive(Debug, PartialEq, Eq)]
pub enum Lines<'a> {
    /// One or more lines, each ending in `\n` but the input's last; a line among them longer
    /// than the limit is the caller's to drop (see [`LineReader::max_line`]).
    Text(&'a [u8]),
    /// A line longer than the limit that did not fit the buffer; its bytes were dropped.
    TooLong,
}

/// Calls `f` with each line of `text` (whole lines as [`LineReader::next_lines`] hands them
/// out, one run or several after each other) that starts at or after `from`: its span without
/// `\n` / `\r\n`, or `None` for a line longer than `max_line` (counting a `\r` before the
/// `\n`, as [`LineReader::next_line`] does).
pub fn for_each_line(
    text: &[u8],
    from: usize,
    max_line: usize,
    mut f: impl FnMut(Option<(usize, usize)>),
) {
    let mut start = from;
    for nl in memchr::memchr_iter(b'\n', &text[from..]) {
        f(line_span(text, start, from + nl, max_line));
        start = from + nl + 1;
    }
    if start < text.len() {
        f(line_span(text, start, text.len(), max_line));
    }
}

/// The line of `text` from `start` to `end` (its `\n`, or the end of the input): its span
/// without a `\r` before the `\n`, or `None` when it holds more than `max_line` bytes (the
/// `\r` counted), however the reads cut it (issue 8).
fn line_span(text: &[u8], start: usize, end: usize, max_line: usize) -> Option<(usize, usize)> {
    (end - start <= max_line)
        .then(|| (start, end - usize::from(end > start && text[end - 1] == b'\r')))
}

/// Splits a byte stream into lines over one reusable buffer.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    /// Bytes before this index (and after `pos`) are known to hold no newline, so a long line
    /// arriving in small reads is scanned once, not once per read.
    scanned: usize,
    eof: bool,
    max_line: usize,
    /// Bytes read from `inner` so far.
    pub bytes: u64,
}

const BLOCK: usize = 256 << 10;
/// The buffer a reader starts with: most inputs of a folder of many small files fit in it, and
/// zeroing a whole [`BLOCK`] per file cost more than reading it. It grows to a `BLOCK` and more
/// on the first refill that finds it full.
const FIRST_BLOCK: usize = 16 << 10;

impl<R: Read> LineReader<R> {
    /// Reads `inner`, refusing to hold lines longer than `max_line` bytes.
    pub fn new(inner: R, max_line: usize) -> LineReader<R> {
        LineReader {
            inner,
            buf: vec![0; FIRST_BLOCK],
            pos: 0,
            len: 0,
            scanned: 0,
            eof: false,
            max_line,
            bytes: 0,
        }
    }

    /// Reads more bytes after the unconsumed ones; returns how many were read.
    fn fill(&mut self) -> io::Result<usize> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.len, 0);
            self.len -= self.pos;
            self.scanned = self.scanned.saturating_sub(self.pos);
            self.pos = 0;
        }
        if self.len == self.buf.len() {
            let grown = (self.buf.len() * 2).min(self.max_line + BLOCK).max(self.len + BLOCK);
            self.buf.resize(grown, 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.len..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(0);
                }
                Ok(n) => {
                    self.len += n;
                    self.bytes += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Drops the NUL bytes at the very start of the input and returns how many there were.
    ///
    /// A log rotated with `copytruncate` while its writer kept its offset starts with a run of
    /// NULs as long as the old file (a sparse hole), directly followed by the new lines; the
    /// run holds no newline, so line numbers do not change. Memory stays one buffer however
    /// long the run.
    pub fn skip_leading_nul(&mut self) -> io::Result<u64> {
        let mut skipped = 0;
        loop {
            let run = self.buf[self.pos..self.len].iter().take_while(|&&b| b == 0).count();
            self.pos += run;
            skipped += run as u64;
            if self.pos < self.len || self.eof {
                self.scanned = self.pos;
                return Ok(skipped);
            }
            self.fill()?;
        }
    }

    /// The first `n` bytes (fewer at end of input) without consuming them.
    pub fn head(&mut self, n: usize) -> io::Result<&[u8]> {
        while self.len - self.pos < n && !self.eof {
            self.fill()?;
        }
        let end = self.len.min(self.pos + n);
        Ok(&self.buf[self.pos..end])
    }

    /// The next line, or `None` at end of input.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        loop {
            let from = self.scanned.max(self.pos);
            if let Some(i) = memchr::memchr(b'\n', &self.buf[from..self.len]) {
                let (start, end) = (self.pos, from + i);
                self.pos = end + 1;
                self.scanned = self.pos;
                return Ok(Some(self.line(start, end)));
            }
            self.scanned = self.len;
            if self.eof {
                if self.pos < self.len {
                    let start = self.pos;
                    self.pos = self.len;
                    return Ok(Some(self.line(start, self.len)));
                }
                return Ok(None);
            }
            if self.len - self.pos > self.max_line {
                self.discard_line()?;
                return Ok(Some(Line::TooLong));
            }
            self.fill()?;
        }
    }

    /// The line of the buffer from `start` to `end` ([`line_span`]).
    fn line(&self, start: usize, end: usize) -> Line<'_> {
        match line_span(&self.buf, start, end, self.max_line) {
            Some((s, e)) => Line::Text(&self.buf[s..e]),
            None => Line::TooLong,
        }
    }

    /// The line length limit: a longer line is dropped.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// Buffered lines at once, for a caller that splits them itself: the whole lines in the
    /// buffer (refilled when it holds none) that fit in `max` bytes, or the first one alone when
    /// it does not fit; `None` at the end of the input. The lines, their limit and their
    /// numbering are those of [`Self::next_line`], with one difference left to the caller: a
    /// line longer than the limit that arrived with its newline is inside the text, not a
    /// [`Lines::TooLong`].
    pub fn next_lines(&mut self, max: usize) -> io::Result<Option<Lines<'_>>> {
        loop {
            // No newline before `from`; the last one before `cap` ends the run, or the first
            // one after it when there is none (a single line, longer than `max`).
            let from = self.scanned.max(self.pos);
            let cap = self.pos.saturating_add(max).clamp(from, self.len);
            let newline = match memchr::memrchr(b'\n', &self.buf[from..cap]) {
                Some(i) => Some(from + i),
                None => memchr::memchr(b'\n', &self.buf[cap..self.len]).map(|i| cap + i),
            };
            if let Some(nl) = newline {
                let start = self.pos;
                self.pos = nl + 1;
                self.scanned = self.pos;
                return Ok(Some(Lines::Text(&self.buf[start..self.pos])));
            }
            self.scanned = self.len;
            if self.eof {
                if self.pos < self.len {
                    let start = self.pos;
                    self.pos = self.len;
                    return Ok(Some(Lines::Text(&self.buf[start..self.len])));
                }
                return Ok(None);
            }
            if self.len - self.pos > self.max_line {
                self.discard_line()?;
                return Ok(Some(Lines::TooLong));
            }
            if self.buf.len() < BLOCK {
                // Read in blocks: the caller takes every line at once, so the buffer is
                // mostly empty after each call.
                self.buf.resize(BLOCK, 0);
            }
            self.fill()?;
        }
    }

    /// Drops bytes up to and including the next newline.
    fn discard_line(&mut self) -> io::Result<()> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.pos..self.len]) {
                self.pos += i + 1;
                self.scanned = self.pos;
                return Ok(());
            }
            self.pos = self.len;
            self.scanned = self.len;
            if self.eof {
                return Ok(());
            }
            self.fill()?;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A reader that hands out at most `.1` bytes a read, to exercise refills.
    pub(crate) struct Pieces<'a>(pub(crate) &'a [u8], pub(crate) usize);

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(self.1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn all(input: &[u8], max_line: usize) -> Vec<Option<Vec<u8>>> {
        let mut r = LineReader::new(Pieces(input, 7), max_line);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push(match l {
                Line::Text(t) => Some(t.to_vec()),
                Line::TooLong => None,
            });
        }
        out
    }

    #[test]
    fn splits_lines_and_drops_long_ones() {
        assert_eq!(
            all(b"a\r\nbb\n\nccc", 100),
            vec![Some(b"a".to_vec()), Some(b"bb".to_vec()), Some(vec![]), Some(b"ccc".to_vec())]
        );
        let mut long = vec![b'x'; BLOCK * 3];
        long.extend_from_slice(b"\nok\n");
        assert_eq!(all(&long, BLOCK), vec![None, Some(b"ok".to_vec())]);
        assert!(all(b"", 10).is_empty());
    }

    /// Every line of `input` read through [`LineReader::next_lines`] in tiny reads.
    fn all_at_once(input: &[u8], max_line: usize, max_run: usize) -> Vec<Option<Vec<u8>>> {
        let mut r = LineReader::new(Pieces(input, 7), max_line);
        let mut out = Vec::new();
        while let Some(l) = r.next_lines(max_run).unwrap() {
            match l {
                Lines::Text(t) => for_each_line(t, 0, max_line, |span| {
                    out.push(span.map(|(s, e)| t[s..e].to_vec()))
                }),
                Lines::TooLong => out.push(None),
            }
        }
        out
    }

    #[test]
    fn lines_at_once_are_the_lines_one_by_one() {
        let mut long = vec![b'x'; BLOCK * 3];
        long.extend_from_slice(b"\nok\r\n\r\n");
        let cases: [(&[u8], usize); 8] = [
            (b"a\r\nbb\n\nccc", 100),
            (b"", 10),
            (b"\n\n", 10),
            (b"0123456789\nabcde\nxyz", 5),
            (b"abcdefg\n", 7),
            (b"abcdefgh", 7),
            (b"abcdef\r\nab\r", 6),
            (&long, BLOCK),
        ];
        for (input, max_line) in cases {
            for max_run in [0, 1, 3, 10, usize::MAX] {
                let at_once = all_at_once(input, max_line, max_run);
                assert_eq!(at_once, all(input, max_line), "{max_line} {max_run}");
            }
        }
        let expected = vec![None, Some(b"ok".to_vec()), Some(vec![])];
        assert_eq!(all_at_once(&long, BLOCK, usize::MAX), expected);
    }

    #[test]
    fn for_each_line_starts_where_told() {
        let mut got = Vec::new();
        for_each_line(b"ab\ncd\r\nlonger\n", 3, 4, |s| got.push(s));
        assert_eq!(got, vec![Some((3, 5)), None]);
    }

    #[test]
    fn head_does_not_consume() {
        let mut r = LineReader::new(&b"one\ntwo\n"[..], 100);
        assert_eq!(r.head(5).unwrap(), b"one\nt");
        assert_eq!(r.next_line().unwrap(), Some(Line::Text(b"one")));
    }

    /// A reader whose first `read` fails with `Interrupted`, then hands out `n` bytes a call.
    struct Stutter {
        bytes: Vec<u8>,
        at: usize,
        n: usize,
        interrupted: bool,
    }

    impl Read for Stutter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if !self.interrupted {
                self.interrupted = true;
                return Err(io::ErrorKind::Interrupted.into());
            }
            let rest = &self.bytes[self.at..];
            let n = rest.len().min(buf.len()).min(self.n);
            buf[..n].copy_from_slice(&rest[..n]);
            self.at += n;
            Ok(n)
        }
    }

    fn decoded(bytes: &[u8], n: usize) -> (Vec<u8>, Compression) {
        let raw = Stutter { bytes: bytes.to_vec(), at: 0, n, interrupted: false };
        let (mut r, compression) = decode(Box::new(raw), 1 << 20).unwrap();
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap(); // retries `Interrupted` itself
        (out, compression)
    }

    /// Issue 8, found by the chunking property: gzip was recognised from the first read only,
    /// so a stream whose first read returned one byte was read as plain bytes, and an
    /// `Interrupted` first read failed the input.
    #[test]
    fn issue8_gzip_magic_arriving_in_pieces_is_recognised() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, b"a\nb\n").unwrap();
        let gz = enc.finish().unwrap();
        for n in [1, 2, 5, 64] {
            assert_eq!(
                decoded(&gz, n),
                (b"a\nb\n".to_vec(), Compression::Gzip),
                "{n} bytes a read"
            );
        }
        assert_eq!(decoded(b"plain", 1), (b"plain".to_vec(), Compression::None));
        assert_eq!(decoded(b"", 1), (Vec::new(), Compression::None));
    }

    /// Issue 8, found by the chunking property: a line longer than the limit was kept when it
    /// arrived with its newline in one read, and one exactly at the limit was dropped when it
    /// arrived in pieces.
    #[test]
    fn issue8_line_length_limit_does_not_depend_on_reads() {
        let input = b"0123456789\nabcde\nxyz";
        let whole = {
            let mut r = LineReader::new(&input[..], 5);
            let mut v = Vec::new();
            while let Some(l) = r.next_line().unwrap() {
                v.push(match l {
                    Line::Text(t) => Some(t.to_vec()),
                    Line::TooLong => None,
                });
            }
            v
        };
        let expected = vec![None, Some(b"abcde".to_vec()), Some(b"xyz".to_vec())];
        assert_eq!(whole, expected, "read whole");
        assert_eq!(all(input, 5), expected, "read 7 bytes at a time");
        assert_eq!(all(b"abcdefg\n", 7), vec![Some(b"abcdefg".to_vec())]);
        assert_eq!(all(b"abcdefgh", 7), vec![None], "an unterminated last line too");
    }

    #[test]
    fn cap_reader_stops_at_the_limit() {
        let mut r = CapReader::new(&[0u8; 100][..], 50);
        let mut sink = Vec::new();
        let err = r.read_to_end(&mut sink).unwrap_err();
        assert!(err.to_string().contains("more than 50 bytes, the --max-decompressed limit"));
        assert_eq!(show_size(4 << 30), "4 GiB");
        assert_eq!(show_size(1536 << 10), "1536 KiB");
        assert_eq!(show_size(1000), "1000 bytes");
    }

    #[test]
    fn leading_nul_bytes_are_dropped_without_moving_lines() {
        let mut input = vec![0u8; BLOCK * 2 + 3];
        input.extend_from_slice(b"one\n\0two\n");
        let mut r = LineReader::new(&input[..], 100);
        assert_eq!(r.skip_leading_nul().unwrap(), (BLOCK * 2 + 3) as u64);
        assert_eq!(r.head(4).unwrap(), b"one\n");
        assert_eq!(r.next_line().unwrap(), Some(Line::Text(b"one")));
        assert_eq!(r.next_line().unwrap(), Some(Line::Text(b"\0two")), "only at the start");
        let mut only = LineReader::new(&[0u8; 10][..], 100);
        assert_eq!(only.skip_leading_nul().unwrap(), 10);
        assert_eq!(only.next_line().unwrap(), None);
    }
}
