//! `--format html` and `--charts DIR`: a self-contained page whose log text cannot become
//! markup (proven in headless Chromium), chart files, sizes, and terminal escaping.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{TempDir, analyze_json, case, cmd, read_csv, run};

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Runs `analyze ARGS...`, expects exit 0, returns stdout.
fn analyze(args: &[&str]) -> String {
    let out = run(cmd().arg("analyze").args(args));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

const SCRIPT: &str = "<script>document.title='pwned'</script>";
const IMG: &str = "<img src=x onerror=\"document.title='pwned2'\">";
const ROUTE_SCRIPT: &str = "<script>document.title='pwned3'</script>";

/// A copy of samples/pool-exhaustion in `dir` whose first QueuePool exception (the first
/// evidence of the signature and of the hypothesis) carries `inject` (JSON-escaped) at its
/// end, after the part the signature matches, and whose first request's route is `route` (if given).
fn poisoned_copy(dir: &Path, inject: &str, route: Option<&str>) {
    let src = case("pool-exhaustion");
    for f in ["postgresql.log", "stderr.log"] {
        std::fs::copy(src.join(f), dir.join(f)).expect("copy");
    }
    let app = std::fs::read_to_string(src.join("app.log")).expect("read app.log");
    let mut done = false;
    let app: String = app
        .lines()
        .map(|l| {
            let mut l = l.to_string();
            if !done && l.contains("QueuePool limit") {
                let json = serde_json::to_string(inject).expect("json");
                let json = &json[1..json.len() - 1];
                l = l.replacen("/3o7r)", &format!("/3o7r) {json}"), 1);
                done = true;
            }
            l + "\n"
        })
        .collect();
    assert!(done, "a QueuePool line was poisoned");
    std::fs::write(dir.join("app.log"), app).expect("write app.log");
    let csv = std::fs::read_to_string(src.join("hammer.csv")).expect("read hammer.csv");
    let csv = match route {
        Some(r) => {
            let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
            let row = lines.get_mut(1).expect("a data row");
            *row = row.replacen(",/businesses", &format!(",{r}/businesses"), 1);
            lines.join("\n") + "\n"
        }
        None => csv,
    };
    std::fs::write(dir.join("hammer.csv"), csv).expect("write hammer.csv");
}

/// The Chromium binary, or `None` when `ROOTCAUSE_SKIP_BROWSER=1`; fails when it is missing
/// otherwise: CI installs it (`.ci/run`), and a browser test that skips silently proves
/// nothing.
fn chromium() -> Option<PathBuf> {
    if std::env::var("ROOTCAUSE_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("ROOTCAUSE_SKIP_BROWSER=1: the headless Chromium check is skipped");
        return None;
    }
    let fixed = PathBuf::from("/usr/bin/chromium");
    if fixed.is_file() {
        return Some(fixed);
    }
    let found = Command::new("sh").args(["-c", "command -v chromium"]).output().ok()?;
    let p = String::from_utf8_lossy(&found.stdout).trim().to_string();
    assert!(
        found.status.success() && !p.is_empty(),
        "chromium not found (neither /usr/bin/chromium nor `command -v chromium`): install the \
         Debian package `chromium` (bash .ci/run does), or set ROOTCAUSE_SKIP_BROWSER=1 to skip \
         the browser test"
    );
    Some(PathBuf::from(p))
}

/// Loads `page` in headless Chromium and returns the DOM after load (scripts, if any could
/// run, have run). Chromium's stdout goes to a file, so a large DOM cannot fill a pipe while
/// we wait.
fn dump_dom(chromium: &Path, page: &Path, scratch: &Path) -> String {
    let url = format!("file://{}", path(page));
    let dom = scratch.join("dom.html");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", path(&scratch.join("profile"))))
        .args(["--dump-dom", &url])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&dom).expect("dom file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "chromium exit {:?}", status.code());
    std::fs::read_to_string(&dom).expect("utf-8 DOM")
}

/// The text of the first `<title>` element.
fn title_of(html: &str) -> &str {
    let start = html.find("<title>").expect("a <title>") + "<title>".len();
    let end = html[start..].find("</title>").expect("</title>");
    &html[start..start + end]
}

#[test]
fn log_text_cannot_become_markup_in_the_html_report() {
    let dir = TempDir::new("html-xss");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).expect("mkdir");
    poisoned_copy(&logs, &format!("{SCRIPT} {IMG}"), Some(&format!("/b{ROUTE_SCRIPT}")));
    // The payload reaches the report: in the signature's and the hypothesis' evidence, and
    // as a route.
    let json = analyze_json(&[path(&logs)]);
    let first = json["signatures"][0]["evidence"][0]["text"].as_str().expect("evidence text");
    assert!(first.contains(SCRIPT) && first.contains(IMG), "payload in the evidence: {first}");
    let hyp = json["hypotheses"][0]["evidence"][0]["text"].as_str().expect("hypothesis evidence");
    assert!(hyp.contains(SCRIPT), "payload in the hypothesis evidence: {hyp}");
    let routes: Vec<&String> =
        json["outcomes"]["by_route"].as_object().expect("routes").keys().collect();
    assert!(routes.iter().any(|r| r.contains(ROUTE_SCRIPT)), "payload as a route: {routes:?}");

    let page = dir.join("report.html");
    analyze(&["--format", "html", "-o", path(&page), path(&logs)]);
    let raw = std::fs::read_to_string(&page).expect("report.html");
    assert!(!raw.contains("<script"), "no script element in the page");
    assert!(!raw.contains("<img"), "no img element in the page");
    assert!(raw.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
    assert!(raw.contains("&lt;img src=x onerror=&quot;document.title=&#39;pwned2&#39;&quot;&gt;"));
    assert!(raw.contains("/b&lt;script&gt;document.title=&#39;pwned3&#39;"), "route escaped");
    assert!(
        raw.contains("Content-Security-Policy")
            && raw.contains("default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
        "a CSP that forbids scripts"
    );
    for attr in ["src=", "href="] {
        for (i, _) in raw.match_indices(attr) {
            let value = raw[i + attr.len()..].trim_start_matches(['"', '\'']);
            assert!(
                !value.starts_with("http://") && !value.starts_with("https://"),
                "nothing fetched: {}",
                &raw[i..(i + 80).min(raw.len())]
            );
        }
    }
    let title = title_of(&raw).to_string();
    assert_eq!(title, "rootcause report — explained");

    let Some(chromium) = chromium() else { return };
    let dom = dump_dom(&chromium, &page, &dir.0);
    assert_eq!(title_of(&dom), title, "the title is the report's, not the payload's");
    assert!(!dom.contains("pwned</title>") && !title_of(&dom).contains("pwned"));
    assert!(
        dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"),
        "the script payload is shown as text"
    );
    assert!(
        dom.contains("&lt;img src=x onerror=\"document.title='pwned2'\"&gt;"),
        "the img payload is shown as text"
    );
    assert!(dom.contains("/b&lt;script&gt;document.title='pwned3'&lt;/script&gt;"));
    assert!(!dom.contains("<script"), "no script element in the DOM");
    assert!(!dom.contains("<img"), "no img element in the DOM");
    let svgs = dom.matches("<svg").count();
    assert!(svgs >= 3, "the charts are SVG elements of the page: {svgs}");
    assert_eq!(dom.matches("<figure").count(), svgs, "one figure per chart");
}

/// `width` and `height` of the root `<svg>`.
fn svg_size(svg: &str) -> (u32, u32) {
    let head = &svg[..svg.find('>').expect("svg tag closes")];
    let attr = |name: &str| -> u32 {
        let key = format!(" {name}=\"");
        let start = head.find(&key).expect("size attribute") + key.len();
        let len = head[start..].find('"').expect("attribute closes");
        head[start..start + len].parse().expect("a number")
    };
    (attr("width"), attr("height"))
}

/// The text content of every `<text>` element.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|part| {
            let start = part.find('>')? + 1;
            let end = part.find("</text>")?;
            Some(part[start..end].trim().to_string())
        })
        .collect()
}

