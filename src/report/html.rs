//! The HTML renderer: one self-contained page (inline CSS and SVG, nothing fetched).
//!
//! The page has no script and loads nothing: a `Content-Security-Policy` meta forbids both, and
//! the charts ([`super::charts`]) are inline SVG. It shows what the terminal shows
//! ([`super::table`]) in the same words, with the diagnosis, the hypotheses and the charts
//! first. Every string that comes from the report goes through [`escape`] (log text is
//! already free of control characters, see [`super::sanitize`], but not of `<` or `&`); the
//! charts' text is escaped by the SVG backend. With several runs the page has one section per
//! run. The sentences, and the cells that need formatting, come from [`super::prose`], as in
//! the terminal and Markdown reports. Like every renderer it only writes to the `Write` it is
//! given.

use std::fmt;
use std::io::{self, Write};

use super::charts::{self, Kind};
use super::lt_tables::{OUTCOME_COLUMNS, offset};
use super::prose::{
    self, Clock, FAILURE_COLUMNS, LATENCY_COLUMNS, PHASE_COLUMNS, THROUGHPUT_COLUMNS, Tone,
    common_dir,
};
use super::{HypothesisOut, LatencySummary, OutcomeRow, Report, sanitize};

/// Text made safe for HTML element content and quoted attribute values: `&`, `<`, `>`, `"`
/// and `'` become character references.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(&'a str);

/// Escapes `s` for HTML (see [`Escaped`]); the one way report text reaches the page.
pub fn escape(s: &str) -> Escaped<'_> {
    Escaped(s)
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut last = 0;
        for (i, ch) in s.char_indices() {
            let entity = match ch {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => continue,
            };
            f.write_str(s.get(last..i).unwrap_or_default())?;
            f.write_str(entity)?;
            last = i + 1;
        }
        f.write_str(s.get(last..).unwrap_or_default())
    }
}

const STYLE: &str = "\
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1f;\
margin:0 auto;max-width:1100px;padding:16px 24px 48px}\
h1{font-size:1.6em;margin:.4em 0 .2em}h2{font-size:1.3em;margin:1.6em 0 .4em;\
border-bottom:1px solid #ddd;padding-bottom:.2em}h3{font-size:1.1em;margin:1.3em 0 .4em}\
h4{font-size:1em;margin:1em 0 .3em}\
.tool{color:#666;margin:0}\
.verdict{font-size:1.1em;padding:.6em .9em;border-left:5px solid #888;background:#f6f6f6}\
.verdict-explained{border-color:#d62728}.verdict-unexplained{border-color:#ff7f0e}\
.verdict-signatures_only{border-color:#ff7f0e}.verdict-no_failure{border-color:#2ca02c}\
.hypothesis{border:1px solid #e3e3e3;border-radius:6px;padding:.2em 1em .6em;margin:1em 0}\
table{border-collapse:collapse;margin:.4em 0 .6em;font-size:.92em}\
th,td{border:1px solid #d9d9d9;padding:.25em .6em;text-align:left;vertical-align:top}\
th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}\
tr.total td{font-weight:600}td.lost{color:#b00}\
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.6em;white-space:pre-wrap;\
overflow-wrap:anywhere;font-size:.88em}\
figure{margin:1em 0 1.6em}figure svg{max-width:100%;height:auto;display:block}\
figcaption{color:#555;font-size:.9em;margin-top:.3em}figcaption b{color:#1d1d1f}\
.note{color:#555}.failure{color:#b00}\
section.run{border-top:3px solid #444;margin-top:2.4em}";

