//! The report's sentences, and how times and paths are shown, shared by the renderers.
//!
//! Each function returns plain, unwrapped text built from the [`Report`]: the sentences, the
//! titles that carry numbers, and the table cells that need formatting (latency, percentages,
//! rates, phases). The terminal renderer wraps the text, the Markdown renderer escapes it with
//! [`super::markdown::text`] and the HTML renderer with [`super::html::escape`], so all three
//! say the same thing with the same numbers. Nothing here writes output or escapes.

use super::correlation::{BucketOut, SkewOut};
use super::{
    FailureGroupOutput, HypothesisOut, InputOut, LatencySummary, OutcomeRow, PhaseDetectionOut,
    PhaseOut, Report, SymptomOut, ThroughputOut, UnavailableOut,
};
use crate::requests::{LostClass, LostCounts};

/// What a sentence is to the reader. Only the HTML page shows the difference (notes in grey);
/// the other renderers print both alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Something found in the logs.
    Finding,
    /// How to read the numbers, or what is missing from them.
    Note,
}

/// The folder all inputs share (with its trailing `/`), so tables can show shorter names.
pub fn common_dir(r: &Report) -> String {
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
pub struct Clock {
    same_day: bool,
}

impl Clock {
    /// The clock for `r`'s span of events.
    pub fn of(r: &Report) -> Clock {
        let day = |t: &Option<String>| t.as_deref().and_then(|s| s.get(..10)).map(str::to_string);
        let (a, b) = (day(&r.run.earliest_event), day(&r.run.latest_event));
        Clock { same_day: a.is_some() && a == b }
    }

    /// `2026-11-25T15:39:43.109396Z` → `15:39:43.109` (or `2026-11-25 15:39:43.109`).
    pub fn show(self, t: Option<&str>) -> String {
        let Some(t) = t else { return "-".to_string() };
        match (self.same_day, t.get(..10), t.get(11..23)) {
            (true, _, Some(time)) => time.to_string(),
            (false, Some(date), Some(time)) => format!("{date} {time}"),
            _ => t.to_string(),
        }
    }
}

/// "Times are UTC, on 2026-11-25." when the whole run is on one UTC date.
pub fn times(r: &Report) -> Option<String> {
    let day = r.run.earliest_event.as_deref().and_then(|t| t.get(..10))?;
    Clock::of(r).same_day.then(|| format!("Times are UTC, on {day}."))
}

/// One sentence on the timestamps that needed help, when any did.
pub fn timestamps(r: &Report) -> Option<String> {
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
    (!parts.is_empty()).then(|| format!("Timestamps: {}.", parts.join(", ")))
}

/// A hypothesis' title: `Hypothesis 1: root cause a (high confidence, 0.91)`.
pub fn hypothesis_title(h: &HypothesisOut) -> String {
    format!(
        "Hypothesis {}: root cause {} ({} confidence, {:.2})",
        h.rank, h.root, h.confidence_label, h.confidence
    )
}

/// The numbered causal chain: `1. 15:39:43.109  text  [app.log:1271]`, one string per step
/// (without the number), in order.
pub fn chain_steps(h: &HypothesisOut, clock: Clock, short: &dyn Fn(&str) -> String) -> Vec<String> {
    h.steps
        .iter()
        .map(|s| {
            let lead = match s.role {
                "context" => "preceded by: ",
                "effect" => "→ ",
                _ => "",
            };
            let at = s
                .evidence
                .first()
                .map_or(String::new(), |e| format!("  [{}:{}]", short(&e.path), e.line));
            format!("{}  {lead}{}{at}", clock.show(s.first_seen.as_deref()), s.text)
        })
        .collect()
}

/// How the confidence was made: `precedence 1.00, coverage 0.98, ...`.
pub fn scores(h: &HypothesisOut) -> String {
    let s = &h.scores;
    format!(
        "Confidence {:.2} from precedence {:.2}, coverage {:.2} ({} of {} failed requests), link \
         support {:.2}, volume {:.2}.",
        h.confidence, s.precedence, s.coverage, h.explains_failed, h.failed, s.support, s.volume
    )
}

/// A symptom's row: onset, count of total, detail.
pub fn symptom_cells(s: &SymptomOut, clock: Clock) -> [String; 4] {
    [
        s.id.trim_start_matches("symptom:").to_string(),
        clock.show(s.onset.as_deref()),
        format!("{} of {}", s.count, s.of),
        s.detail.clone(),
    ]
}

/// An input's format as the inputs table shows it: `loadtest-csv (JMeter JTL)`, then
/// `(error)` when it could not be read, else its compression (`(gzip)`).
pub fn input_format(i: &InputOut) -> String {
    let format = match i.dialect {
        Some(d) => format!("{} ({d})", i.format),
        None => i.format.clone(),
    };
    match (&i.error, i.compression) {
        (Some(_), _) => format!("{format} (error)"),
        (None, Some(z)) => format!("{format} ({z})"),
        (None, None) => format,
    }
}

/// An input's caveats as the inputs table shows them: `zone_assumed 12, timestamp_inferred 3`.
pub fn input_notes(i: &InputOut) -> String {
    let notes: Vec<String> = i.notes.iter().map(|(k, v)| format!("{k} {v}")).collect();
    notes.join(", ")
}

/// The inputs with lines not understood, that could not be read (fully), or whose format is
/// unknown (an empty input too, so that each says why).
pub fn inputs_not_understood(r: &Report) -> Vec<&InputOut> {
    r.inputs
        .iter()
        .filter(|i| i.skipped > 0 || i.error.is_some() || i.format == "unknown")
        .collect()
}

/// One row of the "Lines not understood" table, after the input's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUnderstood {
    /// The reason: a skip reason, `error: ...` or `why unknown: ...`.
    pub reason: String,
    /// Lines skipped for it (none for the error and unknown-format rows).
    pub lines: Option<u64>,
    /// The first lines skipped for it, `3, 17, 18`.
    pub first_at: String,
}