#[test]
fn charts_dir_writes_every_chart_as_svg_and_png() {
    let dir = TempDir::new("charts");
    let charts = dir.join("charts");
    let sample = case("pool-exhaustion");
    let report = analyze_json(&[path(&sample)]);
    analyze(&["--charts", path(&charts), "-o", path(&dir.join("report.txt")), path(&sample)]);
    let mut names: Vec<String> = std::fs::read_dir(&charts)
        .expect("charts dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let want: Vec<String> = ["funnel", "latency", "outcomes", "signatures"]
        .iter()
        .flat_map(|n| [format!("{n}.png"), format!("{n}.svg")])
        .collect();
    assert_eq!(names, want);
    for name in ["latency", "outcomes", "funnel", "signatures"] {
        let svg = std::fs::read_to_string(charts.join(format!("{name}.svg"))).expect("svg");
        assert!(svg.starts_with("<svg "), "{name}.svg is an SVG document");
        assert!(svg.trim_end().ends_with("</svg>"), "{name}.svg is complete");
        assert_eq!(svg.matches("<svg").count(), 1, "{name}.svg: one root");
        let png = std::fs::read(charts.join(format!("{name}.png"))).expect("png");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}.png is a PNG");
        assert_eq!(png.get(12..16), Some(&b"IHDR"[..]), "{name}.png starts with its header");
        let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().expect("4 bytes"));
        let (w, h) = svg_size(&svg);
        assert_eq!((be(16), be(20)), (w, h), "{name}: the PNG has the SVG's size");
        assert!(w >= 600 && h >= 120, "{name}: {w}x{h}");
        assert!(png.len() > 5000, "{name}.png has content: {} bytes", png.len());
    }

    // Every request with an elapsed time is one circle in the latency chart (fewer than the
    // 20 000 drawn at most, so none is thinned); nothing else there is a circle.
    let rows = read_csv(&sample.join("hammer.csv"));
    let timed = rows.iter().filter(|r| r.get("elapsed_ms").is_some_and(|v| !v.is_empty())).count();
    assert!(timed > 1000 && timed <= 20_000, "{timed}");
    let latency = std::fs::read_to_string(charts.join("latency.svg")).expect("latency.svg");
    assert_eq!(latency.matches("<circle").count(), timed, "one circle per request");
    let failed = rows
        .iter()
        .filter(|r| r.get("status").is_some_and(|s| s.starts_with('5')))
        .filter(|r| r.get("elapsed_ms").is_some_and(|v| !v.is_empty()))
        .count();
    assert!(failed > 100, "{failed}");
    let group = latency.split("<g ").find(|g| g.contains("fill=\"#D62728\"")).expect("5xx group");
    let group = &group[..group.find("</g>").expect("the group closes")];
    assert_eq!(group.matches("<circle").count(), failed, "every 5xx in the 5xx colour");
    let texts = svg_texts(&latency);
    for want in ["seconds into the test (by send time)", "5xx", "2xx", "baseline", "recovered"] {
        assert!(texts.iter().any(|t| t == want), "latency chart says {want:?}: {texts:?}");
    }

    // The funnel's bars are labelled with the report's numbers.
    let funnel = std::fs::read_to_string(charts.join("funnel.svg")).expect("funnel.svg");
    let texts = svg_texts(&funnel);
    for stage in ["sent", "hit", "started", "completed"] {
        let n = report["funnel"][stage].as_u64().expect("count");
        assert!(
            texts.iter().any(|t| t == &n.to_string() || t.starts_with(&format!("{n} ("))),
            "funnel shows {stage} = {n}: {texts:?}"
        );
        assert!(texts.iter().any(|t| t == stage), "funnel names {stage}: {texts:?}");
    }
    let completed = report["funnel"]["completed"].as_u64().expect("completed");
    assert_ne!(completed, report["funnel"]["sent"].as_u64().expect("sent"));

    // One lane per signature, labelled with its id and count.
    let lanes = std::fs::read_to_string(charts.join("signatures.svg")).expect("signatures.svg");
    let texts = svg_texts(&lanes);
    for s in report["signatures"].as_array().expect("signatures") {
        let label = format!("{} ({})", s["id"].as_str().expect("id"), s["count"]);
        assert!(texts.contains(&label), "lane {label:?}: {texts:?}");
    }
}

