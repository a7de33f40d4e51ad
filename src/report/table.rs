//! The terminal renderer: comfy-table tables for a person reading a terminal.
//!
//! Without colour, comfy-table is forced into no-TTY mode with an explicit width, so piped
//! output and tests are deterministic. Every text in the tables comes from the
//! [`Report`], already sanitised.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, CellAlignment, Color, ContentArrangement, Table};

use super::{HypothesisOut, Report};

/// How to render tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Use colour and terminal styling.
    pub color: bool,
    /// Total width available.
    pub width: u16,
}

impl RenderOptions {
    /// No colour, `width` columns.
    pub fn plain(width: u16) -> RenderOptions {
        RenderOptions { color: false, width }
    }
}

pub(super) fn table(o: &RenderOptions, header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(o.width);
    if !o.color {
        t.force_no_tty();
    } else {
        t.enforce_styling();
    }
    t.set_header(header.iter().map(|h| {
        let c = Cell::new(h);
        if o.color { c.add_attribute(Attribute::Bold) } else { c }
    }));
    t
}

fn num(n: u64) -> Cell {
    Cell::new(n).set_alignment(CellAlignment::Right)
}

pub(super) fn ms(v: Option<f64>) -> Cell {
    Cell::new(v.map_or_else(|| "-".to_string(), |x| format!("{x:.1}")))
        .set_alignment(CellAlignment::Right)
}

pub(super) fn heading(out: &mut dyn Write, o: &RenderOptions, text: &str) -> io::Result<()> {
    if o.color { writeln!(out, "\n\x1b[1m{text}\x1b[0m") } else { writeln!(out, "\n{text}") }
}

/// Greedy word wrap at `width` columns, with `indent` before continuation lines.
pub(super) fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut col = 0;
    for word in text.split_whitespace() {
        let w = word.chars().count();
        if col > 0 && col + 1 + w > width {
            out.push('\n');
            out.push_str(indent);
            col = indent.chars().count();
        } else if col > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += w;
    }
    out
}

/// The folder all inputs share (with its trailing `/`), so tables can show shorter names.
fn common_dir(r: &Report) -> String {
    let mut paths = r.inputs.iter().map(|i| i.path.as_str());
    let Some(first) = paths.next() else { return String::new() };
    let mut prefix = match first.rfind('/') {
        Some(i) => &first[..=i],
        None => return String::new(),
    };
    for p in paths {
        while !p.starts_with(prefix) {
            match prefix[..prefix.len() - 1].rfind('/') {
                Some(i) => prefix = &prefix[..=i],
                None => return String::new(),
            }
        }
    }
    prefix.to_string()
}

/// How times are shown: time of day when the whole run is on one UTC date, else date and time.
#[derive(Debug, Clone, Copy)]
struct Clock {
    same_day: bool,
}

impl Clock {
    fn of(r: &Report) -> Clock {
        let day = |t: &Option<String>| t.as_deref().and_then(|s| s.get(..10)).map(str::to_string);
        let (a, b) = (day(&r.run.earliest_event), day(&r.run.latest_event));
        Clock { same_day: a.is_some() && a == b }
    }

    /// `2026-11-25T15:39:43.109396Z` → `15:39:43.109` (or `2026-11-25 15:39:43.109`).
    fn show(self, t: Option<&str>) -> String {
        let Some(t) = t else { return "-".to_string() };
        match (self.same_day, t.get(..10), t.get(11..23)) {
            (true, _, Some(time)) => time.to_string(),
            (false, Some(date), Some(time)) => format!("{date} {time}"),
            _ => t.to_string(),
        }
    }
}

