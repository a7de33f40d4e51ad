//! The Markdown renderer: GitHub-flavoured Markdown that pastes into a ticket as is.
//!
//! A run's section opens with what a ticket needs first: the diagnosis as one paragraph, then
//! each hypothesis (chain, confidence, summary, fix, evidence in a fenced block), then links to
//! the charts written with `--charts`, then the terminal report's tables as GFM pipe tables,
//! with the same numbers formatted the same way ([`super::prose`]). Several runs get one `##`
//! section each, every heading inside one level deeper.
//!
//! Log text is data. Outside code, every report string goes through [`text`]: `<`, `>` and `&`
//! become entities, the Markdown specials that could start emphasis, a link, an image, code or
//! a table cell are backslash-escaped, and newlines are removed, so a log line cannot inject
//! markup a tracker renders. Code spans ([`code`]) and fenced blocks (`Doc::fenced`) use a fence
//! longer than any backtick run of their content. This module only writes to the `Write` it is
//! given.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::Path;

use super::charts::ChartFile;
use super::lt_tables::{OUTCOME_COLUMNS, offset};
use super::prose::{
    self, Clock, FAILURE_COLUMNS, LATENCY_COLUMNS, PHASE_COLUMNS, THROUGHPUT_COLUMNS, common_dir,
};
use super::{EvidenceOut, HypothesisOut, LoadTestOut, OutcomeRow, Report};

/// Renders one report or several runs; `charts` holds, per run name, the chart files written
/// with `--charts`.
pub fn render_runs(
    runs: &[(&str, &Report)],
    charts: &[(String, Vec<ChartFile>)],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut d = Doc { out, started: false };
    let charts_of = |name: &str| -> &[ChartFile] {
        charts.iter().find(|(n, _)| n == name).map_or(&[], |(_, files)| files.as_slice())
    };
    match runs {
        [(name, r)] => {
            let title = if name.is_empty() {
                "rootcause report".to_string()
            } else {
                format!("rootcause report: {}", text(name))
            };
            d.heading(1, &title)?;
            run(&mut d, r, charts_of(name), 2)
        }
        _ => {
            let names: Vec<String> = runs.iter().map(|(n, _)| text(n)).collect();
            d.heading(1, &format!("rootcause report: {}", names.join(", ")))?;
            d.para(&format!("{} runs compared.", runs.len()))?;
            let items: Vec<String> = runs
                .iter()
                .map(|(n, r)| format!("**{}**: {}", text(n), text(&statement(r))))
                .collect();
            d.list(&items)?;
            for (name, r) in runs {
                d.heading(2, &format!("Run {}", text(name)))?;
                run(&mut d, r, charts_of(name), 3)?;
            }
            Ok(())
        }
    }
}

/// The diagnosis statement; a healthy run's says "No failure found" plainly.
fn statement(r: &Report) -> String {
    let s = &r.diagnosis.statement;
    if r.diagnosis.verdict == "no_failure" && !s.starts_with("No failure found") {
        format!("No failure found. {s}")
    } else {
        s.clone()
    }
}

/// One run: summary, hypotheses, charts, then the tables, with sections at heading `level`.
fn run(d: &mut Doc<'_>, r: &Report, charts: &[ChartFile], level: usize) -> io::Result<()> {
    let dir = common_dir(r);
    let short = |p: &str| p.strip_prefix(dir.as_str()).unwrap_or(p).to_string();
    let v = View { r, clock: Clock::of(r), short: &short, level };
    d.para(&text(&statement(r)))?;
    let several = r.hypotheses.len() > 1;
    for h in &r.hypotheses {
        hypothesis(d, &v, h, several)?;
    }
    if !charts.is_empty() {
        d.heading(level, "Charts")?;
        for c in charts {
            // The PNG shows inline in trackers; the SVG is linked beside it. A backslash at
            // the end of the line is a hard line break.
            d.para(&format!(
                "![{}]({})\\\n[SVG]({})",
                text(&c.title),
                link_dest(&c.png),
                link_dest(&c.svg)
            ))?;
        }
    }
    if let Some(line) = prose::times(r) {
        d.para(&text(&line))?;
    }
    inputs(d, &v, &dir)?;
    loadtest(d, &v)?;
    funnel(d, &v)?;
    correlation(d, &v)?;
    signatures(d, &v)?;
    symptoms(d, &v)
}

