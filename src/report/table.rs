//! The terminal renderer: comfy-table tables for a person reading a terminal.
//!
//! Without colour, comfy-table is forced into no-TTY mode with an explicit width, so piped
//! output and tests are deterministic. Every text in the tables comes from the
//! [`Report`], already sanitised.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, CellAlignment, Color, ContentArrangement, Table};

use super::prose::{self, Clock, common_dir};
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

/// A table in the house style, `header` bold when colour is on.
pub fn table(o: &RenderOptions, header: &[&str]) -> Table {
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

pub(super) fn heading(out: &mut dyn Write, o: &RenderOptions, text: &str) -> io::Result<()> {
    if o.color { writeln!(out, "\n\x1b[1m{text}\x1b[0m") } else { writeln!(out, "\n{text}") }
}

/// Greedy word wrap at `width` columns, with `indent` before continuation lines.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
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

fn hypothesis(
    out: &mut dyn Write,
    o: &RenderOptions,
    clock: Clock,
    short: &dyn Fn(&str) -> String,
    h: &HypothesisOut,
) -> io::Result<()> {
    let width = usize::from(o.width).max(40);
    heading(out, o, &prose::hypothesis_title(h))?;
    for (i, step) in prose::chain_steps(h, clock, short).iter().enumerate() {
        let lead = format!("{:>3}. ", i + 1);
        writeln!(out, "{lead}{}", wrap(step, width.saturating_sub(lead.len()), "       "))?;
    }
    writeln!(out)?;
    writeln!(out, "{}", wrap(&h.summary, width, ""))?;
    writeln!(out, "{}", wrap(&prose::scores(h), width, ""))?;
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
    writeln!(out, "{}", wrap(&format!("Diagnosis: {}", r.diagnosis.statement), width, "  "))?;
    times_line(r, out)?;
    inputs(r, o, out)?;
    super::lt_tables::render(&[super::lt_tables::Run { name: "", lt: &r.loadtest }], o, out)?;
    analysis(r, o, out)
}

fn times_line(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    match prose::times(r) {
        Some(line) => writeln!(out, "{line}"),
        None => Ok(()),
    }
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
        times_line(r, out)?;
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
        t.add_row(vec![
            Cell::new(short(&i.path)),
            Cell::new(prose::input_format(i)),
            num(i.lines),
            num(i.parsed),
            num(i.skipped),
            Cell::new(prose::input_notes(i)),
        ]);
    }
    writeln!(out, "{t}")?;
    timestamps_line(r, o, out)?;
    let skipped = prose::inputs_not_understood(r);
    if !skipped.is_empty() {
        heading(out, o, "Lines not understood")?;
        let mut t = table(o, &["input", "reason", "lines", "first at"]);
        for i in skipped {
            for row in prose::not_understood(i) {
                t.add_row(vec![
                    Cell::new(short(&i.path)),
                    Cell::new(row.reason),
                    row.lines.map_or_else(|| Cell::new(""), num),
                    Cell::new(row.first_at),
                ]);
            }
        }
        writeln!(out, "{t}")?;
    }

    if !r.warnings.is_empty() {
        writeln!(out)?;
        for w in &r.warnings {
            writeln!(out, "{}", prose::walk_warning(w))?;
        }
    }

    Ok(())
}

/// One line on the timestamps that needed help, when any did.
fn timestamps_line(r: &Report, o: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    match prose::timestamps(r) {
        Some(line) => writeln!(out, "{}", wrap(&line, usize::from(o.width).max(40), "  ")),
        None => Ok(()),
    }
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
        for (_, line) in prose::funnel_notes(r) {
            writeln!(out, "{line}")?;
        }
    } else {
        writeln!(out, "No load-test or application data.")?;
    }

    correlation(r, o, clock, &short, out)?;

    heading(out, o, "Signatures")?;
    if r.signatures.is_empty() {
        writeln!(out, "None of the catalogued signatures appear in the logs.")?;
    } else {
        let mut t =
            table(o, &["signature", "kind", "count", "first seen", "last seen", "first evidence"]);
        for s in &r.signatures {
            let ev = s
                .evidence
                .first()
                .map_or_else(String::new, |e| format!("{}:{}", short(&e.path), e.line));
            let id = Cell::new(&s.id);
            let id = if o.color && s.failure { id.fg(Color::Red) } else { id };
            t.add_row(vec![
                id,
                Cell::new(if s.failure { "failure" } else { "context" }),
                num(s.count),
                Cell::new(clock.show(s.first_seen.as_deref())),
                Cell::new(clock.show(s.last_seen.as_deref())),
                Cell::new(ev),
            ]);
        }
        writeln!(out, "{t}")?;
    }

    symptoms(r, o, clock, out)?;
    for h in &r.hypotheses {
        hypothesis(out, o, clock, &short, h)?;
    }
    Ok(())
}

