//! Small numeric helpers: percentiles and summaries of samples.
//!
//! Percentiles use the nearest-rank definition (the smallest sample with at least p% of the
//! samples at or below it), as load tools report them; the median is the mean of the two middle
//! samples for an even count.

/// Summary of a sample of durations in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of samples.
    pub count: u64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// Nearest-rank percentile of an ascending slice; `p` in 0..=100.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// Median of an ascending slice.
pub fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => sorted.get(n / 2).copied(),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// Summarises samples (sorted in place); `None` when there are none.
pub fn summarise(samples: &mut [f64]) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    // Values equal by `total_cmp` are the same bits: an unstable sort gives the same order.
    samples.sort_unstable_by(f64::total_cmp);
    let sum: f64 = samples.iter().sum();
    Some(Summary {
        count: samples.len() as u64,
        min: samples[0],
        max: samples[samples.len() - 1],
        mean: sum / samples.len() as f64,
        median: median(samples)?,
        p90: percentile(samples, 90.0)?,
        p95: percentile(samples, 95.0)?,
        p99: percentile(samples, 99.0)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_and_median() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 95.0), Some(19.0));
        assert_eq!(percentile(&v, 100.0), Some(20.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(median(&v), Some(10.5));
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(percentile(&[], 50.0), None);
        let mut w = vec![5.0, 1.0, 3.0];
        let s = summarise(&mut w).unwrap();
        assert_eq!((s.min, s.max, s.mean, s.median, s.count), (1.0, 5.0, 3.0, 3.0, 3));
        assert!(summarise(&mut []).is_none());
    }
}