fn hypothesis(
    out: &mut dyn Write,
    o: &RenderOptions,
    clock: Clock,
    short: &dyn Fn(&str) -> String,
    h: &HypothesisOut,
) -> io::Result<()> {
    let width = usize::from(o.width).max(40);
    heading(
        out,
        o,
        &format!(
            "Hypothesis {}: {} ({} confidence, {:.2})",
            h.rank,
            h.chain.join(" → "),
            h.confidence_label,
            h.confidence
        ),
    )?;
    writeln!(out, "{}", wrap(&h.summary, width, ""))?;
    writeln!(out, "\n{}", wrap(&format!("Fix: {}", h.fix), width, "     "))?;
    if !h.evidence.is_empty() {
        writeln!(out, "\nEvidence for {}:", h.root)?;
        for e in &h.evidence {
            let place =
                format!("  {}:{}  {}  ", short(&e.path), e.line, clock.show(e.ts.as_deref()));
            let room = width.saturating_sub(place.chars().count()).max(20);
            let mut text: String = e.text.chars().take(room).collect();
            if e.text.chars().count() > room {
                text.pop();
                text.push('…');
            }
            writeln!(out, "{place}{text}")?;
        }
    }
    if !h.evidence_against.is_empty() {
        writeln!(out, "\nAgainst:")?;
        for a in &h.evidence_against {
            writeln!(out, "  - {}", wrap(a, width.saturating_sub(4), "    "))?;
        }
    }
    Ok(())
}

/// Renders the report as terminal tables.
pub fn render(r: &Report, o: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let width = usize::from(o.width).max(40);
    let clock = Clock::of(r);
    writeln!(out, "{}", wrap(&format!("Diagnosis: {}", r.diagnosis.statement), width, "  "))?;
    times_line(r, clock, out)?;
    inputs(r, o, out)?;
    super::lt_tables::render(&[super::lt_tables::Run { name: "", lt: &r.loadtest }], o, out)?;
    analysis(r, o, out)
}

fn times_line(r: &Report, clock: Clock, out: &mut dyn Write) -> io::Result<()> {
    if let (true, Some(day)) =
        (clock.same_day, r.run.earliest_event.as_deref().and_then(|t| t.get(..10)))
    {
        writeln!(out, "Times are UTC, on {day}.")?;
    }
    Ok(())
}

/// Renders several runs: their verdicts, the load-test tables with one column group per run,
/// then each run's inputs, funnel, signatures and hypotheses.
pub fn render_runs(
    runs: &[(&str, &Report)],
    o: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let width = usize::from(o.width).max(40);
    writeln!(
        out,
        "{} runs compared: {}.",
        runs.len(),
        runs.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    )?;
    for (name, r) in runs {
        writeln!(out, "{}", wrap(&format!("{name}: {}", r.diagnosis.statement), width, "  "))?;
    }
    let lts: Vec<super::lt_tables::Run<'_>> =
        runs.iter().map(|(name, r)| super::lt_tables::Run { name, lt: &r.loadtest }).collect();
    super::lt_tables::render(&lts, o, out)?;
    for (name, r) in runs {
        let rule = "═".repeat(width.min(100).saturating_sub(name.chars().count() + 6));
        heading(out, o, &format!("══ Run {name} {rule}"))?;
        times_line(r, Clock::of(r), out)?;
        inputs(r, o, out)?;
        analysis(r, o, out)?;
    }
    Ok(())
}

