//! JSON-lines application logs (structlog, python-json-logger, generic keys), with the
//! tracebacks they carry in a string. Checks the line accounting, that a record without a time
//! says why, that no control character reaches the text kept, the sniffer, and that the fast
//! scan gives what serde_json alone gives (issue 9): the same records, skips and notes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootcause_parsers::jsonlog::{Options, Parser, sniff};
use rootcause_parsers_fuzz::{
    assert_contiguous, assert_detection, assert_untimed_noted, feed, has_control,
};

fuzz_target!(|data: &[u8]| {
    let ledger = feed(&mut Parser::new(Options::default()), data);
    let reference = feed(&mut Parser::serde_only(Options::default()), data);
    assert_eq!(ledger.records, reference.records, "records differ from serde_json's");
    assert_eq!(ledger.skipped, reference.skipped, "skips differ from serde_json's");
    assert_eq!(ledger.notes, reference.notes, "notes differ from serde_json's");
    assert_contiguous(&ledger);
    assert_untimed_noted(&ledger, |r| r.ts.is_none());
    for (line, _, r) in &ledger.records {
        assert!(r.status.is_none_or(|s| (100..=599).contains(&s)), "line {line}: {r:?}");
        assert!(r.duration_ms.is_none_or(f64::is_finite), "line {line}: {r:?}");
        let texts = [Some(&r.message), r.route.as_ref(), r.logger.as_ref(), r.request_id.as_ref()];
        for t in texts.into_iter().flatten() {
            assert!(!has_control(t), "line {line}: control character in {t:?}");
        }
        if let Some(tb) = &r.exception {
            assert!(!tb.sections.is_empty(), "line {line}: a traceback without sections");
        }
    }
    assert_detection(sniff(data).as_ref());
});