/// An input's rows of the "Lines not understood" table: its error, each skip reason, and why
/// its format is unknown.
pub fn not_understood(i: &InputOut) -> Vec<NotUnderstood> {
    let mut rows = Vec::new();
    if let Some(e) = &i.error {
        rows.push(NotUnderstood {
            reason: format!("error: {e}"),
            lines: None,
            first_at: String::new(),
        });
    }
    for (reason, n) in &i.skipped_reasons {
        let first: Vec<String> = i
            .skipped_first_lines
            .get(reason)
            .map_or_else(Vec::new, |v| v.iter().map(u64::to_string).collect());
        rows.push(NotUnderstood {
            reason: (*reason).to_string(),
            lines: Some(*n),
            first_at: first.join(", "),
        });
    }
    // "not read" says nothing the error row does not.
    if i.format == "unknown" && !(i.error.is_some() && i.reason == "not read") {
        rows.push(NotUnderstood {
            reason: format!("why unknown: {}", i.reason),
            lines: None,
            first_at: String::new(),
        });
    }
    rows
}

/// A warning as a sentence: one from walking the input folders gets its context; one about
/// an input not read (a copy of another, see `crate::ingest::copies`) is one already.
pub fn walk_warning(w: &str) -> String {
    if w.starts_with("Not read: ") || w.starts_with("No load-test input: ") {
        return w.to_string();
    }
    format!("Skipped while walking folders: {w}")
}

/// The sentences under the funnel table, each with its [`Tone`].
pub fn funnel_notes(r: &Report) -> Vec<(Tone, String)> {
    let f = &r.funnel;
    let mut lines = Vec::new();
    if !f.has_app_log {
        lines.push((
            Tone::Note,
            "No application log was given: hit/started/completed are unknown, not zero."
                .to_string(),
        ));
    } else if let Some(l) = &f.biggest_loss {
        lines.push((
            Tone::Finding,
            format!("Most requests were lost between {} and {}: {}.", l.from, l.to, l.lost),
        ));
    }
    if f.outside_window > 0 {
        lines.push((
            Tone::Note,
            format!(
                "{} stage events fell outside the run window and were not counted (clock skew?).",
                f.outside_window
            ),
        ));
    }
    if let (Some(median), Some(p95)) = (f.query_ms.median, f.query_ms.p95) {
        lines.push((
            Tone::Finding,
            format!(
                "Queries took a median of {median:.1} ms (p95 {p95:.1} ms) over {} completed \
                 queries.",
                f.query_ms.count
            ),
        ));
    }
    if f.without_timestamp > 0 {
        lines.push((
            Tone::Note,
            format!("{} stage events had no timestamp; they were counted.", f.without_timestamp),
        ));
    }
    lines
}

