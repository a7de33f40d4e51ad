//! "What changed" at the onset: which templates and field values occur at a different rate
//! after the onset than before it (issue 11, point 3). Pure arithmetic on counts: no I/O, and
//! it does not know what an item is (a template id, `route=/x`, `level=error`, `pid=123`,
//! `user=app`, `exception=sqlalchemy.exc.TimeoutError`, …).
//!
//! For each [`Item`] (its count before and after the onset) and the two window lengths `T₀`,
//! `T₁` in seconds, [`changes`] computes:
//!
//! - the rates per second before and after, `before / T₀` and `after / T₁`;
//! - **the test**: the conditional binomial test. Under "the rate did not change", given the
//!   `n = before + after` occurrences, `after ~ Binomial(n, T₁ / (T₀ + T₁))`. The p-value is the
//!   exact two-sided one ([`binom_two_sided`]: every outcome no more likely than the observed
//!   one, summed in log space; scipy's `binomtest` definition, checked against it), at any `n`;
//! - **the correction**: Benjamini–Hochberg q-values over the family of items tested
//!   ([`benjamini_hochberg`]); an item is `significant` when `q ≤` [`Options::fdr`].
//!
//! **Thresholds, and why.**
//!
//! - [`FDR`] = 0.01. A report has hundreds of candidate items (templates × field values), and a
//!   false "this changed" sends the reader after the wrong cause. At 0.01, at most one reported
//!   change in a hundred is expected to be noise; and when nothing changed (a healthy run, every
//!   item null) Benjamini–Hochberg controls the chance of *any* report at 0.01 as well. The
//!   test `healthy_runs_rarely_show_a_change` measures it: of 200 simulated healthy runs with
//!   50 Poisson templates each (rates 0.002..5 per second, 600 s, split at a random point), at
//!   most 5 % (10) may show any significant change; that seed gives 0 of 200, and 4000 runs
//!   gave 22 (0.55 %). Real logs are burstier than Poisson (requests come in waves, workers
//!   restart), so the real rate can be higher.
//! - An item is left out of the family when it cannot be significant whatever its split: when
//!   even its most extreme split (all `n` before, or all after) has a p-value above the FDR
//!   level (for example 7 occurrences or fewer when the windows are equal: `2·0.5⁷ ≈ 0.016`).
//!   Its `p_value` is `None`. This depends only on `n` and the window lengths, not on the split,
//!   so it leaves the test valid; it makes the family smaller, so the correction is less severe
//!   for the items that can carry evidence (Tarone's argument).
//! - `new`: no occurrence before and at least [`NEW_MIN`] = 3 after; one or two occurrences are
//!   too few to call a template new. `gone`: at least [`NEW_MIN`] before and none after. The
//!   flags describe; they are not evidence: in the same healthy simulation 92 of 200 runs had a
//!   `new` item (a rare template whose few occurrences all fell after the split), none of them
//!   significant. So only a new item that is also significant sorts first.
//!
//! **Order** ([`changes`]' result): new and significant items first (by count after, most
//! first), then significant increases by q-value, then significant decreases by q-value, then
//! the rest by p-value (untested items last); ties by key. A report lists the `significant`
//! ones. The first occurrence relative to the onset (`first_us - onset_us`) is passed through.
//!
//! ```
//! use rootcause::changes::{changes, Item, Options, Windows};
//!
//! let items = vec![
//!     // A template that was there all along, at the same rate.
//!     Item::new("GET /items 200", 600, 590).first_at(-600_000_000),
//!     // A timeout that appeared after the onset.
//!     Item::new("exception=sqlalchemy.exc.TimeoutError", 0, 40).first_at(2_000_000),
//!     // An error log line that became much more frequent.
//!     Item::new("level=error", 5, 120).first_at(-300_000_000),
//! ];
//! let w = Windows { before_s: 600.0, after_s: 600.0, onset_us: 0 };
//! let out = changes(&items, &w, &Options::default());
//! assert_eq!(out[0].key, "exception=sqlalchemy.exc.TimeoutError");
//! assert!(out[0].new && out[0].significant);
//! assert_eq!(out[0].first_after_onset_us, Some(2_000_000));
//! assert_eq!(out[1].key, "level=error");
//! assert!(out[1].significant && out[1].rate_after > out[1].rate_before);
//! assert!(!out[2].significant);
//! ```

use crate::compare::stats::{benjamini_hochberg, binom_two_sided};

/// The default false discovery rate: see the module doc for why.
pub const FDR: f64 = 0.01;

/// The fewest occurrences after the onset (with none before) for an item to be `new`, and
/// before (with none after) to be `gone`.
pub const NEW_MIN: u64 = 3;

/// One item's counts in the two windows.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// What it is: a template id, or `field=value`.
    pub key: String,
    /// Occurrences before the onset.
    pub before: u64,
    /// Occurrences at or after the onset.
    pub after: u64,
    /// When it first occurred (µs, the same clock as the onset), if known.
    pub first_us: Option<i64>,
}