/// The symptoms derived from the data, and what could not be judged.
fn symptoms(d: &mut Doc<'_>, v: &View<'_>) -> io::Result<()> {
    let r = v.r;
    d.heading(v.level, "Symptoms")?;
    if r.symptoms.is_empty() {
        d.para("None: no 5xx, no unanswered request, no latency plateau, no funnel drop.")?;
    } else {
        let mut t = Table::new(&[
            ("symptom", Left),
            ("onset", Left),
            ("affected", Right),
            ("what the data shows", Left),
        ]);
        for s in &r.symptoms {
            let [id, onset, n, detail] = prose::symptom_cells(s, v.clock);
            t.row(vec![code_cell(&id), text(&onset), text(&n), text(&detail)]);
        }
        d.table(&t)?;
    }
    for n in &r.symptom_notes {
        d.para(&text(n))?;
    }
    Ok(())
}

/// What every section of one run shares.
struct View<'a> {
    r: &'a Report,
    clock: Clock,
    short: &'a dyn Fn(&str) -> String,
    /// Heading level of the run's sections.
    level: usize,
}

/// Evidence lines for a fenced block: `path:line  text`.
fn evidence_lines(v: &View<'_>, ev: &[EvidenceOut]) -> Vec<String> {
    ev.iter().map(|e| format!("{}:{}  {}", (v.short)(&e.path), e.line, e.text)).collect()
}

fn hypothesis(d: &mut Doc<'_>, v: &View<'_>, h: &HypothesisOut, several: bool) -> io::Result<()> {
    let title = if several { format!("Hypothesis {}", h.rank) } else { "Hypothesis".to_string() };
    d.heading(v.level, &title)?;
    d.para(&format!(
        "**Cause:** {} ({} confidence, {:.2})",
        code(&h.root),
        text(h.confidence_label),
        h.confidence
    ))?;
    let steps = prose::chain_steps(h, v.clock, v.short);
    if !steps.is_empty() {
        d.numbered(&steps.iter().map(|s| text(s)).collect::<Vec<_>>())?;
    }
    d.para(&text(&h.summary))?;
    d.para(&text(&prose::scores(h)))?;
    d.para(&format!("**Fix:** {}", text(&h.fix)))?;
    if !h.evidence.is_empty() {
        d.para(&format!("Evidence for {}:", code(&h.root)))?;
        d.fenced(&evidence_lines(v, &h.evidence))?;
    }
    if !h.evidence_against.is_empty() {
        d.para("Against:")?;
        let items: Vec<String> = h.evidence_against.iter().map(|a| text(a)).collect();
        d.list(&items)?;
    }
    Ok(())
}

/// The inputs, what was not understood, and folder-walk warnings.
fn inputs(d: &mut Doc<'_>, v: &View<'_>, dir: &str) -> io::Result<()> {
    let r = v.r;
    let short = v.short;
    let title =
        if dir.is_empty() { "Inputs".to_string() } else { format!("Inputs (in {})", code(dir)) };
    d.heading(v.level, &title)?;
    let mut t = Table::new(&[
        ("input", Left),
        ("format", Left),
        ("lines", Right),
        ("parsed", Right),
        ("skipped", Right),
        ("notes", Left),
    ]);
    for i in &r.inputs {
        t.row(vec![
            text(&short(&i.path)),
            text(&prose::input_format(i)),
            num(i.lines),
            num(i.parsed),
            num(i.skipped),
            text(&prose::input_notes(i)),
        ]);
    }
    d.table(&t)?;
    if let Some(line) = prose::timestamps(r) {
        d.para(&text(&line))?;
    }
    let skipped = prose::inputs_not_understood(r);
    if !skipped.is_empty() {
        d.heading(v.level + 1, "Lines not understood")?;
        let mut t =
            Table::new(&[("input", Left), ("reason", Left), ("lines", Right), ("first at", Left)]);
        for i in skipped {
            let path = text(&short(&i.path));
            for row in prose::not_understood(i) {
                t.row(vec![
                    path.clone(),
                    text(&row.reason),
                    row.lines.map_or_else(String::new, num),
                    text(&row.first_at),
                ]);
            }
        }
        d.table(&t)?;
    }
    if !r.warnings.is_empty() {
        let items: Vec<String> = r.warnings.iter().map(|w| text(&prose::walk_warning(w))).collect();
        d.list(&items)?;
    }
    Ok(())
}