/// Renders one report or several runs as one page.
pub fn render_runs(runs: &[(&str, &Report)], out: &mut dyn Write) -> io::Result<()> {
    let title = match runs {
        [(_, r)] => format!("rootcause report — {}", r.diagnosis.verdict.replace('_', " ")),
        _ => format!("rootcause report — {} runs", runs.len()),
    };
    write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    )?;
    let tool = runs.first().map(|(_, r)| &r.tool);
    writeln!(out, "<h1>{}</h1>", escape(&title))?;
    if let Some(t) = tool {
        writeln!(
            out,
            "<p class=\"tool\">Written by {} {}.</p>",
            escape(t.name),
            escape(t.version)
        )?;
    }
    match runs {
        [(_, r)] => body(out, r, 2, "")?,
        _ => {
            let names: Vec<String> = runs.iter().map(|(n, _)| sanitize(n)).collect();
            writeln!(
                out,
                "<p>{} runs compared: {}.</p>\n<ul>",
                runs.len(),
                escape(&names.join(", "))
            )?;
            for (name, (_, r)) in names.iter().zip(runs) {
                writeln!(
                    out,
                    "<li><a href=\"#run-{}\">{}</a>: {}</li>",
                    escape(&charts::file_stem(name)),
                    escape(name),
                    escape(&r.diagnosis.statement)
                )?;
            }
            writeln!(out, "</ul>")?;
            for (name, (_, r)) in names.iter().zip(runs) {
                let stem = charts::file_stem(name);
                writeln!(
                    out,
                    "<section class=\"run\" id=\"run-{}\">\n<h2>Run {}</h2>",
                    escape(&stem),
                    escape(name)
                )?;
                body(out, r, 3, &format!("run-{stem}-"))?;
                writeln!(out, "</section>")?;
            }
        }
    }
    writeln!(out, "</body>\n</html>")
}

/// A heading of `level` (2 for a single run's sections, 3 inside a run's section).
fn heading(out: &mut dyn Write, level: u8, text: &str) -> io::Result<()> {
    writeln!(out, "<h{level}>{}</h{level}>", escape(text))
}

/// A paragraph of report text.
fn para(out: &mut dyn Write, class: &str, text: &str) -> io::Result<()> {
    if class.is_empty() {
        writeln!(out, "<p>{}</p>", escape(text))
    } else {
        writeln!(out, "<p class=\"{class}\">{}</p>", escape(text))
    }
}

/// A paragraph of a [`prose`] sentence, its class from its [`Tone`].
fn sentence(out: &mut dyn Write, tone: Tone, text: &str) -> io::Result<()> {
    para(
        out,
        match tone {
            Tone::Finding => "",
            Tone::Note => "note",
        },
        text,
    )
}

/// One table cell.
struct Td {
    text: String,
    class: &'static str,
}

fn t(s: impl Into<String>) -> Td {
    Td { text: s.into(), class: "" }
}

fn n(v: impl fmt::Display) -> Td {
    Td { text: v.to_string(), class: "n" }
}

/// A table; a row whose first cell starts with "All routes"/"all routes" is marked as the
/// total row.
fn table(out: &mut dyn Write, head: &[&str], rows: Vec<Vec<Td>>) -> io::Result<()> {
    write!(out, "<table>\n<thead><tr>")?;
    for h in head {
        write!(out, "<th>{}</th>", escape(h))?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")?;
    for row in rows {
        let total = row.first().is_some_and(|c| c.text.eq_ignore_ascii_case("all routes"))
            || row.first().is_some_and(|c| c.text == "All routes combined");
        write!(out, "{}", if total { "<tr class=\"total\">" } else { "<tr>" })?;
        for c in row {
            if c.class.is_empty() {
                write!(out, "<td>{}</td>", escape(&c.text))?;
            } else {
                write!(out, "<td class=\"{}\">{}</td>", c.class, escape(&c.text))?;
            }
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody>\n</table>")
}

/// What one report's page (or section) needs to hand around.
struct Ctx<'a> {
    r: &'a Report,
    level: u8,
    clock: Clock,
    dir: String,
    /// Prefix of element ids, unique per run.
    id: &'a str,
}

impl Ctx<'_> {
    fn short<'s>(&self, p: &'s str) -> &'s str {
        p.strip_prefix(self.dir.as_str()).unwrap_or(p)
    }

    /// [`Ctx::short`], in the form [`prose`] takes.
    fn shorten(&self) -> impl Fn(&str) -> String + '_ {
        |p| self.short(p).to_string()
    }

    fn h(&self, out: &mut dyn Write, text: &str) -> io::Result<()> {
        heading(out, self.level, text)
    }
}

