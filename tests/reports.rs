//! Report formats: Markdown for tickets, and every renderer printing the same numbers of the
//! one `Report` (issue 6).

use std::path::Path;

use serde_json::Value;

use crate::util::{TempDir, analyze_json, case, cmd, run};

/// Runs `analyze ARGS...`, expects exit 0, returns stdout.
fn analyze(args: &[&str]) -> String {
    let out = run(cmd().arg("analyze").args(args));
    assert!(
        out.status.success(),
        "exit {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn sample(name: &str) -> String {
    case(name).to_str().expect("utf-8 path").to_string()
}

/// Decodes the entities a renderer may write for text: `&lt;`, `&gt;`, `&amp;`, `&quot;`,
/// `&#39;`, `&#NN;`, `&#xNN;`, `&nbsp;`.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(';').filter(|&e| e <= 8) else {
            out.push('&');
            rest = after;
            continue;
        };
        let name = &after[..end];
        let c = match name {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whitespace runs as one space, so a sentence wrapped by the terminal renderer still matches.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The rows of the terminal tables: cells between `│` and `┆`, trimmed.
fn terminal_rows(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .filter_map(|l| l.strip_prefix('│')?.strip_suffix('│'))
        .map(|l| l.split(['│', '┆']).map(|c| c.trim().to_string()).collect())
        .collect()
}

/// Splits a Markdown table line on its unescaped `|`, keeping each cell's escapes.
fn markdown_cells(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut chars = line.trim().chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '|' => cells.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    cells.push(cur);
    // The outer pipes leave an empty first and last piece.
    cells[1..cells.len() - 1].iter().map(|c| c.trim().to_string()).collect()
}

/// What a Markdown cell or paragraph reads as: a code span's content, or the text with its
/// backslash escapes and entities undone.
fn markdown_plain(md: &str) -> String {
    let md = md.trim();
    if md.starts_with('`') && md.ends_with('`') && !md.starts_with("\\`") {
        let inner = md.trim_matches('`');
        let inner = inner.strip_prefix(' ').and_then(|i| i.strip_suffix(' ')).unwrap_or(inner);
        return inner.replace("\\|", "|");
    }
    let mut out = String::new();
    let mut chars = md.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(n)) if n.is_ascii_punctuation() => {
                out.push(n);
                chars.next();
            }
            (c, _) => out.push(c),
        }
    }
    decode_entities(&out)
}

/// The lines of Markdown outside fenced code blocks, and the blocks' lines.
fn markdown_split(md: &str) -> (Vec<&str>, Vec<Vec<&str>>) {
    let (mut prose, mut blocks) = (Vec::new(), Vec::new());
    let mut fence: Option<&str> = None;
    for l in md.lines() {
        match fence {
            None if l.starts_with("```") => {
                let n = l.len() - l.trim_start_matches('`').len();
                fence = Some(&l[..n]);
                blocks.push(Vec::new());
            }
            None => prose.push(l),
            Some(f) if l == f => fence = None,
            Some(_) => blocks.last_mut().expect("a block is open").push(l),
        }
    }
    assert!(fence.is_none(), "a fenced block is never closed");
    (prose, blocks)
}

/// The rows of the Markdown tables (delimiter rows left out), cells read as plain text.
fn markdown_rows(md: &str) -> Vec<Vec<String>> {
    let (prose, _) = markdown_split(md);
    prose
        .iter()
        .filter(|l| l.starts_with('|'))
        .map(|l| markdown_cells(l))
        .filter(|cells| !cells.iter().all(|c| c.chars().all(|ch| matches!(ch, '-' | ':'))))
        .map(|cells| cells.iter().map(|c| markdown_plain(c)).collect())
        .collect()
}

/// An HTML fragment as text: tags removed, entities decoded.
fn html_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    decode_entities(&out)
}

/// The rows of the HTML tables: the text of each `<td>`/`<th>` of each `<tr>`.
fn html_rows(html: &str) -> Vec<Vec<String>> {
    let cell_start = |s: &str| {
        let mut from = 0;
        while let Some(i) = s[from..].find("<t") {
            let at = from + i;
            let tail = &s[at + 2..];
            if (tail.starts_with('d') || tail.starts_with('h'))
                && tail[1..].starts_with(|c: char| c == '>' || c.is_whitespace())
            {
                return Some(at);
            }
            from = at + 2;
        }
        None
    };
    html.split("<tr")
        .skip(1)
        .map(|part| {
            let mut row = part.split("</tr>").next().unwrap_or("");
            let mut cells = Vec::new();
            while let Some(i) = cell_start(row) {
                let after = &row[i..];
                let Some(open) = after.find('>') else { break };
                let content = &after[open + 1..];
                let end = [content.find("</td>"), content.find("</th>")]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(content.len());
                cells.push(squash(&html_text(&content[..end])));
                row = &content[end..];
            }
            cells
        })
        .collect()
}