/// One outcome table: a row per key with the requests and the five percentages, then an
/// optional total row.
fn outcome_table(
    first: &str,
    rows: &[(String, &OutcomeRow)],
    total: Option<(&str, &OutcomeRow)>,
) -> Table {
    let mut cols = vec![(first, Left), ("requests", Right)];
    cols.extend(OUTCOME_COLUMNS.iter().map(|c| (*c, Right)));
    let mut t = Table::new(&cols);
    let line = |label: String, row: &OutcomeRow| -> Vec<String> {
        std::iter::once(label).chain(prose::outcome_cells(row)).collect()
    };
    for (label, row) in rows {
        t.row(line(text(label), row));
    }
    if let Some((label, row)) = total {
        t.row(line(text(label), row));
    }
    t
}

/// Offsets in µs, so rows sort by offset as in the terminal.
fn offset_rows<'a>(rows: impl Iterator<Item = &'a OutcomeRow>) -> Vec<(String, &'a OutcomeRow)> {
    let keyed: BTreeMap<i64, &OutcomeRow> =
        rows.map(|row| ((row.offset_ms.unwrap_or(0.0) * 1000.0).round() as i64, row)).collect();
    keyed.into_iter().map(|(k, row)| (offset(k as f64 / 1000.0), row)).collect()
}

/// Table columns: the first left-aligned, `right` right-aligned.
fn columns<'a>(first: &'a str, right: &[&'a str]) -> Vec<(&'a str, Align)> {
    std::iter::once((first, Left)).chain(right.iter().map(|c| (*c, Right))).collect()
}

/// The seed report's load-test tables, as the terminal shows one run's, under one heading.
fn loadtest(d: &mut Doc<'_>, v: &View<'_>) -> io::Result<()> {
    let lt: &LoadTestOut = &v.r.loadtest;
    if lt.all_routes.total == 0 {
        return Ok(());
    }
    d.heading(v.level, "Load test")?;
    let sub = v.level + 1;
    let bursts: BTreeSet<u32> = lt.by_burst_offset.iter().filter_map(|row| row.burst).collect();
    for b in bursts {
        d.heading(sub, &format!("Request count {b}: outcomes by offset (% of requests)"))?;
        let rows = offset_rows(lt.by_burst_offset.iter().filter(|row| row.burst == Some(b)));
        d.table(&outcome_table("offset ms", &rows, None))?;
    }
    if !lt.by_offset.is_empty() {
        d.heading(sub, "Overall: outcomes by offset (% of requests)")?;
        d.table(&outcome_table("offset ms", &offset_rows(lt.by_offset.iter()), None))?;
    }
    d.heading(sub, "Per route: outcomes (% of requests)")?;
    let routes: BTreeMap<String, &OutcomeRow> =
        lt.by_route.iter().map(|row| (row.route.clone().unwrap_or_default(), row)).collect();
    let routes: Vec<(String, &OutcomeRow)> = routes.into_iter().collect();
    d.table(&outcome_table("route", &routes, Some(("All routes combined", &lt.all_routes))))?;

    d.heading(sub, prose::latency_title(lt.basis == "aggregate"))?;
    let mut t = Table::new(&columns("route", &LATENCY_COLUMNS));
    for (route, l) in &lt.latency_ms.by_route {
        t.row(std::iter::once(text(route)).chain(prose::latency_cells(l)).collect());
    }
    let overall = prose::latency_cells(&lt.latency_ms.overall);
    t.row(std::iter::once("all routes".to_string()).chain(overall).collect());
    d.table(&t)?;

    if let Some(tp) = lt.throughput {
        d.heading(sub, "Throughput (requests/s)")?;
        let mut t = Table::new(&columns("", &THROUGHPUT_COLUMNS));
        let cells = prose::throughput_cells(Some(tp), lt.peak_sent_per_s);
        t.row(std::iter::once("all routes".to_string()).chain(cells).collect());
        d.table(&t)?;
    }

    if !lt.phases.is_empty() {
        d.heading(sub, "Latency phases (in send order)")?;
        // The phase and its requests (`1–500`) are text; the rest are numbers.
        let cols: Vec<(&str, Align)> = PHASE_COLUMNS
            .iter()
            .enumerate()
            .map(|(k, c)| (*c, if k < 2 { Left } else { Right }))
            .collect();
        let mut t = Table::new(&cols);
        for [phase, requests, rest @ ..] in prose::phase_rows(&lt.phases) {
            t.row([text(&phase), requests].into_iter().chain(rest).collect());
        }
        d.table(&t)?;
        if let Some(det) = lt.phase_detection {
            d.para(&text(&prose::phase_detection(&det)))?;
        }
    }

    if !lt.failure_groups.is_empty() {
        d.heading(sub, "Failures reported by the load tool")?;
        let [route, error, reads_as, occurrences] = FAILURE_COLUMNS;
        let mut t =
            Table::new(&[(route, Left), (error, Left), (reads_as, Left), (occurrences, Right)]);
        for f in &lt.failure_groups {
            let [route, error, reads_as, occurrences] = prose::failure_cells(f);
            t.row(vec![text(&route), text(&error), text(&reads_as), occurrences]);
        }
        d.table(&t)?;
    }
    for n in &lt.notes {
        d.para(&text(&prose::loadtest_note(n)))?;
    }
    for u in &lt.unavailable {
        d.para(&text(&prose::not_shown(u)))?;
    }
    Ok(())
}

