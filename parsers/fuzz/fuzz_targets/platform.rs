//! Platform streams: Heroku (`heroku logs`, logplex drains) and Cloud Foundry (`cf logs`),
//! router lines, JSON app payloads and per-instance console parsers. Checks that every line is
//! counted once although an instance's records interleave with others', that no control
//! character reaches a message or an access field, and both sniffers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootcause_parsers::console::ConsoleRecord;
use rootcause_parsers::platform::{Parser, PlatformRecord, sniff, sniff_cf};
use rootcause_parsers::time::TimeOptions;
use rootcause_parsers_fuzz::{assert_counted, assert_detection, feed, has_control};

fuzz_target!(|data: &[u8]| {
    let ledger = feed(&mut Parser::new(TimeOptions::default()), data);
    assert_counted(&ledger);
    for (line, lines, r) in &ledger.records {
        match r {
            PlatformRecord::Console(ConsoleRecord::Log(l)) => {
                assert!(!has_control(&l.message), "line {line}: {l:?}");
                assert!(!l.message.contains('\n'), "line {line}: a one-line record with a newline");
            }
            PlatformRecord::Console(ConsoleRecord::Access(a)) => {
                assert!(a.status.is_none_or(|s| s <= 999), "line {line}: {a:?}");
                for t in [&a.client, &a.method, &a.path] {
                    assert!(!has_control(t), "line {line}: {a:?}");
                }
                assert!(a.request_id.as_deref().is_none_or(|t| !has_control(t)), "{a:?}");
            }
            PlatformRecord::Console(ConsoleRecord::Traceback(t)) => {
                assert!(t.header_offset < *lines, "line {line}: header past the record: {t:?}");
            }
            PlatformRecord::App(e) => {
                assert_eq!(*lines, 1, "line {line}: an app event spans one line");
                assert!(!has_control(&e.message), "line {line}: {e:?}");
            }
        }
    }
    assert_detection(sniff(data).as_ref());
    assert_detection(sniff_cf(data).as_ref());
});
