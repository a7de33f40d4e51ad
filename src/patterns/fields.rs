//! Field values counted beside the templates (issue 11, point 3): the route, level and pid of
//! application and console events, the Postgres user, application name and severity, and the
//! type of every exception, each value with its count, first and last seen, the place it was
//! first seen and a histogram like a template's, so that `rootcause patterns` can test which
//! values changed at the onset.
//!
//! Values are kept per field up to [`MAX_VALUES`]; later new values of that field are counted
//! as [`OTHER`]. An event counts once per field and value.

use hashbrown::HashMap;

use foldhash::fast::FixedState;

use super::{Histogram, Miner, Occurrence, max_opt, min_opt};

/// The most distinct values kept per field.
pub const MAX_VALUES: usize = 1000;
/// The value that counts a field's values past [`MAX_VALUES`].
pub const OTHER: &str = "<other>";

/// One value's counts.
#[derive(Clone, Debug)]
pub(super) struct Tally {
    count: u64,
    first: Option<i64>,
    last: Option<i64>,
    first_at: Occurrence,
    hist: Histogram,
}

impl Tally {
    fn new(at: Occurrence) -> Tally {
        Tally { count: 0, first: None, last: None, first_at: at, hist: Histogram::new() }
    }

    fn count_one(&mut self, at: Occurrence) {
        self.count += 1;
        if let Some(ts) = at.ts {
            self.first = min_opt(self.first, Some(ts));
            self.last = max_opt(self.last, Some(ts));
            self.hist.add(ts.div_euclid(1_000_000), 1);
        }
        if at.key() < self.first_at.key() {
            self.first_at = at;
        }
    }

    fn absorb(&mut self, o: &Tally) {
        self.count += o.count;
        self.first = min_opt(self.first, o.first);
        self.last = max_opt(self.last, o.last);
        if o.first_at.key() < self.first_at.key() {
            self.first_at = o.first_at;
        }
        self.hist.merge(&o.hist);
    }

    pub(super) fn shift(&mut self, by: i64) {
        self.first = self.first.map(|t| t.saturating_add(by));
        self.last = self.last.map(|t| t.saturating_add(by));
        self.first_at.ts = self.first_at.ts.map(|t| t.saturating_add(by));
        self.hist.shift(by);
    }
}

/// The values of every field, in the order fields were first seen.
pub(super) type Fields = Vec<(&'static str, HashMap<Box<str>, Tally, FixedState>)>;

/// One field value as reported.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldValue {
    /// The field: `route`, `level`, `pid`, `pg_user`, `pg_app`, `pg_severity`, `exception`.
    pub field: &'static str,
    /// The value ([`OTHER`] for the values past [`MAX_VALUES`]).
    pub value: String,
    /// Events that had it.
    pub count: u64,
    /// First seen, µs.
    pub first: Option<i64>,
    /// Last seen, µs.
    pub last: Option<i64>,
    /// Where it was first seen.
    pub first_at: Occurrence,
    /// Timed events per bucket, keyed by the bucket's first second.
    pub per_second: std::collections::BTreeMap<i64, u64>,
}

impl Miner {
    /// Counts one event's `value` of `field` at `at`.
    pub fn add_field(&mut self, field: &'static str, value: &str, at: Occurrence) {
        let k = match self.fields.iter().position(|(f, _)| *f == field) {
            Some(k) => k,
            None => {
                self.fields.push((field, HashMap::with_hasher(FixedState::with_seed(0xf1e1d))));
                self.fields.len() - 1
            }
        };
        let values = &mut self.fields[k].1;
        if let Some(t) = values.get_mut(value) {
            t.count_one(at);
            return;
        }
        let key: Box<str> = if values.len() < MAX_VALUES { value.into() } else { OTHER.into() };
        values.entry(key).or_insert_with(|| Tally::new(at)).count_one(at);
    }

    /// Adds the field values of another miner.
    pub(super) fn merge_fields(&mut self, other: Fields) {
        for (field, values) in other {
            for (value, t) in values {
                let k = match self.fields.iter().position(|(f, _)| *f == field) {
                    Some(k) => k,
                    None => {
                        let map = HashMap::with_hasher(FixedState::with_seed(0xf1e1d));
                        self.fields.push((field, map));
                        self.fields.len() - 1
                    }
                };
                let mine = &mut self.fields[k].1;
                let key = if mine.contains_key(&value) || mine.len() < MAX_VALUES {
                    value
                } else {
                    OTHER.into()
                };
                match mine.get_mut(&key) {
                    Some(m) => m.absorb(&t),
                    None => {
                        mine.insert(key, t);
                    }
                }
            }
        }
    }

    /// Every field value counted, by field (in the order first seen), then by count (most
    /// first), then value.
    pub fn field_values(&self) -> Vec<FieldValue> {
        let mut out = Vec::new();
        for (field, values) in &self.fields {
            let mut v: Vec<FieldValue> = values
                .iter()
                .map(|(value, t)| FieldValue {
                    field,
                    value: value.to_string(),
                    count: t.count,
                    first: t.first,
                    last: t.last,
                    first_at: t.first_at,
                    per_second: t.hist.buckets.clone(),
                })
                .collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            out.extend(v);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Miner, MinerConfig, Occurrence};
    use super::{MAX_VALUES, OTHER};

    fn at(line: u64, s: i64) -> Occurrence {
        Occurrence { source: 0, line, ts: Some(s * 1_000_000) }
    }

    #[test]
    fn values_are_counted_merged_shifted_and_capped() {
        let mut a = Miner::new(MinerConfig::default());
        a.add_field("route", "/a", at(3, 10));
        a.add_field("route", "/a", at(1, 12));
        a.add_field("level", "error", at(2, 11));
        let mut b = Miner::new(MinerConfig::default());
        b.add_field("route", "/a", at(9, 5));
        b.add_field("route", "/b", at(8, 20));
        b.shift(-2_000_000);
        a.merge(b);
        let v = a.field_values();
        let get = |f: &str, x: &str| v.iter().find(|fv| fv.field == f && fv.value == x).cloned();
        let ra = get("route", "/a").expect("/a");
        assert_eq!((ra.count, ra.first, ra.last), (3, Some(3_000_000), Some(12_000_000)));
        assert_eq!(ra.first_at.line, 9);
        assert_eq!(ra.per_second.keys().copied().collect::<Vec<_>>(), [3, 10, 12]);
        assert_eq!(get("route", "/b").map(|x| x.first), Some(Some(18_000_000)));
        assert_eq!(get("level", "error").map(|x| x.count), Some(1));
        // Past the cap, new values count as one.
        let mut m = Miner::new(MinerConfig::default());
        for i in 0..MAX_VALUES + 5 {
            m.add_field("pid", &i.to_string(), at(i as u64 + 1, 1));
        }
        m.add_field("pid", "0", at(9999, 1));
        let v = m.field_values();
        assert_eq!(v.len(), MAX_VALUES + 1);
        assert_eq!(v.iter().find(|x| x.value == OTHER).map(|x| x.count), Some(5));
        assert_eq!(v.iter().find(|x| x.value == "0").map(|x| x.count), Some(2));
    }
}