/// The funnel and the sentences under it.
fn funnel(d: &mut Doc<'_>, v: &View<'_>) -> io::Result<()> {
    let f = &v.r.funnel;
    d.heading(v.level, "Funnel")?;
    if !f.has_app_log && f.sent == 0 {
        return d.para("No load-test or application data.");
    }
    let mut t = Table::new(&[
        ("route", Left),
        ("sent", Right),
        ("hit", Right),
        ("started", Right),
        ("completed", Right),
    ]);
    for (route, c) in &f.by_route {
        t.row(vec![text(route), num(c.sent), num(c.hit), num(c.started), num(c.completed)]);
    }
    t.row(vec!["all routes".into(), num(f.sent), num(f.hit), num(f.started), num(f.completed)]);
    d.table(&t)?;
    for (_, line) in prose::funnel_notes(v.r) {
        d.para(&text(&line))?;
    }
    Ok(())
}

/// Clock skew, lost requests by class and route, the funnel over time and the loss onset.
fn correlation(d: &mut Doc<'_>, v: &View<'_>) -> io::Result<()> {
    let r = v.r;
    let c = &r.correlation;
    let skews = prose::interesting_skews(r);
    if !skews.is_empty() {
        d.heading(v.level, "Clock skew")?;
        let items: Vec<String> = skews.iter().map(|s| text(&prose::skew(r, s, v.short))).collect();
        d.list(&items)?;
    }
    match &c.lost_by_class {
        None => {
            if let Some(line) = prose::lost_without_app(r) {
                d.para(&text(&line))?;
            }
        }
        Some(classes) => {
            if c.lost > 0 {
                d.heading(v.level, "Lost requests (client saw a 5xx or no response)")?;
                let mut t = Table::new(&columns("route", &prose::LOST_COLUMNS));
                let row = |name: String, sent: u64, lost: u64, k: &crate::requests::LostCounts| {
                    std::iter::once(name)
                        .chain(prose::lost_counts(sent, lost, k).map(num))
                        .collect()
                };
                for (route, rl) in &c.lost_by_route {
                    t.row(row(text(route), rl.sent, rl.lost, &rl.classes));
                }
                t.row(row("all routes".into(), c.matching.sent, c.lost, classes));
                d.table(&t)?;
                if let Some(line) = prose::lost_outcomes(r) {
                    d.para(&text(&line))?;
                }
            }
            if let Some(line) = prose::matching(r) {
                d.para(&text(&line))?;
            }
        }
    }
    buckets(d, v)
}