#[test]
fn charts_without_data_are_left_out() {
    // latency-phases has no application log (no funnel) and no signature (no lanes).
    let dir = TempDir::new("charts-some");
    analyze(&[
        "--charts",
        path(&dir.join("c")),
        "-o",
        path(&dir.join("r.txt")),
        path(&case("latency-phases")),
    ]);
    let mut names: Vec<String> = std::fs::read_dir(dir.join("c"))
        .expect("charts dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["latency.png", "latency.svg", "outcomes.png", "outcomes.svg"]);
}

/// The headings of the terminal report: each line just above a table, and the lines that
/// open the sections written without a table.
fn terminal_headings(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let above_table = lines.get(i + 1).is_some_and(|n| n.starts_with('┌'));
        let section =
            ["Hypothesis ", "Clock skew", "Signatures", "Funnel"].iter().any(|s| l.starts_with(s))
                && i > 0
                && lines.get(i - 1).is_some_and(|p| p.is_empty());
        if (above_table || section) && !l.starts_with('┌') {
            out.push(l.to_string());
        }
    }
    out
}

#[test]
fn html_is_small_and_has_every_table_the_terminal_shows() {
    let dir = TempDir::new("html-size");
    // The healthy run has context signatures (Postgres start and stop, checkpoints), so it
    // has a signature chart too.
    for (sample, charts) in [("latency-phases", 2), ("pool-exhaustion", 4), ("healthy-baseline", 4)]
    {
        let page = dir.join(&format!("{sample}.html"));
        analyze(&["--format", "html", "-o", path(&page), path(&case(sample))]);
        let html = std::fs::read_to_string(&page).expect("html");
        assert!(html.len() < 1_500_000, "{sample}: {} bytes", html.len());
        assert!(html.starts_with("<!doctype html>"), "{sample}");
        assert!(html.contains("<meta charset=\"utf-8\">"), "{sample}");
        assert!(!html.contains("<script") && !html.contains("<link"), "{sample}: self-contained");
        assert_eq!(html.matches("<svg").count(), charts, "{sample}: charts inline");

        let terminal = analyze(&["--width", "250", path(&case(sample))]);
        let headings = terminal_headings(&terminal);
        assert!(headings.len() >= 8, "{sample}: {headings:?}");
        for h in headings {
            let escaped = h.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            assert!(
                html.contains(&format!(">{escaped}</h")),
                "{sample}: heading {h:?} in the page"
            );
        }
        // Every value of the terminal's funnel-over-time table is on the page too.
        let report = analyze_json(&[path(&case(sample))]);
        for b in report["correlation"]["buckets"].as_array().expect("buckets") {
            if b["sent"].as_u64() == Some(0) {
                continue;
            }
            let start = &b["start"].as_str().expect("start")[11..23];
            assert!(html.contains(&format!("<td>{start}</td>")), "{sample}: bucket {start}");
        }
    }
}