/// One report: diagnosis, hypotheses, charts, then every table of the terminal report.
fn body(out: &mut dyn Write, r: &Report, level: u8, id: &str) -> io::Result<()> {
    let c = Ctx { r, level, clock: Clock::of(r), dir: common_dir(r), id };
    c.h(out, "Diagnosis")?;
    writeln!(
        out,
        "<p class=\"verdict verdict-{}\">{}</p>",
        escape(r.diagnosis.verdict),
        escape(&format!("Diagnosis: {}", r.diagnosis.statement))
    )?;
    if let Some(line) = prose::times(r) {
        para(out, "note", &line)?;
    }
    if let (Some(a), Some(b)) = (&r.run.first_sent, &r.run.last_sent) {
        para(
            out,
            "note",
            &format!(
                "Requests were sent from {} to {}; the logs span {} to {}.",
                c.clock.show(Some(a)),
                c.clock.show(Some(b)),
                c.clock.show(r.run.earliest_event.as_deref()),
                c.clock.show(r.run.latest_event.as_deref())
            ),
        )?;
    }
    for h in &r.hypotheses {
        hypothesis(out, &c, h)?;
    }
    charts_section(out, &c)?;
    inputs(out, &c)?;
    loadtest(out, &c)?;
    funnel(out, &c)?;
    correlation(out, &c)?;
    signatures(out, &c)?;
    symptoms(out, &c)
}

/// The symptoms derived from the data, and what could not be judged.
fn symptoms(out: &mut dyn Write, c: &Ctx<'_>) -> io::Result<()> {
    let r = c.r;
    c.h(out, "Symptoms")?;
    if r.symptoms.is_empty() {
        para(out, "", "None: no 5xx, no unanswered request, no latency plateau, no funnel drop.")?;
    } else {
        let rows = r
            .symptoms
            .iter()
            .map(|s| {
                let [id, onset, n, detail] = prose::symptom_cells(s, c.clock);
                vec![t(id), t(onset), t(n), t(detail)]
            })
            .collect();
        table(out, &["symptom", "onset", "affected", "what the data shows"], rows)?;
    }
    for n in &r.symptom_notes {
        para(out, "note", n)?;
    }
    Ok(())
}