/// The funnel over time (buckets without requests left out, and counted), then the onset.
fn buckets(d: &mut Doc<'_>, v: &View<'_>) -> io::Result<()> {
    if v.r.correlation.buckets.is_empty() {
        return Ok(());
    }
    d.heading(v.level, &text(&prose::buckets_title(v.r)))?;
    let mut t = Table::new(&columns("start", &prose::BUCKET_COLUMNS));
    for b in prose::shown_buckets(v.r) {
        let start = text(&v.clock.show(Some(&b.start)));
        t.row(std::iter::once(start).chain(prose::bucket_counts(b).map(num)).collect());
    }
    d.table(&t)?;
    for line in prose::bucket_notes(v.r) {
        d.para(&text(&line))?;
    }
    if let Some(line) = prose::onset(v.r, v.clock, v.short) {
        d.para(&text(&line))?;
    }
    Ok(())
}

/// The signatures found, then each one's evidence.
fn signatures(d: &mut Doc<'_>, v: &View<'_>) -> io::Result<()> {
    let r = v.r;
    d.heading(v.level, "Signatures")?;
    if r.signatures.is_empty() {
        return d.para("None of the catalogued signatures appear in the logs.");
    }
    let mut t = Table::new(&[
        ("signature", Left),
        ("kind", Left),
        ("count", Right),
        ("first seen", Left),
        ("last seen", Left),
        ("first evidence", Left),
    ]);
    for s in &r.signatures {
        let ev = s
            .evidence
            .first()
            .map_or_else(String::new, |e| format!("{}:{}", (v.short)(&e.path), e.line));
        t.row(vec![
            code_cell(&s.id),
            text(if s.failure { "failure" } else { "context" }),
            num(s.count),
            text(&v.clock.show(s.first_seen.as_deref())),
            text(&v.clock.show(s.last_seen.as_deref())),
            text(&ev),
        ]);
    }
    d.table(&t)?;
    for s in &r.signatures {
        d.heading(v.level + 1, &format!("{}: {}", code(&s.id), text(&s.title)))?;
        let by: Vec<String> =
            s.by_source.iter().map(|(p, n)| format!("{} {n}", (v.short)(p))).collect();
        d.para(&text(&format!(
            "{} matches from {} to {}, severity {}{}; by input: {}.",
            s.count,
            v.clock.show(s.first_seen.as_deref()),
            v.clock.show(s.last_seen.as_deref()),
            s.severity,
            if s.failure { ", a failure" } else { "" },
            by.join(", ")
        )))?;
        if !s.evidence.is_empty() {
            d.fenced(&evidence_lines(v, &s.evidence))?;
        }
    }
    Ok(())
}

fn num(n: u64) -> String {
    n.to_string()
}

