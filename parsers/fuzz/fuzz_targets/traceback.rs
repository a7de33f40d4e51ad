//! Python tracebacks: `parse` on a whole block, and the console's line-by-line `Collector`.
//! Checks that sections point inside the block, that what the collector takes from a header
//! on parses as a traceback, and that the line classifiers agree with each other.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootcause_parsers::text;
use rootcause_parsers::traceback::{
    Collector, Step, chain_link, is_continuation, is_header, is_rule, parse,
};
use rootcause_parsers_fuzz::has_control;

fuzz_target!(|data: &[u8]| {
    let lines: Vec<&[u8]> = text::lines(data).collect();
    if let Some(tb) = parse(data) {
        assert!(!tb.sections.is_empty(), "a traceback without sections");
        let _ = (tb.root(), tb.last(), tb.is_truncated());
        for s in &tb.sections {
            assert!(
                (s.line_offset as usize) < lines.len(),
                "section at offset {} of a {}-line block",
                s.line_offset,
                lines.len()
            );
            for e in std::iter::once(&s.exception).chain(&s.leaves) {
                let _ = (e.short_type(), e.is_missing());
                assert!(!has_control(&e.exc_type) && !has_control(&e.message), "{e:?}");
            }
            for f in &s.frames {
                assert!(!has_control(&f.file) && !has_control(&f.func), "{f:?}");
            }
        }
    }
    for (k, line) in lines.iter().enumerate() {
        let _ = (chain_link(line), is_continuation(line), is_rule(line));
        let Some(mut c) = Collector::start(line) else {
            assert!(!is_header(line), "a header the collector refuses: {line:?}");
            continue;
        };
        assert!(is_header(line), "the collector started on a non-header: {line:?}");
        // Collect the block as the console does and parse it: it must read as a traceback.
        let mut end = k + 1;
        for (j, next) in lines.iter().enumerate().skip(k + 1) {
            match c.step(&text::strip_ansi(next)) {
                Step::Take => end = j + 1,
                Step::Hold => {}
                Step::Stop => break,
            }
        }
        let block = lines[k..end].join(&b'\n');
        assert!(parse(&block).is_some(), "a collected block that does not parse: {block:?}");
    }
});