fn hypothesis(out: &mut dyn Write, c: &Ctx<'_>, h: &HypothesisOut) -> io::Result<()> {
    writeln!(out, "<div class=\"hypothesis\">")?;
    c.h(out, &prose::hypothesis_title(h))?;
    let steps = prose::chain_steps(h, c.clock, &|p: &str| c.short(p).to_string());
    if !steps.is_empty() {
        writeln!(out, "<ol class=\"chain\">")?;
        for s in &steps {
            writeln!(out, "<li>{}</li>", escape(s))?;
        }
        writeln!(out, "</ol>")?;
    }
    para(out, "", &h.summary)?;
    para(out, "note", &prose::scores(h))?;
    writeln!(out, "<p><strong>Fix:</strong> {}</p>", escape(&h.fix))?;
    if !h.evidence.is_empty() {
        writeln!(out, "<p>Evidence for {}:</p>", escape(&h.root))?;
        evidence(out, c, &h.evidence)?;
    }
    if !h.evidence_against.is_empty() {
        writeln!(out, "<p>Against:</p>\n<ul>")?;
        for a in &h.evidence_against {
            writeln!(out, "<li>{}</li>", escape(a))?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</div>")
}

/// Evidence lines, `path:line  time  text`, whole.
fn evidence(out: &mut dyn Write, c: &Ctx<'_>, ev: &[super::EvidenceOut]) -> io::Result<()> {
    write!(out, "<pre>")?;
    for e in ev {
        let line = format!(
            "{}:{}  {}  {}",
            c.short(&e.path),
            e.line,
            c.clock.show(e.ts.as_deref()),
            e.text
        );
        writeln!(out, "{}", escape(&line))?;
    }
    writeln!(out, "</pre>")
}

fn charts_section(out: &mut dyn Write, c: &Ctx<'_>) -> io::Result<()> {
    let r = c.r;
    let drawn = charts::svg_charts(r);
    if drawn.is_empty() {
        return Ok(());
    }
    c.h(out, "Charts")?;
    for chart in drawn {
        writeln!(out, "<figure id=\"{}chart-{}\">", escape(c.id), chart.name)?;
        // The SVG comes from the plotters backend, which escapes all text it is given.
        out.write_all(chart.svg.as_bytes())?;
        writeln!(
            out,
            "<figcaption><b>{}</b>. {}</figcaption>\n</figure>",
            escape(&chart.title),
            escape(&caption(r, chart.name))
        )?;
    }
    Ok(())
}

/// What a chart shows, in words.
fn caption(r: &Report, name: &str) -> String {
    let p = &r.plot;
    match name {
        n if n == Kind::Latency.name() => {
            let drawn = if p.points.len() as u64 == p.requests {
                format!("every one of the {} requests with a latency", p.requests)
            } else {
                format!(
                    "{} of the {} requests with a latency (every failure up to 5000, the rest \
                     evenly thinned)",
                    p.points.len(),
                    p.requests
                )
            };
            format!(
                "Each dot is a request ({drawn}), by the second it was sent, on a log scale; \
                 failures are drawn on top. The lines are the median and p95 of all {} \
                 requests in 200 equal time slices; the shaded bands are the latency phases.",
                p.requests
            )
        }
        n if n == Kind::Outcomes.name() => format!(
            "Requests per {} bucket by send time, stacked by what the client saw.",
            prose::bucket_width(r)
        ),
        n if n == Kind::Funnel.name() => "How many requests reached each stage in the \
            application log; percentages are of the requests sent."
            .to_string(),
        _ => "One lane per signature, in order of first occurrence: a tick per occurrence (at \
              most 500 drawn per lane), a triangle at the first. Failure signatures are red."
            .to_string(),
    }
}

/// The inputs, what was not understood, and folder-walk warnings.
fn inputs(out: &mut dyn Write, c: &Ctx<'_>) -> io::Result<()> {
    let r = c.r;
    c.h(
        out,
        &if c.dir.is_empty() { "Inputs".to_string() } else { format!("Inputs (in {})", c.dir) },
    )?;
    let rows = r
        .inputs
        .iter()
        .map(|i| {
            vec![
                t(c.short(&i.path)),
                t(prose::input_format(i)),
                n(i.lines),
                n(i.parsed),
                n(i.skipped),
                t(prose::input_notes(i)),
            ]
        })
        .collect();
    table(out, &["input", "format", "lines", "parsed", "skipped", "notes"], rows)?;
    if let Some(line) = prose::timestamps(r) {
        para(out, "note", &line)?;
    }
    let skipped = prose::inputs_not_understood(r);
    if !skipped.is_empty() {
        c.h(out, "Lines not understood")?;
        let mut rows = Vec::new();
        for i in skipped {
            for row in prose::not_understood(i) {
                rows.push(vec![
                    t(c.short(&i.path)),
                    t(row.reason),
                    row.lines.map_or_else(|| t(""), n),
                    t(row.first_at),
                ]);
            }
        }
        table(out, &["input", "reason", "lines", "first at"], rows)?;
    }
    for w in &r.warnings {
        para(out, "note", &prose::walk_warning(w))?;
    }
    Ok(())
}

fn outcome_cells(row: &OutcomeRow) -> Vec<Td> {
    prose::outcome_cells(row).into_iter().map(n).collect()
}

fn outcome_table(
    out: &mut dyn Write,
    first: &str,
    rows: &[(String, &OutcomeRow)],
    total: Option<(&str, &OutcomeRow)>,
) -> io::Result<()> {
    let mut head = vec![first, "requests"];
    head.extend(OUTCOME_COLUMNS);
    let mut body: Vec<Vec<Td>> = rows
        .iter()
        .map(|(k, row)| std::iter::once(t(k.as_str())).chain(outcome_cells(row)).collect())
        .collect();
    if let Some((name, row)) = total {
        body.push(std::iter::once(t(name)).chain(outcome_cells(row)).collect());
    }
    table(out, &head, body)
}

fn latency_cells(l: &LatencySummary) -> Vec<Td> {
    prose::latency_cells(l).into_iter().map(n).collect()
}

/// The load-test tables, as the terminal shows them for one run.
fn loadtest(out: &mut dyn Write, c: &Ctx<'_>) -> io::Result<()> {
    let lt = &c.r.loadtest;
    if lt.all_routes.total == 0 {
        return Ok(());
    }
    let mut bursts: Vec<u32> = lt.by_burst_offset.iter().filter_map(|row| row.burst).collect();
    bursts.dedup();
    for b in bursts {
        c.h(out, &format!("Request count {b}: outcomes by offset (% of requests)"))?;
        let rows: Vec<(String, &OutcomeRow)> = lt
            .by_burst_offset
            .iter()
            .filter(|row| row.burst == Some(b))
            .map(|row| (offset(row.offset_ms.unwrap_or(0.0)), row))
            .collect();
        outcome_table(out, "offset ms", &rows, None)?;
    }
    if !lt.by_offset.is_empty() {
        c.h(out, "Overall: outcomes by offset (% of requests)")?;
        let rows: Vec<(String, &OutcomeRow)> =
            lt.by_offset.iter().map(|row| (offset(row.offset_ms.unwrap_or(0.0)), row)).collect();
        outcome_table(out, "offset ms", &rows, None)?;
    }
    c.h(out, "Per route: outcomes (% of requests)")?;
    let rows: Vec<(String, &OutcomeRow)> =
        lt.by_route.iter().map(|row| (row.route.clone().unwrap_or_default(), row)).collect();
    outcome_table(out, "route", &rows, Some(("All routes combined", &lt.all_routes)))?;

    c.h(out, prose::latency_title(lt.basis == "aggregate"))?;
    let mut rows: Vec<Vec<Td>> = lt
        .latency_ms
        .by_route
        .iter()
        .map(|(route, l)| std::iter::once(t(route.as_str())).chain(latency_cells(l)).collect())
        .collect();
    rows.push(
        std::iter::once(t("all routes")).chain(latency_cells(&lt.latency_ms.overall)).collect(),
    );
    let mut head = vec!["route"];
    head.extend(LATENCY_COLUMNS);
    table(out, &head, rows)?;

    if let Some(tp) = lt.throughput {
        c.h(out, "Throughput (requests/s)")?;
        let mut head = vec![""];
        head.extend(THROUGHPUT_COLUMNS);
        let cells = prose::throughput_cells(Some(tp), lt.peak_sent_per_s);
        table(out, &head, vec![std::iter::once(t("all routes")).chain(cells.map(n)).collect()])?;
    }

    if !lt.phases.is_empty() {
        c.h(out, "Latency phases (in send order)")?;
        let rows = prose::phase_rows(&lt.phases)
            .into_iter()
            .map(|[phase, requests, rest @ ..]| {
                [t(phase), t(requests)].into_iter().chain(rest.map(n)).collect()
            })
            .collect();
        table(out, &PHASE_COLUMNS, rows)?;
        if let Some(d) = lt.phase_detection {
            para(out, "note", &prose::phase_detection(&d))?;
        }
    }

    if !lt.failure_groups.is_empty() {
        c.h(out, "Failures reported by the load tool")?;
        let rows = lt
            .failure_groups
            .iter()
            .map(|f| {
                let [route, error, reads_as, occurrences] = prose::failure_cells(f);
                vec![t(route), t(error), t(reads_as), n(occurrences)]
            })
            .collect();
        table(out, &FAILURE_COLUMNS, rows)?;
    }
    if !lt.exception_groups.is_empty() {
        c.h(out, "Exceptions reported by the load tool")?;
        let rows =
            lt.exception_groups.iter().map(|e| vec![t(e.message.as_str()), n(e.count)]).collect();
        table(out, &["exception", "count"], rows)?;
    }
    for note in &lt.notes {
        para(out, "note", &prose::loadtest_note(note))?;
    }
    for u in &lt.unavailable {
        para(out, "note", &prose::not_shown(u))?;
    }
    Ok(())
}

fn funnel(out: &mut dyn Write, c: &Ctx<'_>) -> io::Result<()> {
    let f = &c.r.funnel;
    c.h(out, "Funnel")?;
    if !(f.has_app_log || f.sent > 0) {
        return para(out, "note", "No load-test or application data.");
    }
    let mut rows: Vec<Vec<Td>> = f
        .by_route
        .iter()
        .map(|(route, k)| {
            vec![t(route.as_str()), n(k.sent), n(k.hit), n(k.started), n(k.completed)]
        })
        .collect();
    rows.push(vec![t("all routes"), n(f.sent), n(f.hit), n(f.started), n(f.completed)]);
    table(out, &["route", "sent", "hit", "started", "completed"], rows)?;
    for (tone, line) in prose::funnel_notes(c.r) {
        sentence(out, tone, &line)?;
    }
    Ok(())
}

/// Clock skew, lost requests by class and route, the funnel over time and the loss onset.
fn correlation(out: &mut dyn Write, c: &Ctx<'_>) -> io::Result<()> {
    let r = c.r;
    let k = &r.correlation;
    let short = c.shorten();
    let skews = prose::interesting_skews(r);
    if !skews.is_empty() {
        c.h(out, "Clock skew")?;
        for s in skews {
            para(out, "", &prose::skew(r, s, &short))?;
        }
    }
    match &k.lost_by_class {
        None => {
            if let Some(line) = prose::lost_without_app(r) {
                para(out, "", &line)?;
            }
        }
        Some(classes) => {
            if k.lost > 0 {
                c.h(out, "Lost requests (client saw a 5xx or no response)")?;
                let row = |name: &str, sent: u64, lost: u64, l: &crate::requests::LostCounts| {
                    std::iter::once(t(name))
                        .chain(prose::lost_counts(sent, lost, l).map(n))
                        .collect()
                };
                let mut rows: Vec<Vec<Td>> = k
                    .lost_by_route
                    .iter()
                    .map(|(route, rl)| row(route, rl.sent, rl.lost, &rl.classes))
                    .collect();
                rows.push(row("all routes", k.matching.sent, k.lost, classes));
                let mut head = vec!["route"];
                head.extend(prose::LOST_COLUMNS);
                table(out, &head, rows)?;
                if let Some(line) = prose::lost_outcomes(r) {
                    para(out, "note", &line)?;
                }
            }
            if let Some(line) = prose::matching(r) {
                para(out, "note", &line)?;
            }
        }
    }
    buckets(out, c)
}

/// The funnel over time, and the sentence naming the loss onset.
fn buckets(out: &mut dyn Write, c: &Ctx<'_>) -> io::Result<()> {
    let r = c.r;
    if r.correlation.buckets.is_empty() {
        return Ok(());
    }
    c.h(out, &prose::buckets_title(r))?;
    let mut rows = Vec::new();
    for b in prose::shown_buckets(r) {
        let [counts @ .., lost] = prose::bucket_counts(b);
        let mut row = vec![t(c.clock.show(Some(&b.start)))];
        row.extend(counts.map(n));
        row.push(Td { class: if lost > 0 { "n lost" } else { "n" }, ..n(lost) });
        rows.push(row);
    }
    let mut head = vec!["start"];
    head.extend(prose::BUCKET_COLUMNS);
    table(out, &head, rows)?;
    for line in prose::bucket_notes(r) {
        para(out, "note", &line)?;
    }
    match prose::onset(r, c.clock, &c.shorten()) {
        Some(line) => para(out, "", &line),
        None => Ok(()),
    }
}

/// The signatures, then each one's evidence.
fn signatures(out: &mut dyn Write, c: &Ctx<'_>) -> io::Result<()> {
    let r = c.r;
    c.h(out, "Signatures")?;
    if r.signatures.is_empty() {
        return para(out, "", "None of the catalogued signatures appear in the logs.");
    }
    let rows = r
        .signatures
        .iter()
        .map(|s| {
            let ev = s
                .evidence
                .first()
                .map_or_else(String::new, |e| format!("{}:{}", c.short(&e.path), e.line));
            let mut id = t(s.id.as_str());
            if s.failure {
                id.class = "failure";
            }
            vec![
                id,
                t(s.title.as_str()),
                t(if s.failure { "failure" } else { "context" }),
                t(s.severity.as_str()),
                n(s.count),
                t(c.clock.show(s.first_seen.as_deref())),
                t(c.clock.show(s.last_seen.as_deref())),
                t(ev),
            ]
        })
        .collect();
    table(
        out,
        &[
            "signature",
            "what it is",
            "kind",
            "severity",
            "count",
            "first seen",
            "last seen",
            "first evidence",
        ],
        rows,
    )?;
    for s in r.signatures.iter().filter(|s| !s.evidence.is_empty()) {
        writeln!(out, "<h{l}>Evidence for {}</h{l}>", escape(&s.id), l = (c.level + 1).min(6))?;
        if let Some(effect) = &s.effect {
            para(out, "note", &format!("Effect on requests: {effect}."))?;
        }
        evidence(out, c, &s.evidence)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_metacharacter() {
        assert_eq!(
            escape("<script>a & 'b' \"c\"</script>").to_string(),
            "&lt;script&gt;a &amp; &#39;b&#39; &quot;c&quot;&lt;/script&gt;"
        );
        assert_eq!(escape("plain → text").to_string(), "plain → text");
        assert_eq!(escape("").to_string(), "");
        assert_eq!(escape("&amp;").to_string(), "&amp;amp;");
    }
}
