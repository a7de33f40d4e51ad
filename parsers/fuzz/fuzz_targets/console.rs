//! A server's console: gunicorn, Flask and werkzeug lines, access lines and tracebacks with
//! what introduced them. Checks the line accounting, that a traceback's offsets fall inside
//! its record, that no control character reaches a message, and the sniffer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootcause_parsers::console::{ConsoleRecord, Parser, sniff};
use rootcause_parsers::time::TimeOptions;
use rootcause_parsers_fuzz::{assert_contiguous, assert_detection, feed, has_control};

fuzz_target!(|data: &[u8]| {
    let ledger = feed(&mut Parser::new(TimeOptions::default()), data);
    assert_contiguous(&ledger);
    for (line, lines, r) in &ledger.records {
        match r {
            ConsoleRecord::Log(l) => {
                assert!(!has_control(&l.message), "line {line}: {l:?}");
                assert!(!l.message.contains('\n'), "line {line}: a one-line record with a newline");
            }
            ConsoleRecord::Access(a) => {
                assert!(a.status.is_none_or(|s| s <= 999), "line {line}: {a:?}");
                for t in [&a.client, &a.method, &a.path] {
                    assert!(!has_control(t), "line {line}: {a:?}");
                }
            }
            ConsoleRecord::Traceback(t) => {
                assert!(t.header_offset < *lines, "line {line}: header past the record: {t:?}");
                assert!(!t.traceback.sections.is_empty(), "line {line}: no sections");
                for s in &t.traceback.sections {
                    assert!(
                        s.line_offset < *lines,
                        "line {line}: section at offset {} of a {lines}-line record",
                        s.line_offset
                    );
                }
                for t in t.intro.iter().chain(&t.client) {
                    assert!(!has_control(t), "line {line}: {t:?}");
                }
            }
        }
    }
    assert_detection(sniff(data).as_ref());
});