#[test]
fn html_of_several_runs_has_a_section_per_run() {
    let dir = TempDir::new("html-runs");
    let page = dir.join("runs.html");
    analyze(&[
        "--format",
        "html",
        "-o",
        path(&page),
        path(&case("pool-exhaustion")),
        path(&case("healthy-baseline")),
    ]);
    let html = std::fs::read_to_string(&page).expect("html");
    assert_eq!(title_of(&html), "rootcause report — 2 runs");
    for run in ["pool-exhaustion", "healthy-baseline"] {
        assert!(
            html.contains(&format!("<section class=\"run\" id=\"run-{run}\">\n<h2>Run {run}</h2>"))
        );
        assert!(html.contains(&format!("id=\"run-{run}-chart-latency\"")), "{run}: its charts");
    }
    assert_eq!(html.matches("<svg").count(), 4 + 4);
}

#[test]
fn escape_sequences_in_logs_never_reach_the_analyze_tables() {
    let dir = TempDir::new("analyze-escapes");
    poisoned_copy(
        &dir.0,
        "\u{1b}]0;pwned\u{7}\u{1b}[31mred text\u{1b}[0m",
        Some("/esc\u{1b}[2J\u{1b}]0;pwned\u{7}"),
    );
    let json = analyze_json(&[path(&dir.0)]);
    let first = json["signatures"][0]["evidence"][0]["text"].as_str().expect("evidence text");
    assert!(first.contains("3o7r) red text"), "the line reached the report: {first}");
    for format in ["table", "html"] {
        let out = analyze(&["--format", format, "--width", "400", path(&dir.0)]);
        assert!(out.contains("red text"), "{format}: the poisoned evidence line is shown");
        assert!(out.contains("/esc/businesses"), "{format}: the poisoned route is shown");
        for c in ['\u{1b}', '\u{7}', '\u{9b}'] {
            assert!(!out.contains(c), "{format}: {c:?} in the output");
        }
        assert!(!out.contains("pwned"), "{format}: the OSC title payload is shown");
    }
}