impl Item {
    /// An item with its counts and no first occurrence.
    pub fn new(key: impl Into<String>, before: u64, after: u64) -> Item {
        Item { key: key.into(), before, after, first_us: None }
    }

    /// The same item, first seen at `first_us`.
    pub fn first_at(mut self, first_us: i64) -> Item {
        self.first_us = Some(first_us);
        self
    }
}

/// The two windows compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Windows {
    /// Length of the window before the onset, seconds.
    pub before_s: f64,
    /// Length of the window from the onset on, seconds.
    pub after_s: f64,
    /// The onset (µs), to place first occurrences.
    pub onset_us: i64,
}

/// Thresholds of [`changes`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// The false discovery rate an item's q-value is held to ([`FDR`]).
    pub fdr: f64,
    /// The count that makes an item `new` or `gone` ([`NEW_MIN`]).
    pub new_min: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options { fdr: FDR, new_min: NEW_MIN }
    }
}

/// One item judged (serialised as `rootcause patterns` reports a template's change).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Change {
    /// The item's key.
    #[serde(skip)]
    pub key: String,
    /// Occurrences before the onset.
    pub before: u64,
    /// Occurrences at or after the onset.
    pub after: u64,
    /// Occurrences per second before the onset (0 when the window is empty).
    pub rate_before: f64,
    /// Occurrences per second after the onset (0 when the window is empty).
    pub rate_after: f64,
    /// The two-sided conditional binomial p-value; `None` when the item was left out of the
    /// family (it could not be significant, or a window is empty).
    pub p_value: Option<f64>,
    /// The Benjamini–Hochberg q-value over the family; `None` when not tested.
    pub q_value: Option<f64>,
    /// `q ≤ fdr`.
    pub significant: bool,
    /// None before, at least `new_min` after.
    pub new: bool,
    /// At least `new_min` before, none after.
    pub gone: bool,
    /// First occurrence minus the onset (µs), negative when it was seen before the onset.
    pub first_after_onset_us: Option<i64>,
}

impl Change {
    /// Whether the rate went up (after the onset, per second).
    pub fn increased(&self) -> bool {
        self.rate_after > self.rate_before
    }

    /// Where it sorts: new and significant, significant increase, significant decrease, the rest.
    fn class(&self) -> u8 {
        match (self.new, self.significant, self.increased()) {
            (true, true, _) => 0,
            (false, true, true) => 1,
            (false, true, false) => 2,
            _ => 3,
        }
    }
}

/// The smallest p-value `n` occurrences could give, with a share `q` of the time after the
/// onset: the p-value of the most extreme split.
fn min_p(n: u64, q: f64) -> f64 {
    let lo = binom_two_sided(0, n, q).unwrap_or(1.0);
    let hi = binom_two_sided(n, n, q).unwrap_or(1.0);
    lo.min(hi)
}

/// Judges every item: rates, the test, the correction and the flags, in the order of the module
/// doc. Items with no occurrence at all are dropped.
pub fn changes(items: &[Item], w: &Windows, o: &Options) -> Vec<Change> {
    let per_s = |c: u64, t: f64| if t > 0.0 { c as f64 / t } else { 0.0 };
    let both = w.before_s > 0.0 && w.after_s > 0.0;
    let q = if both { w.after_s / (w.before_s + w.after_s) } else { 0.0 };
    let mut out: Vec<Change> = items
        .iter()
        .filter(|i| i.before + i.after > 0)
        .map(|i| {
            let n = i.before + i.after;
            let p_value =
                (both && min_p(n, q) <= o.fdr).then(|| binom_two_sided(i.after, n, q)).flatten();
            Change {
                key: i.key.clone(),
                before: i.before,
                after: i.after,
                rate_before: per_s(i.before, w.before_s),
                rate_after: per_s(i.after, w.after_s),
                p_value,
                q_value: None,
                significant: false,
                new: i.before == 0 && i.after >= o.new_min,
                gone: i.after == 0 && i.before >= o.new_min,
                first_after_onset_us: i.first_us.map(|f| f.saturating_sub(w.onset_us)),
            }
        })
        .collect();
    let tested: Vec<usize> = (0..out.len()).filter(|&i| out[i].p_value.is_some()).collect();
    let ps: Vec<f64> = tested.iter().filter_map(|&i| out[i].p_value).collect();
    for (&i, q) in tested.iter().zip(benjamini_hochberg(&ps)) {
        out[i].q_value = Some(q);
        out[i].significant = q <= o.fdr;
    }
    out.sort_by(|a, b| {
        let key = |c: &Change| match c.class() {
            0 => -(c.after as f64),
            1 | 2 => c.q_value.unwrap_or(1.0),
            _ => c.p_value.unwrap_or(2.0),
        };
        a.class().cmp(&b.class()).then(key(a).total_cmp(&key(b))).then_with(|| a.key.cmp(&b.key))
    });
    out
}

#[cfg(test)]
mod tests;