/// A signed skew in ms: `+3742.0 ms`.
pub fn signed_ms(v: f64) -> String {
    format!("{v:+.1} ms")
}

/// The skews worth a sentence: those estimated, given or unknown (not the reference's own,
/// nor those assumed zero).
pub fn interesting_skews(r: &Report) -> Vec<&SkewOut> {
    r.correlation.skew.iter().filter(|s| s.method != "reference" && s.method != "assumed").collect()
}

/// One input's skew: `hammer.csv: -1.0 ms against app.log (estimated ±1.9 ms from 1026
/// requests, confidence high (0.98)); not corrected; ...`.
pub fn skew(r: &Report, s: &SkewOut, short: &dyn Fn(&str) -> String) -> String {
    let reference = r.correlation.reference.as_deref().map_or_else(|| "the app".into(), short);
    let how = match (s.method, s.error_ms, s.confidence_label, s.confidence) {
        ("estimated", Some(e), Some(label), Some(conf)) => {
            format!(
                "estimated ±{e:.1} ms from {} requests, confidence {label} ({conf:.2})",
                s.pairs
            )
        }
        ("override", ..) => "given with --skew".to_string(),
        (m, ..) => m.to_string(),
    };
    let done = if s.applied { "corrected" } else { "not corrected" };
    let note = s.note.as_deref().map_or(String::new(), |n| format!("; {n}"));
    format!(
        "{}: {} against {reference} ({how}); {done}{note}.",
        short(&s.path),
        signed_ms(s.skew_ms)
    )
}

/// Lost requests that cannot be classed for want of an application log, when there are any.
pub fn lost_without_app(r: &Report) -> Option<String> {
    let c = &r.correlation;
    (c.lost_by_class.is_none() && c.lost > 0).then(|| {
        format!(
            "{} requests were lost; without an application log they cannot be placed in the \
             pipeline.",
            c.lost
        )
    })
}

/// The lost-requests table's columns after the route, in the order of [`lost_counts`].
pub const LOST_COLUMNS: [&str; 6] =
    ["sent", "lost", "never reached app", "no query", "query unfinished", "completed"];

/// One row of the lost-requests table: requests sent and lost, then the lost by class, in the
/// order of [`LOST_COLUMNS`].
pub fn lost_counts(sent: u64, lost: u64, k: &LostCounts) -> [u64; 6] {
    [
        sent,
        lost,
        k.never_reached_app,
        k.no_query_started,
        k.query_not_completed,
        k.completed_but_failed,
    ]
}

/// What the client saw of the lost requests, and what the table's columns mean.
pub fn lost_outcomes(r: &Report) -> Option<String> {
    let by = r.correlation.lost_by_outcome.as_ref()?;
    let part = |k: &str| by.get(k).map_or(0, |l| l.total());
    Some(format!(
        "{} answered with a 5xx, {} without a response. Columns: never reached the app; reached \
         it but no query started; query started, never completed; query completed, yet the \
         client saw a failure.",
        part("status_5xx"),
        part("no_response")
    ))
}

/// How sent requests were matched to the application's, when both sides have requests.
pub fn matching(r: &Report) -> Option<String> {
    let m = &r.correlation.matching;
    (m.sent > 0 && m.app_requests > 0).then(|| {
        format!(
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
        )
    })
}

/// The width of the funnel-over-time buckets: `2 s`, `500 ms`.
pub fn bucket_width(r: &Report) -> String {
    let ms = r.correlation.bucket_ms;
    if ms >= 1000.0 { format!("{} s", ms / 1000.0) } else { format!("{ms} ms") }
}

/// The title of the funnel-over-time table: `Funnel over time (2 s buckets, by send time)`.
pub fn buckets_title(r: &Report) -> String {
    format!("Funnel over time ({} buckets, by send time)", bucket_width(r))
}

