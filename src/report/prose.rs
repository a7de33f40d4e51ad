//! The report's sentences, and how times and paths are shown, shared by the renderers.
//!
//! Each function returns plain, unwrapped text built from the [`Report`]; the terminal
//! renderer wraps it and the Markdown renderer escapes it, so both say the same thing with
//! the same numbers. Nothing here writes output.

use super::Report;
use super::correlation::SkewOut;
use crate::requests::LostClass;

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

/// The sentences under the funnel table.
pub fn funnel_notes(r: &Report) -> Vec<String> {
    let f = &r.funnel;
    let mut lines = Vec::new();
    if !f.has_app_log {
        lines.push(
            "No application log was given: hit/started/completed are unknown, not zero."
                .to_string(),
        );
    } else if let Some(l) = &f.biggest_loss {
        lines.push(format!("Most requests were lost between {} and {}: {}.", l.from, l.to, l.lost));
    }
    if f.outside_window > 0 {
        lines.push(format!(
            "{} stage events fell outside the run window and were not counted (clock skew?).",
            f.outside_window
        ));
    }
    if let (Some(median), Some(p95)) = (f.query_ms.median, f.query_ms.p95) {
        lines.push(format!(
            "Queries took a median of {median:.1} ms (p95 {p95:.1} ms) over {} completed queries.",
            f.query_ms.count
        ));
    }
    if f.without_timestamp > 0 {
        lines.push(format!(
            "{} stage events had no timestamp; they were counted.",
            f.without_timestamp
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

/// How the latency phases were found: `Baseline 624.3 ms; the knee is ...`.
pub fn phase_detection(d: &super::PhaseDetectionOut) -> String {
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