/// Escapes report text for Markdown outside code: HTML specials become entities, Markdown
/// specials that could start emphasis, code, a link, an image, math or a table cell are
/// backslash-escaped, a leading block marker (`#`, `-`, `+`, `=`, `1.`) is escaped, and
/// newlines become spaces. Safe in paragraphs, list items, headings and table cells.
pub fn text(s: &str) -> String {
    let s = s.trim();
    let mut out = String::with_capacity(s.len() + 8);
    // A leading `1.` or `1)` would start an ordered list: escape its punctuation.
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    let list_marker = digits > 0
        && matches!(s.chars().nth(digits), Some('.' | ')'))
        && s.chars().nth(digits + 1).is_none_or(|c| c == ' ');
    for (k, c) in s.chars().enumerate() {
        match c {
            '\n' | '\r' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '-' | '+' | '=' if k == 0 => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if list_marker && k == digits => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A code span around `s`, fenced with more backticks than any run in it; newlines become
/// spaces. Not for table cells: see [`code_cell`].
pub fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    if s.is_empty() {
        return String::new();
    }
    let fence = "`".repeat(longest_backtick_run(&s) + 1);
    // A span strips one space from each end when both have one; a backtick at either end
    // would join the fence. Padding with a space on both sides keeps the content as is.
    let pad = s.starts_with('`') || s.ends_with('`') || (s.starts_with(' ') && s.ends_with(' '));
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// [`code`] for a table cell: GFM splits cells on `|` even inside code spans, so it is
/// escaped (and shown as `|`).
pub fn code_cell(s: &str) -> String {
    code(s).replace('|', "\\|")
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// The fence for a block of `lines`: at least three backticks, more than any run in them.
fn fence_for(lines: &[String]) -> String {
    let longest = lines.iter().map(|l| longest_backtick_run(l)).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// A path as a link destination: `/` kept, unreserved characters kept, everything else
/// percent-encoded (spaces, parentheses, `<`, `>`, `:`), so the link cannot be cut short or
/// read as another scheme. Relative paths stay relative.
fn link_dest(p: &Path) -> String {
    let s = p.to_string_lossy();
    let s = if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    };
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}
use Align::{Left, Right};

/// A GFM pipe table whose cells are Markdown already escaped.
struct Table {
    header: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(cols: &[(&str, Align)]) -> Table {
        Table { header: cols.iter().map(|(h, a)| (text(h), *a)).collect(), rows: Vec::new() }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

/// The document being written: blocks separated by one blank line.
struct Doc<'a> {
    out: &'a mut dyn Write,
    started: bool,
}

impl Doc<'_> {
    /// Starts a block: a blank line after the previous one.
    fn block(&mut self) -> io::Result<()> {
        if self.started {
            self.out.write_all(b"\n")?;
        }
        self.started = true;
        Ok(())
    }

    /// A heading; `md` is Markdown already escaped.
    fn heading(&mut self, level: usize, md: &str) -> io::Result<()> {
        self.block()?;
        writeln!(self.out, "{} {md}", "#".repeat(level.clamp(1, 6)))
    }

    /// A paragraph; `md` is Markdown already escaped.
    fn para(&mut self, md: &str) -> io::Result<()> {
        self.block()?;
        writeln!(self.out, "{md}")
    }

    /// A bullet list; the items are Markdown already escaped.
    fn list(&mut self, items: &[String]) -> io::Result<()> {
        self.block()?;
        for i in items {
            writeln!(self.out, "- {i}")?;
        }
        Ok(())
    }

    /// A numbered list; the items are Markdown already escaped.
    fn numbered(&mut self, items: &[String]) -> io::Result<()> {
        self.block()?;
        for (i, item) in items.iter().enumerate() {
            writeln!(self.out, "{}. {item}", i + 1)?;
        }
        Ok(())
    }

    fn table(&mut self, t: &Table) -> io::Result<()> {
        self.block()?;
        let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
            let mut s = String::from("|");
            for c in cells {
                s.push(' ');
                s.push_str(c);
                s.push_str(" |");
            }
            s
        };
        writeln!(self.out, "{}", line(&mut t.header.iter().map(|(h, _)| h.as_str())))?;
        let rule: Vec<&str> = t
            .header
            .iter()
            .map(|(_, a)| match a {
                Left => "---",
                Right => "---:",
            })
            .collect();
        writeln!(self.out, "{}", line(&mut rule.iter().copied()))?;
        let width = t.header.len();
        for r in &t.rows {
            // Every row has the header's cell count, so a short row cannot shift columns.
            let cells = r.iter().map(String::as_str).chain(std::iter::repeat(""));
            writeln!(self.out, "{}", line(&mut cells.take(width)))?;
        }
        Ok(())
    }

    /// A fenced code block of `lines`, which are data: shown as they are.
    fn fenced(&mut self, lines: &[String]) -> io::Result<()> {
        self.block()?;
        let lines: Vec<String> = lines.iter().map(|l| l.replace(['\n', '\r'], " ")).collect();
        let fence = fence_for(&lines);
        writeln!(self.out, "{fence}text")?;
        for l in &lines {
            writeln!(self.out, "{l}")?;
        }
        writeln!(self.out, "{fence}")
    }
}

#[cfg(test)]
mod tests;