/// The buckets the funnel-over-time table shows: those in which requests were sent or hit.
pub fn shown_buckets(r: &Report) -> impl Iterator<Item = &BucketOut> {
    r.correlation.buckets.iter().filter(|b| b.sent > 0 || b.hit > 0)
}

/// The funnel-over-time table's columns after the bucket's start, in the order of
/// [`bucket_counts`]; the last is the lost requests.
pub const BUCKET_COLUMNS: [&str; 8] =
    ["sent", "hit", "started", "completed", "2xx", "5xx", "no response", "lost"];

/// One bucket's counts, in the order of [`BUCKET_COLUMNS`].
pub fn bucket_counts(b: &BucketOut) -> [u64; 8] {
    [b.sent, b.hit, b.started, b.completed, b.status_2xx, b.status_5xx, b.no_response, b.lost]
}

/// The sentences under the funnel-over-time table: how many buckets it leaves out, and the
/// correlation's note on the buckets.
pub fn bucket_notes(r: &Report) -> Vec<String> {
    let c = &r.correlation;
    let skipped = c.buckets.len() - shown_buckets(r).count();
    let mut lines = Vec::new();
    if skipped > 0 {
        lines.push(format!("{skipped} buckets without requests are not shown."));
    }
    if let Some(note) = &c.bucket_note {
        lines.push(format!("{note}."));
    }
    lines
}

/// The sentence naming when requests start being lost, or that none was.
pub fn onset(r: &Report, clock: Clock, short: &dyn Fn(&str) -> String) -> Option<String> {
    let c = &r.correlation;
    let Some(on) = &c.loss_onset else {
        return (c.matching.sent > 0).then(|| "No request was lost.".to_string());
    };
    let class = on
        .class
        .and_then(|k| LostClass::ALL.into_iter().find(|c| c.as_str() == k))
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
    Some(line)
}

/// The title of the latency table: what its numbers are of.
pub fn latency_title(aggregate: bool) -> &'static str {
    if aggregate {
        "Latency (ms; per-request runs: successful requests; aggregates: as the tool reported)"
    } else {
        "Latency of successful requests (ms)"
    }
}

/// The latency table's columns after the route, in the order of [`latency_cells`].
pub const LATENCY_COLUMNS: [&str; 8] =
    ["n", "fastest", "slowest", "mean", "median", "p90", "p95", "p99"];

/// One route's latency cells, in the order of [`LATENCY_COLUMNS`].
pub fn latency_cells(l: &LatencySummary) -> [String; 8] {
    [
        l.count.to_string(),
        ms(l.min),
        ms(l.max),
        ms(l.mean),
        ms(l.median),
        ms(l.p90),
        ms(l.p95),
        ms(l.p99),
    ]
}

/// One outcome row's cells: its requests, then the percentages in the order of
/// [`super::Columns::values`].
pub fn outcome_cells(row: &OutcomeRow) -> [String; 6] {
    let p = row.percent.values();
    [
        row.total.to_string(),
        percent(p[0]),
        percent(p[1]),
        percent(p[2]),
        percent(p[3]),
        percent(p[4]),
    ]
}

/// The throughput table's columns after its first, in the order of [`throughput_cells`].
pub const THROUGHPUT_COLUMNS: [&str; 5] =
    ["duration s", "sent", "completed", "successful", "peak sent"];

/// The throughput cells of a run (`-` where unknown), in the order of [`THROUGHPUT_COLUMNS`].
pub fn throughput_cells(tp: Option<ThroughputOut>, peak_sent_per_s: Option<u64>) -> [String; 5] {
    [
        tp.and_then(|t| t.duration_s).map_or("-".into(), |d| format!("{d:.1}")),
        rate(tp.and_then(|t| t.sent_per_s)),
        rate(tp.and_then(|t| t.completed_per_s)),
        rate(tp.and_then(|t| t.success_per_s)),
        peak_sent_per_s.map_or("-".into(), |p| format!("{p} in 1 s")),
    ]
}