/// A number as a renderer prints it.
enum Check {
    /// A table row labelled `label` with these cells next to each other.
    Row { label: String, cells: Vec<String> },
    /// Text anywhere in the output (whitespace squashed).
    Text(String),
}

fn n(v: &Value) -> String {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}")).to_string()
}

fn ms1(v: &Value) -> String {
    format!("{:.1}", v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")))
}

fn pct(v: &Value) -> String {
    format!("{:.2}", v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")))
}

/// The numbers of a run every renderer must print, read from its JSON report.
fn checks(json: &Value) -> Vec<Check> {
    let mut c = Vec::new();
    let row = |label: &str, cells: Vec<String>| Check::Row { label: label.into(), cells };
    // The funnel.
    let f = &json["funnel"];
    c.push(row(
        "all routes",
        vec![n(&f["sent"]), n(&f["hit"]), n(&f["started"]), n(&f["completed"])],
    ));
    // Outcomes per status, as the percentages of all routes (two decimals); they are the
    // status counts of `outcomes`.
    let all = &json["loadtest"]["all_routes"];
    let total = json["outcomes"]["total"].as_f64().expect("total");
    for (status, col) in [("200", "200"), ("500", "500")] {
        let count = json["outcomes"]["status"][status].as_f64().unwrap_or(0.0);
        let printed = all["percent"][col].as_f64().expect("percent");
        assert!((count * 100.0 / total - printed).abs() < 0.006, "{status}: {count} vs {printed}%");
    }
    let p = &all["percent"];
    c.push(row(
        "All routes combined",
        vec![
            n(&all["total"]),
            pct(&p["200"]),
            pct(&p["no_response"]),
            pct(&p["404"]),
            pct(&p["500"]),
            pct(&p["other"]),
        ],
    ));
    // Lost requests by class.
    let corr = &json["correlation"];
    let k = &corr["lost_by_class"];
    c.push(row(
        "all routes",
        vec![
            n(&corr["matching"]["sent"]),
            n(&corr["lost"]),
            n(&k["never_reached_app"]),
            n(&k["no_query_started"]),
            n(&k["query_not_completed"]),
            n(&k["completed_but_failed"]),
        ],
    ));
    // Signature counts.
    for s in json["signatures"].as_array().expect("signatures") {
        c.push(row(s["id"].as_str().expect("id"), vec![n(&s["count"])]));
    }
    // Latency of successful requests over all routes, p95 included.
    let l = &json["latency_ms"];
    c.push(row(
        "all routes",
        ["min", "max", "mean", "median", "p90", "p95", "p99"].iter().fold(
            vec![n(&l["count"])],
            |mut v, key| {
                v.push(ms1(&l[*key]));
                v
            },
        ),
    ));
    // Clock skew: the signed estimate and the requests it rests on.
    for s in corr["skew"].as_array().expect("skew") {
        if s["method"] == "estimated" {
            let skew = s["skew_ms"].as_f64().expect("skew_ms");
            c.push(Check::Text(format!("{skew:+.1} ms")));
            c.push(Check::Text(format!("from {} requests", n(&s["pairs"]))));
        }
    }
    c
}

/// Asserts every check holds in one renderer's rows and text.
fn agree(what: &str, rows: &[Vec<String>], text: &str, checks: &[Check]) {
    let text = squash(text);
    for check in checks {
        match check {
            Check::Row { label, cells } => assert!(
                rows.iter().any(|r| r.first() == Some(label)
                    && r[1..].windows(cells.len()).any(|w| w == cells.as_slice())),
                "{what}: no row {label:?} with {cells:?}; rows:\n{rows:#?}"
            ),
            Check::Text(t) => assert!(text.contains(t.as_str()), "{what}: no {t:?} in\n{text}"),
        }
    }
}

/// The HTML page prints the same numbers in its tables.
fn html_agrees(path: &str, checks: &[Check]) {
    let html = analyze(&[path, "--format", "html"]);
    agree(&format!("html {path}"), &html_rows(&html), &html_text(&html), checks);
}

#[test]
fn table_readers_read_cells() {
    let html = "<table><thead><tr><th>route</th><th>n</th></tr></thead>\
                <tr><td class=\"l\"><code>a&lt;b</code></td>\n<td>1050</td></tr></table>";
    assert_eq!(html_rows(html), [vec!["route", "n"], vec!["a<b", "1050"]]);
    let md = "| route | n |\n| --- | ---: |\n| `a\\|b` | 1 |\n| x\\_y &lt; | 2 |\n";
    assert_eq!(markdown_rows(md), [vec!["route", "n"], vec!["a|b", "1"], vec!["x_y <", "2"]]);
    assert_eq!(terminal_rows("│ a ┆ 1 │\n└──┘"), [vec!["a", "1"]]);
}

#[test]
fn renderers_agree_on_the_numbers() {
    for name in ["pool-exhaustion", "eof-open-transaction"] {
        let path = sample(name);
        let json = analyze_json(&[&path]);
        let checks = checks(&json);
        assert!(checks.len() >= 7, "{name}: {} checks", checks.len());

        let table = analyze(&[&path, "--width", "200"]);
        agree(&format!("table {name}"), &terminal_rows(&table), &table, &checks);

        let md = analyze(&[&path, "--format", "md"]);
        let (prose, _) = markdown_split(&md);
        let md_text: Vec<String> = prose.iter().map(|l| markdown_plain(l)).collect();
        agree(&format!("md {name}"), &markdown_rows(&md), &md_text.join("\n"), &checks);

        html_agrees(&path, &checks);
    }
    // The numbers are distinctive: pool-exhaustion's funnel and its failure share.
    let json = analyze_json(&[&sample("pool-exhaustion")]);
    assert_eq!(json["funnel"]["sent"], 1050);
    assert_eq!(json["correlation"]["lost"], 161);
    assert_eq!(json["funnel"]["completed"], 889);
    assert_eq!(json["loadtest"]["all_routes"]["percent"]["500"], 15.33);
}

/// Every table: a header, a delimiter row, and rows with the header's cell count.
fn assert_tables_are_regular(md: &str) {
    let (prose, _) = markdown_split(md);
    let mut k = 0;
    let mut tables = 0;
    while k < prose.len() {
        if !prose[k].starts_with('|') {
            k += 1;
            continue;
        }
        tables += 1;
        let width = markdown_cells(prose[k]).len();
        let delimiter = markdown_cells(prose.get(k + 1).copied().unwrap_or(""));
        assert!(
            delimiter.len() == width
                && delimiter.iter().all(|c| c == "---" || c == "---:" || c == ":---"),
            "table at line {k} has no delimiter row: {:?}",
            prose.get(k + 1)
        );
        k += 2;
        while k < prose.len() && prose[k].starts_with('|') {
            assert_eq!(markdown_cells(prose[k]).len(), width, "row {:?}", prose[k]);
            k += 1;
        }
    }
    assert!(tables >= 5, "{tables} tables");
}

#[test]
fn markdown_starts_with_summary_and_hypothesis() {
    let path = sample("pool-exhaustion");
    let json = analyze_json(&[&path]);
    let md = analyze(&[&path, "--format", "md"]);
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "# rootcause report");
    assert_eq!(lines[1], "");
    assert_eq!(markdown_plain(lines[2]), json["diagnosis"]["statement"].as_str().expect("text"));
    // The next heading is the hypothesis, before any table.
    let next_heading = lines.iter().skip(3).position(|l| l.starts_with('#')).expect("heading") + 3;
    assert_eq!(lines[next_heading], "## Hypothesis");
    let first_table = lines.iter().position(|l| l.starts_with('|')).expect("a table");
    assert!(next_heading < first_table);
    let hyp = &json["hypotheses"][0];
    assert!(lines[next_heading..first_table].iter().any(|l| l.starts_with("**Cause:** ")
        && l.contains(&format!("`{}`", hyp["root"].as_str().expect("root")))
        && l.contains("(high confidence, 0.95)")));
    assert!(lines[next_heading..first_table].contains(&"**Fix:** The pool allows pool\\_size 5 + max\\_overflow 10 = 15 connections per process; 1 process (werkzeug's development server runs one process) → up to 15 connections; 161 checkouts timed out after 2.00 s waiting for one. Postgres' max\\_connections is not in the logs (SHOW max\\_connections; with log\\_connections on, rootcause counts the backends). At the median query time of 615 ms, 15 connections complete at most about 24 queries per second per process; the load tool sent up to 51 requests in one second (from 15:39:40.187 UTC). Find what holds connections (slow SQL, long transactions, sessions not closed in teardown). Size pool\\_size + max\\_overflow to at least the request threads per process, while keeping processes x (pool\\_size + max\\_overflow) below Postgres max\\_connections minus reserved slots; put PgBouncer in front when that budget is too small."));

    // The hypothesis' evidence lines are in a fenced block, `path:line  text`, before any
    // table; each signature's evidence follows in a block of its own.
    let (_, blocks) = markdown_split(&md);
    let evidence: Vec<String> = hyp["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .map(|e| {
            let file = Path::new(e["path"].as_str().expect("path")).file_name().expect("name");
            format!("{}:{}  {}", file.to_string_lossy(), e["line"], e["text"].as_str().expect("t"))
        })
        .collect();
    assert_eq!(evidence.len(), 5);
    let first_block = blocks.first().expect("a fenced block");
    assert_eq!(first_block, &evidence.iter().map(String::as_str).collect::<Vec<_>>());
    let fence_line = lines.iter().position(|l| l.starts_with("```")).expect("fence");
    assert!(fence_line < first_table, "hypothesis evidence comes before the tables");
    assert_eq!(blocks.len(), 1 + json["signatures"].as_array().expect("sigs").len());

    assert_tables_are_regular(&md);
}

