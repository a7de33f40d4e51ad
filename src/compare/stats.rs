//! The tests `diff` and `check` judge changes with: Mann-Whitney U for latency distributions, a
//! bootstrap of the percentile difference for tail latency, Fisher's exact test for rates, and
//! a conditional binomial test for event counts. Every p-value `diff` and `check` use is one-sided
//! ("is the candidate worse?", or "better?"); none is a bare ratio.
//!
//! The onset and "what changed" analyses ([`crate::onset`], [`crate::changes`]) add the exact
//! two-sided binomial test ([`binom_two_sided`], scipy's `binomtest` definition) and the
//! Benjamini–Hochberg correction ([`benjamini_hochberg`]).

/// The standard normal upper tail `P(Z > z)` (Abramowitz & Stegun 7.1.26 through erfc; absolute
/// error below 1.5e-7).
pub fn normal_upper(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-x * x).exp();
    let erfc = if x >= 0.0 { erfc } else { 2.0 - erfc };
    (erfc / 2.0).clamp(0.0, 1.0)
}

/// Mann-Whitney U test of "`b` tends to be larger than `a`": the one-sided p-value from the
/// normal approximation with tie and continuity corrections. `None` when a side is empty.
pub fn mann_whitney_greater(a: &[f64], b: &[f64]) -> Option<f64> {
    let (na, nb) = (a.len() as f64, b.len() as f64);
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut all: Vec<(f64, bool)> =
        a.iter().map(|&v| (v, false)).chain(b.iter().map(|&v| (v, true))).collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let (mut rank_b, mut ties) = (0.0, 0.0);
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        let mid = (i + j) as f64 / 2.0 + 1.0;
        rank_b += all[i..=j].iter().filter(|x| x.1).count() as f64 * mid;
        ties += t * t * t - t;
        i = j + 1;
    }
    let u = rank_b - nb * (nb + 1.0) / 2.0;
    let mean = na * nb / 2.0;
    let nf = n as f64;
    let var = na * nb / 12.0 * ((nf + 1.0) - ties / (nf * (nf - 1.0)).max(1.0));
    if var <= 0.0 {
        return Some(if u > mean { 0.0 } else { 1.0 });
    }
    let z = (u - mean - 0.5) / var.sqrt();
    Some(normal_upper(z))
}

