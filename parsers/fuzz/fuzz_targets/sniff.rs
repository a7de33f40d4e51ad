//! Format detection on the head of an input, as `rootcause sniff` and `analyze` use it.
//! Checks that the candidates come best first, that the chosen format is the best candidate
//! and scores at least `MIN_SCORE`, that every score lies in 0..=1, and that format names
//! parse back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootcause_parsers::sniff::{Format, MIN_SCORE, looks_binary, sniff};
use rootcause_parsers::text;
use rootcause_parsers_fuzz::assert_detection;

fuzz_target!(|data: &[u8]| {
    let s = sniff(data);
    assert!(!s.reason.is_empty());
    for (_, d) in &s.candidates {
        assert_detection(Some(d));
    }
    for w in s.candidates.windows(2) {
        assert!(w[0].1.score >= w[1].1.score, "candidates out of order: {:?}", s.candidates);
    }
    match s.format {
        Some(f) => {
            let (best, d) = &s.candidates[0];
            assert_eq!(*best, f);
            assert!(d.score >= MIN_SCORE);
            assert_eq!(s.reason, d.reason);
            assert!(!looks_binary(data));
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        None => assert!(s.candidates.first().is_none_or(|(_, d)| d.score < MIN_SCORE)),
    }
    let first = text::lines(data).next().unwrap_or_default();
    let _ = text::lossy(first).parse::<Format>();
});