#[test]
fn markdown_accepts_charts_dir() {
    let dir = TempDir::new("md-charts");
    let charts = dir.join("charts");
    let md = analyze(&[
        &sample("pool-exhaustion"),
        "--format",
        "md",
        "--charts",
        charts.to_str().expect("utf-8"),
    ]);
    assert!(md.starts_with("# rootcause report\n"));
    assert!(charts.is_dir());
}

#[test]
fn markdown_renders_several_runs_in_sections() {
    let md =
        analyze(&[&sample("pool-exhaustion"), &sample("eof-open-transaction"), "--format", "md"]);
    assert!(md.starts_with("# rootcause report: pool-exhaustion, eof-open-transaction\n"));
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(headings, ["## Run pool-exhaustion", "## Run eof-open-transaction"]);
    assert!(md.contains("\n### Hypothesis\n"));
    assert!(md.contains("\n### Signatures\n"));
    assert_tables_are_regular(&md);
}

const SCRIPT: &str = "<script>alert(1)</script>";
const LINK: &str = "[x](javascript:alert(1))";

#[test]
fn markdown_is_inert_to_markup_in_logs() {
    let dir = TempDir::new("md-inject");
    let route = format!("/businesses?id={SCRIPT}{LINK}|");
    // The route, in the load tool's CSV and the app's JSON lines, lands in table cells; the
    // QueuePool message, evidence of the root cause, lands in fenced blocks (with a backtick
    // run that would close a three-backtick fence).
    let payload = format!("3o7r ```` {SCRIPT} {LINK} |");
    for file in ["hammer.csv", "app.log", "postgresql.log", "stderr.log"] {
        let text = std::fs::read_to_string(case("pool-exhaustion").join(file)).expect("read");
        let text = match file {
            "hammer.csv" => text.replace(",/businesses?id=,", &format!(",{route},")),
            "app.log" => text
                .replace("\"route\": \"/businesses?id=\"", &format!("\"route\": \"{route}\""))
                .replace("/e/21/3o7r", &format!("/e/21/{payload}")),
            _ => text,
        };
        std::fs::write(dir.join(file), text).expect("write");
    }
    let path = dir.0.to_str().expect("utf-8");
    let json = analyze_json(&[path]);
    assert!(json["funnel"]["by_route"].get(&route).is_some(), "the route reached the report");
    let ev = json["hypotheses"][0]["evidence"][0]["text"].as_str().expect("evidence");
    assert!(ev.contains(SCRIPT), "the payload reached the evidence: {ev}");

    let md = analyze(&[path, "--format", "md"]);
    let (prose, blocks) = markdown_split(&md);
    for l in &prose {
        for raw in [SCRIPT, "<script", LINK, "[x]", route.as_str()] {
            assert!(!l.contains(raw), "raw {raw:?} outside code: {l}");
        }
        // A link needs `](` with its `]` unescaped.
        for (i, _) in l.match_indices("](javascript:") {
            assert!(l[..i].ends_with('\\'), "a live link outside code: {l}");
        }
    }
    // The route is one cell, read back as it was.
    assert_tables_are_regular(&md);
    let rows = markdown_rows(&md);
    assert!(rows.iter().any(|r| r.first() == Some(&route)), "route cell read back");
    // The evidence is data, kept verbatim inside a fence longer than its backtick run.
    assert!(blocks.iter().flatten().any(|l| l.contains(&payload)));
    assert!(md.contains("\n`````text\n"));
}
