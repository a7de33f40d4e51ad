//! Helpers shared by the parsers' unit tests.

/// xorshift64*: a fixed pseudo-random stream, so failures reproduce without a crate.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// The next number.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Up to `max_len` bytes drawn from `alphabet`.
    pub(crate) fn bytes(&mut self, alphabet: &[u8], max_len: usize) -> Vec<u8> {
        let len = self.below(max_len + 1);
        (0..len).map(|_| alphabet[self.below(alphabet.len())]).collect()
    }
}

/// Every line fed is in a record, consumed or skipped: `lines = lines in records + consumed +
/// skipped`.
pub(crate) fn assert_counted<R>(out: &crate::VecSink<R>) {
    assert!(
        out.accounts_for_every_line(),
        "lines {} != in records {} + consumed {} + skipped {}",
        out.lines,
        out.lines_in_records(),
        out.consumed,
        out.skipped.len()
    );
}

/// The accounting invariant: `lines = lines in records + consumed + skipped`, records come in
/// line order, and no skipped line is the first line of a record. (A Postgres record may fold
/// continuation lines that come after a foreign line, so its lines need not be contiguous.)
pub(crate) fn assert_accounting<R>(out: &crate::VecSink<R>) {
    assert_counted(out);
    assert!(out.records.windows(2).all(|w| w[0].line < w[1].line), "records out of order");
    for (l, _) in &out.skipped {
        assert!(out.records.iter().all(|r| r.line != *l), "line {l} is both skipped and a record");
    }
}

/// The invariant line by line, for formats whose records are contiguous: every line fed is in
/// exactly one record or skip, or was consumed as structure (a CSV header).
pub(crate) fn assert_contiguous_accounting<R>(out: &crate::VecSink<R>) {
    assert_accounting(out);
    let mut seen = vec![0u32; usize::try_from(out.lines).unwrap_or(0) + 1];
    let mut mark = |l: u64| match seen.get_mut(usize::try_from(l).unwrap_or(usize::MAX)) {
        Some(n) => *n += 1,
        None => panic!("line {l} is past the {} lines fed", out.lines),
    };
    for r in &out.records {
        assert!(r.lines >= 1, "empty record at {}", r.line);
        (r.line..r.line + u64::from(r.lines)).for_each(&mut mark);
    }
    out.skipped.iter().for_each(|(l, _)| mark(*l));
    for (l, n) in seen.iter().enumerate().skip(1) {
        assert!(*n <= 1, "line {l} accounted {n} times");
    }
    let uncovered = seen.iter().skip(1).filter(|n| **n == 0).count() as u64;
    assert_eq!(uncovered, out.consumed, "lines neither in a record nor skipped must be consumed");
}