/// The latency-phases table's columns, in the order of [`phase_rows`].
pub const PHASE_COLUMNS: [&str; 8] =
    ["phase", "requests #", "from s", "to s", "n", "median ms", "p95 ms", "max ms"];

/// The latency-phases table: a row per phase, its times in seconds from the first phase's
/// start, the last one running to `end`.
pub fn phase_rows(phases: &[PhaseOut]) -> Vec<[String; 8]> {
    let first = phases.first().and_then(|p| p.start_offset_s).unwrap_or(0.0);
    let secs = |v: Option<f64>| v.map_or("-".into(), |x| format!("{:.1}", x - first));
    phases
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let to = phases.get(k + 1).and_then(|n| n.start_offset_s);
            [
                phase_name(p.phase),
                format!("{}–{}", p.first_request, p.last_request),
                secs(p.start_offset_s),
                if to.is_some() { secs(to) } else { "end".to_string() },
                p.requests.to_string(),
                format!("{:.1}", p.median_ms),
                format!("{:.1}", p.p95_ms),
                format!("{:.1}", p.max_ms),
            ]
        })
        .collect()
}

/// The columns of the load tool's failures table, in the order of [`failure_cells`].
pub const FAILURE_COLUMNS: [&str; 4] = ["route", "error", "reads as", "occurrences"];

/// One failure group reported by the load tool, in the order of [`FAILURE_COLUMNS`].
pub fn failure_cells(f: &FailureGroupOutput) -> [String; 4] {
    [
        f.route.as_deref().unwrap_or("-").to_string(),
        f.error.clone(),
        f.outcome.replace('_', " "),
        f.occurrences.to_string(),
    ]
}

/// A note of the load-test reader: `Note: ...`.
pub fn loadtest_note(note: &str) -> String {
    format!("Note: {note}")
}

/// A load-test table that could not be computed: `Not shown: by offset: ...`.
pub fn not_shown(u: &UnavailableOut) -> String {
    format!("Not shown: {}: {}.", u.table.replace('_', " "), u.reason)
}

/// How the latency phases were found: `Baseline 624.3 ms; the knee is ...`.
pub fn phase_detection(d: &PhaseDetectionOut) -> String {
    format!(
        "Baseline {:.1} ms; the knee is where the rolling median of {} requests stays above \
         {:.1} ms.",
        d.baseline_ms, d.window, d.knee_threshold_ms
    )
}

/// A phase's name for people: `ramp_up` → `ramp up`.
pub fn phase_name(p: &str) -> String {
    p.replace('_', " ")
}

/// A latency in ms with one decimal, `-` when unknown.
pub fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.1}"))
}

/// A rate per second with two decimals, `-` when unknown.
pub fn rate(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.2}"))
}

/// A percentage with two decimals: `84.67`.
pub fn percent(v: f64) -> String {
    format!("{v:.2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(phase: &'static str, first: u64, start: Option<f64>) -> PhaseOut {
        PhaseOut {
            phase,
            first_request: first,
            last_request: first + 9,
            start: None,
            end: None,
            start_offset_s: start,
            requests: 10,
            median_ms: 12.34,
            p95_ms: 56.78,
            min_ms: 1.0,
            max_ms: 99.99,
        }
    }

    #[test]
    fn phase_rows_count_from_the_first_phase_and_run_to_the_end() {
        let rows = phase_rows(&[phase("baseline", 1, Some(2.0)), phase("ramp_up", 11, Some(7.5))]);
        assert_eq!(rows[0], ["baseline", "1–10", "0.0", "5.5", "10", "12.3", "56.8", "100.0"]);
        assert_eq!(rows[1][..4], ["ramp up", "11–20", "5.5", "end"]);
    }

    #[test]
    fn throughput_cells_show_unknowns_as_dashes() {
        let tp = ThroughputOut {
            duration_s: Some(12.345),
            sent_per_s: Some(10.0),
            completed_per_s: None,
            success_per_s: Some(9.125),
        };
        assert_eq!(
            throughput_cells(Some(tp), Some(42)),
            ["12.3", "10.00", "-", "9.12", "42 in 1 s"]
        );
        assert_eq!(throughput_cells(None, None), ["-", "-", "-", "-", "-"]);
    }
}
