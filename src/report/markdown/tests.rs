//! Unit tests of the Markdown renderer: escaping, fences, tables, links, layout.

use super::*;

#[test]
fn text_makes_html_inert() {
    assert_eq!(text("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
    assert_eq!(text("a & b"), "a &amp; b");
    assert_eq!(text("&lt;b&gt;"), "&amp;lt;b&amp;gt;");
}

#[test]
fn text_escapes_links_images_emphasis_and_code() {
    assert_eq!(text("[x](javascript:alert(1))"), "\\[x\\](javascript:alert(1))");
    assert_eq!(text("![i](http://e/x.png)"), "!\\[i\\](http://e/x.png)");
    assert_eq!(
        text("*bold* _it_ `code` ~~s~~ $x$"),
        "\\*bold\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~ \\$x\\$"
    );
    // A backslash of the input cannot cancel an escape.
    assert_eq!(text("\\[x]"), "\\\\\\[x\\]");
}

#[test]
fn text_escapes_pipes_and_removes_newlines() {
    assert_eq!(text("a|b\nc\r\nd"), "a\\|b c  d");
    assert_eq!(text("  padded  "), "padded");
}

#[test]
fn text_escapes_leading_block_markers_only() {
    assert_eq!(text("# title"), "\\# title");
    assert_eq!(text("- item"), "\\- item");
    assert_eq!(text("+ item"), "\\+ item");
    assert_eq!(text("=== x"), "\\=== x");
    assert_eq!(text("1. item"), "1\\. item");
    assert_eq!(text("12) item"), "12\\) item");
    assert_eq!(text("1.5 s"), "1.5 s");
    assert_eq!(text("161 of 1050"), "161 of 1050");
    assert_eq!(text("a - b # c"), "a - b # c");
}

#[test]
fn code_span_fence_outgrows_backticks() {
    assert_eq!(code("queuepool_exhausted"), "`queuepool_exhausted`");
    assert_eq!(code("a`b"), "``a`b``");
    assert_eq!(code("a``b`c"), "```a``b`c```");
    assert_eq!(code("`x`"), "`` `x` ``");
    assert_eq!(code(" x "), "`  x  `");
    assert_eq!(code("a\nb"), "`a b`");
    assert_eq!(code(""), "");
    assert_eq!(code_cell("a|b"), "`a\\|b`");
}

#[test]
fn fenced_block_fence_is_longer_than_any_backtick_run() {
    let mut out = Vec::new();
    let mut d = Doc { out: &mut out, started: false };
    let lines = vec!["plain".to_string(), "x ```` y".to_string(), "a\nb".to_string()];
    d.fenced(&lines).unwrap();
    let s = String::from_utf8(out).unwrap();
    assert_eq!(s, "`````text\nplain\nx ```` y\na b\n`````\n");
    assert_eq!(fence_for(&["no ticks".to_string()]), "```");
    assert_eq!(fence_for(&[]), "```");
}

#[test]
fn tables_escape_cells_and_keep_the_header_width() {
    let mut t = Table::new(&[("route", Left), ("n", Right)]);
    t.row(vec![text("/a|b"), num(3)]);
    t.row(vec![text("short")]);
    let mut out = Vec::new();
    Doc { out: &mut out, started: false }.table(&t).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "| route | n |\n| --- | ---: |\n| /a\\|b | 3 |\n| short |  |\n"
    );
}

#[test]
fn link_destinations_are_encoded_and_stay_relative() {
    assert_eq!(link_dest(Path::new("charts/latency.png")), "charts/latency.png");
    assert_eq!(link_dest(Path::new("my charts/a (1).png")), "my%20charts/a%20%281%29.png");
    assert_eq!(
        link_dest(Path::new("javascript:alert(1)/x.png")),
        "javascript%3Aalert%281%29/x.png"
    );
    assert_eq!(link_dest(Path::new("/abs/x.svg")), "/abs/x.svg");
}

#[test]
fn charts_are_linked_png_inline_and_svg_beside() {
    let r = minimal_report();
    let charts = vec![(
        String::new(),
        vec![ChartFile {
            name: "latency",
            title: "Latency vs time into the test".into(),
            svg: "charts/latency.svg".into(),
            png: "charts/latency.png".into(),
        }],
    )];
    let mut out = Vec::new();
    render_runs(&[("", &r)], &charts, &mut out).unwrap();
    let s = String::from_utf8(out).unwrap();
    assert!(s.contains(
        "## Charts\n\n![Latency vs time into the test](charts/latency.png)\\\n\
         [SVG](charts/latency.svg)\n"
    ));
    // Without chart files there is no Charts section.
    let mut out = Vec::new();
    render_runs(&[("", &r)], &[], &mut out).unwrap();
    assert!(!String::from_utf8(out).unwrap().contains("## Charts"));
}

#[test]
fn several_runs_get_one_section_each_one_level_deeper() {
    let r = minimal_report();
    let mut out = Vec::new();
    render_runs(&[("a", &r), ("b|<x>", &r)], &[], &mut out).unwrap();
    let s = String::from_utf8(out).unwrap();
    assert!(s.starts_with("# rootcause report: a, b\\|&lt;x&gt;\n\n2 runs compared.\n"));
    assert!(s.contains("\n## Run a\n"));
    assert!(s.contains("\n## Run b\\|&lt;x&gt;\n"));
    assert!(s.contains("\n### Signatures\n"));
    assert!(!s.contains("\n## Signatures\n"));
}

#[test]
fn a_healthy_run_says_no_failure_found_and_has_no_hypothesis() {
    let r = minimal_report();
    let mut out = Vec::new();
    render_runs(&[("", &r)], &[], &mut out).unwrap();
    let s = String::from_utf8(out).unwrap();
    assert!(s.starts_with("# rootcause report\n\nNo failure found"), "{s}");
    assert!(!s.contains("Hypothesis"));
}

/// A report of nothing, built by the real [`crate::report::build`]: no inputs, no
/// requests, no signatures.
fn minimal_report() -> Report {
    let ingested = crate::ingest::Ingested::default();
    let timeline = crate::correlate::Timeline::default();
    let lt = crate::loadtest::LoadTest::default();
    let fun = crate::funnel::Funnel::default();
    let flow = crate::flow::Flow::default();
    let catalog = crate::detect::Catalog::builtin().unwrap();
    let symptoms = crate::symptoms::Symptoms::default();
    let diagnosis = crate::hypothesise::hypothesise(&crate::hypothesise::Input {
        lt: &lt,
        funnel: &fun,
        findings: &[],
        catalog: &catalog,
        edges: &[],
        symptoms: &symptoms,
        facts: crate::hypothesise::Facts::default(),
        uncatalogued: &[],
        mined: true,
    });
    crate::report::build(&crate::report::Parts {
        ingested: &ingested,
        timeline: &timeline,
        loadtest: &lt,
        funnel: &fun,
        stage_patterns: Vec::new(),
        findings: &[],
        catalog: &catalog,
        diagnosis: &diagnosis,
        onset: &crate::report::OnsetReport::of(&crate::onset::of_run(&flow, &timeline)),
        skews: &[],
        flow: &flow,
        symptoms: &symptoms,
    })
}