/// The inputs, what was not understood, and folder-walk warnings.
fn inputs(r: &Report, o: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let dir = common_dir(r);
    let short = |p: &str| p.strip_prefix(dir.as_str()).unwrap_or(p).to_string();
    heading(
        out,
        o,
        if dir.is_empty() { "Inputs".to_string() } else { format!("Inputs (in {dir})") }.as_str(),
    )?;
    let mut t = table(o, &["input", "format", "lines", "parsed", "skipped", "notes"]);
    for i in &r.inputs {
        let notes: Vec<String> = i.notes.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let format = match i.dialect {
            Some(d) => format!("{} ({d})", i.format),
            None => i.format.clone(),
        };
        let format = match (&i.error, i.compression) {
            (Some(_), _) => format!("{format} (error)"),
            (None, Some(c)) => format!("{format} ({c})"),
            (None, None) => format,
        };
        t.add_row(vec![
            Cell::new(short(&i.path)),
            Cell::new(format),
            num(i.lines),
            num(i.parsed),
            num(i.skipped),
            Cell::new(notes.join(", ")),
        ]);
    }
    writeln!(out, "{t}")?;
    timestamps_line(r, o, out)?;
    let skipped: Vec<_> = r.inputs.iter().filter(|i| i.skipped > 0 || i.error.is_some()).collect();
    if !skipped.is_empty() {
        heading(out, o, "Lines not understood")?;
        let mut t = table(o, &["input", "reason", "lines", "first at"]);
        for i in skipped {
            if let Some(e) = &i.error {
                t.add_row(vec![
                    Cell::new(short(&i.path)),
                    Cell::new(format!("error: {e}")),
                    Cell::new(""),
                    Cell::new(""),
                ]);
            }
            for (reason, n) in &i.skipped_reasons {
                let first: Vec<String> = i
                    .skipped_first_lines
                    .get(reason)
                    .map_or_else(Vec::new, |v| v.iter().map(u64::to_string).collect());
                t.add_row(vec![
                    Cell::new(short(&i.path)),
                    Cell::new(reason),
                    num(*n),
                    Cell::new(first.join(", ")),
                ]);
            }
            if i.format == "unknown" {
                t.add_row(vec![
                    Cell::new(short(&i.path)),
                    Cell::new(format!("why unknown: {}", i.reason)),
                    Cell::new(""),
                    Cell::new(""),
                ]);
            }
        }
        writeln!(out, "{t}")?;
    }

    if !r.warnings.is_empty() {
        writeln!(out)?;
        for w in &r.warnings {
            writeln!(out, "Skipped while walking folders: {w}")?;
        }
    }

    Ok(())
}

