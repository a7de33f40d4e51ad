//! Moving a miner's times: an input's templates are mined on its own clock and moved onto the
//! corrected one once its skew is known ([`Miner::shift`]).

use super::{Group, Miner};

impl Miner {
    /// Moves every time it holds by `by` microseconds (the skew correction of the input it
    /// mined): first and last seen, the examples' times, and the histograms, whose buckets
    /// move by the whole seconds of `by` (rounded down), re-binned at their width.
    pub fn shift(&mut self, by: i64) {
        if by == 0 {
            return;
        }
        for g in self.groups.iter_mut().chain(self.overflow.as_mut()) {
            shift_group(g, by);
        }
        for (_, values) in &mut self.fields {
            values.values_mut().for_each(|t| t.shift(by));
        }
    }
}

fn shift_group(g: &mut Group, by: i64) {
    g.first = g.first.map(|t| t.saturating_add(by));
    g.last = g.last.map(|t| t.saturating_add(by));
    g.example_at.ts = g.example_at.ts.map(|t| t.saturating_add(by));
    g.hist.shift(by);
}

#[cfg(test)]
mod tests {
    use super::super::{Miner, MinerConfig, Occurrence};

    #[test]
    fn a_shift_moves_times_examples_and_buckets() {
        let mut m = Miner::new(MinerConfig::default());
        for (line, s) in [(1u64, 100i64), (2, 101), (3, 103)] {
            let at = Occurrence { source: 0, line, ts: Some(s * 1_000_000 + 250_000) };
            m.add("console", &format!("Booting worker with pid: {line}"), at);
        }
        m.shift(-2_500_000);
        let t = &m.templates()[0];
        assert_eq!((t.first, t.last), (Some(97_750_000), Some(100_750_000)));
        assert_eq!(t.example_at.ts, Some(97_750_000));
        let keys: Vec<i64> = t.per_second.keys().copied().collect();
        assert_eq!(keys, [97, 98, 100]);
        assert_eq!(t.per_second.values().sum::<u64>(), 3);
    }
}