/// The symptoms derived from the data, and what could not be judged.
fn symptoms(r: &Report, o: &RenderOptions, clock: Clock, out: &mut dyn Write) -> io::Result<()> {
    let width = usize::from(o.width).max(40);
    heading(out, o, "Symptoms")?;
    if r.symptoms.is_empty() {
        writeln!(out, "None: no 5xx, no unanswered request, no latency plateau, no funnel drop.")?;
    } else {
        let mut t = table(o, &["symptom", "onset", "affected", "what the data shows"]);
        for s in &r.symptoms {
            let [id, onset, n, detail] = prose::symptom_cells(s, clock);
            t.add_row(vec![Cell::new(id), Cell::new(onset), Cell::new(n), Cell::new(detail)]);
        }
        writeln!(out, "{t}")?;
    }
    for n in &r.symptom_notes {
        writeln!(out, "{}", wrap(n, width, "  "))?;
    }
    Ok(())
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
    let interesting = prose::interesting_skews(r);
    if !interesting.is_empty() {
        heading(out, o, "Clock skew")?;
        for s in interesting {
            writeln!(out, "{}", wrap(&prose::skew(r, s, short), o.width as usize, "  "))?;
        }
    }
    let Some(classes) = &c.lost_by_class else {
        if let Some(line) = prose::lost_without_app(r) {
            writeln!(out, "\n{line}")?;
        }
        return buckets(r, o, clock, short, out);
    };
    if c.lost > 0 {
        heading(out, o, "Lost requests (client saw a 5xx or no response)")?;
        let mut head = vec!["route"];
        head.extend(prose::LOST_COLUMNS);
        let mut t = table(o, &head);
        let row = |name: &str, sent: u64, lost: u64, k: &crate::requests::LostCounts| {
            std::iter::once(Cell::new(name))
                .chain(prose::lost_counts(sent, lost, k).map(num))
                .collect::<Vec<_>>()
        };
        for (route, rl) in &c.lost_by_route {
            t.add_row(row(route, rl.sent, rl.lost, &rl.classes));
        }
        t.add_row(row("all routes", c.matching.sent, c.lost, classes));
        writeln!(out, "{t}")?;
        if let Some(line) = prose::lost_outcomes(r) {
            writeln!(out, "{}", wrap(&line, o.width as usize, ""))?;
        }
    }
    if let Some(line) = prose::matching(r) {
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
    if r.correlation.buckets.is_empty() {
        return Ok(());
    }
    heading(out, o, &prose::buckets_title(r))?;
    let mut head = vec!["start"];
    head.extend(prose::BUCKET_COLUMNS);
    let mut t = table(o, &head);
    for b in prose::shown_buckets(r) {
        let [counts @ .., lost] = prose::bucket_counts(b);
        let mut row = vec![Cell::new(clock.show(Some(&b.start)))];
        row.extend(counts.map(num));
        row.push(if o.color && lost > 0 { num(lost).fg(Color::Red) } else { num(lost) });
        t.add_row(row);
    }
    writeln!(out, "{t}")?;
    for line in prose::bucket_notes(r) {
        writeln!(out, "{line}")?;
    }
    if let Some(line) = prose::onset(r, clock, short) {
        writeln!(out, "{}", wrap(&line, o.width as usize, ""))?;
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