/// Nearest-rank percentile `p` (0..100) of `v`, reordering it.
pub fn percentile(v: &mut [f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let rank = ((p / 100.0 * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    let (_, x, _) = v.select_nth_unstable_by(rank, f64::total_cmp);
    Some(*x)
}

/// A deterministic generator (64-bit LCG, high bits) for the bootstrap.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Bootstrap resamples drawn by [`bootstrap_diff`].
pub const BOOTSTRAP: usize = 400;

/// The 95% bootstrap interval of `percentile(b, p) − percentile(a, p)` ([`BOOTSTRAP`]
/// resamples of each side, fixed seed: the same inputs give the same interval).
pub fn bootstrap_diff(a: &[f64], b: &[f64], p: f64) -> Option<(f64, f64)> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut rng = Lcg(0x005e_ed0f_b007);
    let mut diffs = Vec::with_capacity(BOOTSTRAP);
    let (mut ra, mut rb) = (vec![0.0; a.len()], vec![0.0; b.len()]);
    for _ in 0..BOOTSTRAP {
        ra.iter_mut().for_each(|x| *x = a[rng.below(a.len())]);
        rb.iter_mut().for_each(|x| *x = b[rng.below(b.len())]);
        diffs.push(percentile(&mut rb, p)? - percentile(&mut ra, p)?);
    }
    let lo = percentile(&mut diffs.clone(), 2.5)?;
    let hi = percentile(&mut diffs, 97.5)?;
    Some((lo, hi))
}

/// The quantile test of "`b`'s `p`-th percentile is higher than `a`'s": both samples are cut at
/// the pooled sample's `p`-th percentile, and Fisher's exact test compares the shares above it
/// (under the null hypothesis both come from one distribution, so the shares are exchangeable).
/// More powerful for a tail percentile than a bootstrap interval on a few hundred requests.
/// One-sided p-value; `None` when a side is empty.
pub fn quantile_greater(a: &[f64], b: &[f64], p: f64) -> Option<f64> {
    let mut pooled: Vec<f64> = a.iter().chain(b).copied().collect();
    let q = percentile(&mut pooled, p)?;
    let above = |v: &[f64]| v.iter().filter(|x| **x > q).count() as u64;
    fisher_greater(above(a), a.len() as u64, above(b), b.len() as u64)
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7; relative error about 1e-15).
pub fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

fn ln_choose(n: u64, k: u64) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// Fisher's exact test that the rate `k2 / n2` is higher than `k1 / n1`: the one-sided p-value
/// `P(X ≥ k2)` for `X` hypergeometric with the margins fixed. `None` when a side is empty.
pub fn fisher_greater(k1: u64, n1: u64, k2: u64, n2: u64) -> Option<f64> {
    if n1 == 0 || n2 == 0 || k1 > n1 || k2 > n2 {
        return None;
    }
    let (n, k) = (n1 + n2, k1 + k2);
    let denom = ln_choose(n, n2);
    let hi = k.min(n2);
    let lo = k.saturating_sub(n1);
    let mut p = 0.0;
    for x in k2.max(lo)..=hi {
        let term = (ln_choose(k, x) + ln_choose(n - k, n2 - x) - denom).exp();
        p += term;
        if term < 1e-18 * p {
            break;
        }
    }
    Some(p.min(1.0))
}

/// The test that events occur more often per request in the candidate: given `c1 + c2`
/// events, `c2` is binomial with the candidate's share of requests. One-sided p-value
/// `P(X ≥ c2)`. `None` when a side has no requests.
pub fn rate_greater(c1: u64, n1: u64, c2: u64, n2: u64) -> Option<f64> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let k = c1 + c2;
    let q = n2 as f64 / (n1 + n2) as f64;
    let mut p = 0.0;
    for x in c2..=k {
        let term = (ln_choose(k, x) + x as f64 * q.ln() + (k - x) as f64 * (1.0 - q).ln()).exp();
        p += term;
        if term < 1e-18 * p {
            break;
        }
    }
    Some(p.min(1.0))
}

/// `ln P(X = k)` for `X ~ Binomial(n, p)`; `-inf` when `k > n` or the probability is zero.
pub fn binom_ln_pmf(k: u64, n: u64, p: f64) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    if p <= 0.0 {
        return if k == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    if p >= 1.0 {
        return if k == n { 0.0 } else { f64::NEG_INFINITY };
    }
    ln_choose(n, k) + k as f64 * p.ln() + (n - k) as f64 * (-p).ln_1p()
}

/// Sums `P(X = i)` for `i` from `from` outward (down to 0 when `down`, else up to `n`), where
/// the terms only shrink: it stops once a term no longer changes the sum.
fn binom_tail(from: u64, n: u64, p: f64, down: bool) -> f64 {
    let mut sum = 0.0;
    let mut i = from;
    loop {
        let term = binom_ln_pmf(i, n, p).exp();
        sum += term;
        if term <= 1e-17 * sum || (down && i == 0) || (!down && i >= n) {
            return sum;
        }
        i = if down { i - 1 } else { i + 1 };
    }
}

/// The exact two-sided binomial test of `k` successes in `n` trials with success probability
/// `p`: the sum of the probabilities of every outcome no more likely than `k` (with scipy's
/// relative tolerance 1e-7 for ties), as `scipy.stats.binomtest(k, n, p).pvalue` computes it.
///
/// The probabilities are computed in log space through [`ln_gamma`], and only the two tails are
/// summed, from their inner ends outward until the terms stop counting: the cost grows like
/// `√n`, so there is no normal approximation at any `n`. `None` when `k > n` or `p` is not in
/// `0..=1`.
pub fn binom_two_sided(k: u64, n: u64, p: f64) -> Option<f64> {
    if k > n || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let mean = n as f64 * p;
    if n == 0 || k as f64 == mean {
        return Some(1.0);
    }
    // Outcomes as likely as `k` up to float error count as ties (scipy's `rerr`).
    let lim = binom_ln_pmf(k, n, p) + 1e-7f64.ln_1p();
    let as_likely = |i: u64| binom_ln_pmf(i, n, p) > lim;
    let p = if (k as f64) < mean {
        // The pmf does not increase above ⌈np⌉: the first outcome there that is no more likely
        // than `k` starts the other tail.
        let (mut lo, mut hi) = ((mean.ceil() as u64).min(n), n + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if as_likely(mid) { lo = mid + 1 } else { hi = mid }
        }
        binom_tail(k, n, p, true) + if lo <= n { binom_tail(lo, n, p, false) } else { 0.0 }
    } else {
        // The pmf does not decrease below ⌊np⌋: the last outcome there that is no more likely
        // than `k` ends the other tail.
        let (mut lo, mut hi) = (0u64, (mean.floor() as u64).min(n) + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if as_likely(mid) { hi = mid } else { lo = mid + 1 }
        }
        binom_tail(k, n, p, false) + if lo > 0 { binom_tail(lo - 1, n, p, true) } else { 0.0 }
    };
    Some(p.min(1.0))
}

/// Benjamini–Hochberg adjusted p-values (q-values), in the order of `p`: `q(i)` is the smallest
/// `p(j)·m / rank(j)` over the p-values `p(j) ≥ p(i)`, capped at 1 (scipy's
/// `false_discovery_control(p, method="bh")`). Rejecting every `q ≤ α` keeps the expected share
/// of false discoveries at or below `α` for independent tests.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        q[i] = running;
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_tail_matches_tables() {
        assert!((normal_upper(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_upper(1.959_964) - 0.025).abs() < 1e-6);
        assert!((normal_upper(-1.644_854) - 0.95).abs() < 1e-6);
        assert!(normal_upper(10.0) < 1e-20);
    }

    #[test]
    fn mann_whitney_sees_a_shift_and_not_noise() {
        let a: Vec<f64> = (0..200).map(|i| 100.0 + (i * 37 % 50) as f64).collect();
        let b: Vec<f64> = a.iter().map(|v| v * 1.2).collect();
        assert!(mann_whitney_greater(&a, &b).expect("p") < 1e-6);
        assert!(mann_whitney_greater(&b, &a).expect("p") > 0.99);
        // The same values in another order: no evidence either way.
        let mut c = a.clone();
        c.reverse();
        let p = mann_whitney_greater(&a, &c).expect("p");
        assert!((0.4..=0.6).contains(&p), "{p}");
        // All tied.
        assert_eq!(mann_whitney_greater(&[1.0, 1.0], &[1.0, 1.0]), Some(1.0));
        assert_eq!(mann_whitney_greater(&[], &[1.0]), None);
    }

    #[test]
    fn mann_whitney_agrees_with_a_textbook_example() {
        // Two samples from a textbook (no ties): U for b is 3 of 25; one-sided exact p 0.028,
        // normal approximation with continuity about 0.037.
        let a = [7.0, 3.0, 6.0, 2.0, 4.0];
        let b = [1.0, 5.0, 0.5, -1.0, 0.0];
        let p = mann_whitney_greater(&b, &a).expect("p");
        assert!((0.02..0.05).contains(&p), "{p}");
    }

    #[test]
    fn bootstrap_interval_covers_the_true_difference() {
        let a: Vec<f64> = (0..1000).map(|i| (i % 100) as f64).collect();
        let b: Vec<f64> = a.iter().map(|v| v + 50.0).collect();
        let (lo, hi) = bootstrap_diff(&a, &b, 95.0).expect("interval");
        assert!(lo <= 50.0 && 50.0 <= hi && lo > 0.0, "{lo}..{hi}");
        let (lo, hi) = bootstrap_diff(&a, &a, 95.0).expect("interval");
        assert!(lo <= 0.0 && 0.0 <= hi, "{lo}..{hi}");
        assert_eq!(bootstrap_diff(&a, &b, 95.0), bootstrap_diff(&a, &b, 95.0), "deterministic");
    }

    #[test]
    fn quantile_test_sees_a_tail_shift_and_not_noise() {
        let a: Vec<f64> = (0..450).map(|i| 10.0 + (i * 7919 % 450) as f64 / 10.0).collect();
        let b: Vec<f64> = a.iter().map(|v| v * 1.4).collect();
        assert!(quantile_greater(&a, &b, 95.0).expect("p") < 0.01);
        assert!(quantile_greater(&b, &a, 95.0).expect("p") > 0.5);
        let c: Vec<f64> = a.iter().rev().copied().collect();
        assert!(quantile_greater(&a, &c, 95.0).expect("p") > 0.3);
    }

    #[test]
    fn fisher_and_rate_tests() {
        // 0/100 against 10/100: clearly higher.
        assert!(fisher_greater(0, 100, 10, 100).expect("p") < 0.001);
        // The same rate: no evidence.
        assert!(fisher_greater(5, 100, 5, 100).expect("p") > 0.4);
        // Lady tasting tea: 3 of 4 against 1 of 4, one-sided p = 17/70.
        assert!((fisher_greater(1, 4, 3, 4).expect("p") - 17.0 / 70.0).abs() < 1e-9);
        assert_eq!(fisher_greater(0, 0, 1, 1), None);
        assert!(rate_greater(0, 1000, 20, 1000).expect("p") < 1e-5);
        assert!(rate_greater(10, 1000, 10, 1000).expect("p") > 0.4);
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
    }

    /// `(k, n, p, scipy.stats.binomtest(k, n, p).pvalue)`, two-sided, computed with scipy 1.17.1.
    const BINOMTEST: [(u64, u64, f64, f64); 17] = [
        (3, 10, 0.5, 0.34375),
        (0, 20, 0.3, 0.0010589696700355874),
        (7, 7, 0.4, 0.0016384000000000006),
        (5, 40, 0.25, 0.06951886665575854),
        (30, 40, 0.25, 4.630880897739289e-11),
        (12, 100, 0.2, 0.045348959953569634),
        (250, 1000, 0.2, 0.00012262983509634797),
        (1, 1, 0.5, 1.0),
        (0, 5, 0.5, 0.0625),
        (9, 12, 0.6, 0.3835495751679999),
        (5100, 10000, 0.5, 0.04658552770494645),
        (49, 200000, 0.0004, 0.0002674331921105182),
        (130, 200000, 0.0004, 2.3848218838613394e-07),
        (4, 4, 0.33, 0.011859210000000002),
        (0, 3, 0.05, 1.0),
        (600, 2000, 0.27, 0.0027234910975560246),
        (17, 60, 0.7, 3.533084620254036e-11),
    ];

    #[test]
    fn binom_two_sided_matches_scipy() {
        for (k, n, p, want) in BINOMTEST {
            let got = binom_two_sided(k, n, p).expect("p-value");
            assert!(
                (got - want).abs() <= 1e-9 * want.max(1e-300),
                "{k}/{n} at {p}: {got} vs {want}"
            );
        }
        assert_eq!(binom_two_sided(3, 2, 0.5), None);
        assert_eq!(binom_two_sided(1, 2, 1.5), None);
        assert_eq!(binom_two_sided(0, 0, 0.5), Some(1.0));
        // Certain outcomes: the observed one has probability 1, any other 0.
        assert_eq!(binom_two_sided(0, 10, 0.0), Some(1.0));
        assert_eq!(binom_two_sided(1, 10, 0.0), Some(0.0));
    }

    #[test]
    fn binom_two_sided_is_exact_and_quick_at_large_n() {
        // scipy 1.17.1, as above. Up to 10⁷ trials: ln Γ's relative error (about 1e-15 of
        // ln Γ(10⁷) ≈ 1.5e8) allows a relative error near 1e-7 here; measured: 6e-9 at most.
        let large = [
            (1000, 1_000_000, 0.001, 1.0),
            (1100, 1_000_000, 0.001, 0.0018266320291499593),
            (900, 1_000_000, 0.001, 0.0013931053511917549),
            (2_503_000, 10_000_000, 0.25, 0.028486170580406575),
            (3, 2_000_000, 5e-7, 0.080301351086443),
            (499_000, 1_000_000, 0.5, 0.0456082998653896),
        ];
        let started = std::time::Instant::now();
        for (k, n, p, want) in large {
            let got = binom_two_sided(k, n, p).expect("p-value");
            assert!((got - want).abs() <= 1e-7 * want, "{k}/{n} at {p}: {got} vs {want}");
        }
        // Only the tails are summed (about 40 standard deviations, not n terms); generous for
        // a debug build on a shared machine.
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    }

    #[test]
    fn benjamini_hochberg_matches_scipy() {
        // scipy.stats.false_discovery_control(p, method="bh"), scipy 1.17.1.
        let p = [0.01, 0.04, 0.03, 0.002, 0.5, 0.2, 0.04, 0.9];
        let want = [0.04, 0.064, 0.064, 0.016, 0.5714285714285714, 0.26666666666666666, 0.064, 0.9];
        for (got, want) in benjamini_hochberg(&p).iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        assert!(benjamini_hochberg(&[]).is_empty());
    }
}