/// One line on the timestamps that needed help, when any did.
fn timestamps_line(r: &Report, o: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let t = &r.timestamps;
    let parts: Vec<String> = [
        (t.recovered, "recovered from a garbled stamp"),
        (t.bad_timestamp, "unreadable"),
        (t.inferred, "inferred from neighbouring lines"),
        (t.zone_assumed, "without a zone (read with --tz, default UTC)"),
        (t.zone_abbreviation, "with a zone abbreviation such as CET or CST"),
        (t.out_of_order, "out of order (sorted)"),
        (t.missing, "without any time (their input has none)"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        return Ok(());
    }
    let width = usize::from(o.width).max(40);
    writeln!(out, "{}", wrap(&format!("Timestamps: {}.", parts.join(", ")), width, "  "))
}

/// The funnel, the signatures and the hypotheses.
fn analysis(r: &Report, o: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let clock = Clock::of(r);
    let dir = common_dir(r);
    let short = |p: &str| p.strip_prefix(dir.as_str()).unwrap_or(p).to_string();
    heading(out, o, "Funnel")?;
    if r.funnel.has_app_log || r.funnel.sent > 0 {
        let mut t = table(o, &["route", "sent", "hit", "started", "completed"]);
        for (route, c) in &r.funnel.by_route {
            t.add_row(vec![
                Cell::new(route),
                num(c.sent),
                num(c.hit),
                num(c.started),
                num(c.completed),
            ]);
        }
        t.add_row(vec![
            Cell::new("all routes"),
            num(r.funnel.sent),
            num(r.funnel.hit),
            num(r.funnel.started),
            num(r.funnel.completed),
        ]);
        writeln!(out, "{t}")?;
        if !r.funnel.has_app_log {
            writeln!(
                out,
                "No application log was given: hit/started/completed are unknown, not zero."
            )?;
        } else if let Some(l) = &r.funnel.biggest_loss {
            writeln!(out, "Most requests were lost between {} and {}: {}.", l.from, l.to, l.lost)?;
        }
        if r.funnel.outside_window > 0 {
            writeln!(
                out,
                "{} stage events fell outside the run window and were not counted (clock skew?).",
                r.funnel.outside_window
            )?;
        }
        if let (Some(median), Some(p95)) = (r.funnel.query_ms.median, r.funnel.query_ms.p95) {
            writeln!(
                out,
                "Queries took a median of {median:.1} ms (p95 {p95:.1} ms) over {} completed queries.",
                r.funnel.query_ms.count
            )?;
        }
        if r.funnel.without_timestamp > 0 {
            writeln!(
                out,
                "{} stage events had no timestamp; they were counted.",
                r.funnel.without_timestamp
            )?;
        }
    } else {
        writeln!(out, "No load-test or application data.")?;
    }

    correlation(r, o, clock, &short, out)?;

    heading(out, o, "Signatures")?;
    if r.signatures.is_empty() {
        writeln!(out, "None of the catalogued signatures appear in the logs.")?;
    } else {
        let mut t = table(o, &["signature", "count", "first seen", "last seen", "first evidence"]);
        for s in &r.signatures {
            let ev = s
                .evidence
                .first()
                .map_or_else(String::new, |e| format!("{}:{}", short(&e.path), e.line));
            let id = Cell::new(&s.id);
            let id = if o.color && s.failure { id.fg(Color::Red) } else { id };
            t.add_row(vec![
                id,
                num(s.count),
                Cell::new(clock.show(s.first_seen.as_deref())),
                Cell::new(clock.show(s.last_seen.as_deref())),
                Cell::new(ev),
            ]);
        }
        writeln!(out, "{t}")?;
    }

    for h in &r.hypotheses {
        hypothesis(out, o, clock, &short, h)?;
    }
    Ok(())
}

/// A signed skew in ms: `+3742.0 ms`.
fn signed_ms(v: f64) -> String {
    format!("{v:+.1} ms")
}

/// Clock skew, lost requests by class and route, the funnel over time and the loss onset.
fn correlation(
    r: &Report,
    o: &RenderOptions,
    clock: Clock,
    short: &dyn Fn(&str) -> String,
    out: &mut dyn Write,
) -> io::Result<()> {
    let c = &r.correlation;
    let interesting: Vec<_> =
        c.skew.iter().filter(|s| s.method != "reference" && s.method != "assumed").collect();
    if !interesting.is_empty() {
        heading(out, o, "Clock skew")?;
        let reference = c.reference.as_deref().map_or_else(|| "the app".into(), short);
        for s in interesting {
            let how = match (s.method, s.error_ms, s.confidence_label, s.confidence) {
                ("estimated", Some(e), Some(label), Some(conf)) => format!(
                    "estimated ±{e:.1} ms from {} requests, confidence {label} ({conf:.2})",
                    s.pairs
                ),
                ("override", ..) => "given with --skew".to_string(),
                (m, ..) => m.to_string(),
            };
            let done = if s.applied { "corrected" } else { "not corrected" };
            let note = s.note.as_deref().map_or(String::new(), |n| format!("; {n}"));
            let line = format!(
                "{}: {} against {reference} ({how}); {done}{note}.",
                short(&s.path),
                signed_ms(s.skew_ms)
            );
            writeln!(out, "{}", wrap(&line, o.width as usize, "  "))?;
        }
    }
    let Some(classes) = &c.lost_by_class else {
        if c.lost > 0 {
            writeln!(
                out,
                "\n{} requests were lost; without an application log they cannot be placed in \
                 the pipeline.",
                c.lost
            )?;
        }
        return buckets(r, o, clock, short, out);
    };
    if c.lost > 0 {
        heading(out, o, "Lost requests (client saw a 5xx or no response)")?;
        let mut t = table(
            o,
            &[
                "route",
                "sent",
                "lost",
                "never reached app",
                "no query",
                "query unfinished",
                "completed",
            ],
        );
        let row = |name: &str, sent: u64, lost: u64, k: &crate::requests::LostCounts| {
            vec![
                Cell::new(name),
                num(sent),
                num(lost),
                num(k.never_reached_app),
                num(k.no_query_started),
                num(k.query_not_completed),
                num(k.completed_but_failed),
            ]
        };
        for (route, rl) in &c.lost_by_route {
            t.add_row(row(route, rl.sent, rl.lost, &rl.classes));
        }
        t.add_row(row("all routes", c.matching.sent, c.lost, classes));
        writeln!(out, "{t}")?;
        if let Some(by) = &c.lost_by_outcome {
            let part = |k: &str| by.get(k).map_or(0, |l| l.total());
            let line = format!(
                "{} answered with a 5xx, {} without a response. Columns: never reached the app; \
                 reached it but no query started; query started, never completed; query \
                 completed, yet the client saw a failure.",
                part("status_5xx"),
                part("no_response")
            );
            writeln!(out, "{}", wrap(&line, o.width as usize, ""))?;
        }
    }
    let m = &c.matching;
    if m.sent > 0 && m.app_requests > 0 {
        let line = format!(
            "Matched {} of {} sent requests to the {} requests in the app log ({}, {}, ±{:.0} ms); \
             {} app requests match no sent request, {} answered requests match no app request.",
            m.matched,
            m.sent,
            m.app_requests,
            m.app_events_joined_by.map_or("", |j| if j == "request_id" {
                "app events joined by request id"
            } else {
                "app events joined by time order"
            }),
            if m.per_route { "per route" } else { "all routes pooled" },
            m.tolerance_ms,
            m.app_only,
            m.answered_unmatched
        );
        writeln!(out, "{}", wrap(&line, o.width as usize, ""))?;
    }
    buckets(r, o, clock, short, out)
}

/// The funnel over time, and the sentence naming the loss onset.
fn buckets(
    r: &Report,
    o: &RenderOptions,
    clock: Clock,
    short: &dyn Fn(&str) -> String,
    out: &mut dyn Write,
) -> io::Result<()> {
    let c = &r.correlation;
    if c.buckets.is_empty() {
        return Ok(());
    }
    let width = if c.bucket_ms >= 1000.0 {
        format!("{} s", c.bucket_ms / 1000.0)
    } else {
        format!("{} ms", c.bucket_ms)
    };
    heading(out, o, &format!("Funnel over time ({width} buckets, by send time)"))?;
    let mut t = table(
        o,
        &["start", "sent", "hit", "started", "completed", "2xx", "5xx", "no response", "lost"],
    );
    let mut skipped = 0;
    for b in &c.buckets {
        if b.sent == 0 && b.hit == 0 {
            skipped += 1;
            continue;
        }
        let lost = num(b.lost);
        let lost = if o.color && b.lost > 0 { lost.fg(Color::Red) } else { lost };
        t.add_row(vec![
            Cell::new(clock.show(Some(&b.start))),
            num(b.sent),
            num(b.hit),
            num(b.started),
            num(b.completed),
            num(b.status_2xx),
            num(b.status_5xx),
            num(b.no_response),
            lost,
        ]);
    }
    writeln!(out, "{t}")?;
    if skipped > 0 {
        writeln!(out, "{skipped} buckets without requests are not shown.")?;
    }
    if let Some(note) = &c.bucket_note {
        writeln!(out, "{note}.")?;
    }
    match &c.loss_onset {
        Some(on) => {
            let class = on
                .class
                .and_then(|k| crate::requests::LostClass::ALL.into_iter().find(|c| c.as_str() == k))
                .map_or(String::new(), |k| format!(", mostly {}", k.describe()));
            let mut line = format!(
                "Requests start being lost at {} ({} of {} sent in the bucket from {}{class}).",
                clock.show(Some(&on.at)),
                on.lost,
                on.sent,
                clock.show(Some(&on.bucket_start)),
            );
            if on.first_lost != on.at {
                line.push_str(&format!(
                    " An isolated request was lost earlier, at {}.",
                    clock.show(Some(&on.first_lost))
                ));
            }
            match &on.signature {
                Some(sig) => line.push_str(&format!(
                    " First signature around it: {} at {} ({:+.2} s){}.",
                    sig.id,
                    clock.show(Some(&sig.first_seen)),
                    sig.offset_s,
                    sig.evidence.as_deref().map_or(String::new(), |e| format!(", {}", short(e)))
                )),
                None => line.push_str(" No failure signature was seen around it."),
            }
            writeln!(out, "{}", wrap(&line, o.width as usize, ""))?;
        }
        None if c.matching.sent > 0 => writeln!(out, "No request was lost.")?,
        None => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_words() {
        assert_eq!(wrap("aaa bbb ccc", 7, ""), "aaa bbb\nccc");
        assert_eq!(wrap("aaa bbb ccc", 7, "  "), "aaa bbb\n  ccc");
        assert_eq!(wrap("", 7, ""), "");
    }
}
