use super::*;
use crate::testrng::SplitMix;

const S: i64 = 1_000_000;

/// `len` one-second buckets of `per` requests, each failing with `rate(i)`.
fn series(seed: u64, len: i64, per: u64, rate: impl Fn(i64) -> f64) -> Vec<Bucket> {
    let mut rng = SplitMix(seed);
    (0..len)
        .map(|i| Bucket { start_us: i * S, total: per, bad: rng.binomial(per, rate(i)) })
        .collect()
}

fn onset(f: Finding) -> Onset {
    match f {
        Finding::Onset(o) => o,
        other => panic!("no onset: {other:?}"),
    }
}

#[test]
fn a_clean_step_is_found_within_one_bucket() {
    for seed in 0..20 {
        let b = series(seed, 120, 40, |i| if i < 70 { 0.01 } else { 0.2 });
        let o = onset(rate_onset(&b, &Options::default()));
        assert!((o.at_us - 70 * S).abs() <= S, "seed {seed}: {}", o.at_us);
        assert_eq!((o.until_us, o.method), (None, Method::Rate));
        assert!(o.p_value < 1e-20 && o.after.1 * o.before.0 > 10 * o.before.1 * o.after.0);
        assert!(o.change_points.contains(&o.at_us));
    }
}

#[test]
fn a_stationary_noisy_series_has_no_onset() {
    // 100 healthy runs at 2 % and 100 at 0.2 % failures: none may report an onset.
    for seed in 0..200 {
        let rate = if seed % 2 == 0 { 0.002 } else { 0.02 };
        let b = series(seed, 300, 30, |_| rate);
        assert_eq!(rate_onset(&b, &Options::default()), Finding::Stable, "seed {seed}");
    }
}

#[test]
fn the_first_of_two_waves_is_the_onset_and_a_recovery_ends_it() {
    for seed in 0..20 {
        let b = series(seed, 100, 50, |i| match i {
            20..35 => 0.3,
            60..80 => 0.6,
            _ => 0.005,
        });
        let o = onset(rate_onset(&b, &Options::default()));
        assert!((o.at_us - 20 * S).abs() <= S, "seed {seed}: {}", o.at_us);
        let until = o.until_us.expect("recovered");
        assert!((until - 35 * S).abs() <= S, "seed {seed}: {until}");
        // The second wave is not in the window: about 15 buckets of 50 requests.
        assert!((650..=850).contains(&o.after.0), "{:?}", o.after);
    }
}

#[test]
fn a_single_bucket_spike_is_not_an_onset() {
    let mut b = series(3, 100, 40, |_| 0.005);
    b[50].bad = 40;
    assert_eq!(rate_onset(&b, &Options::default()), Finding::Stable);
    // A spike before the real failure does not take its place.
    let mut b = series(4, 100, 40, |i| if i < 70 { 0.005 } else { 0.3 });
    b[30].bad = 40;
    let o = onset(rate_onset(&b, &Options::default()));
    assert!((o.at_us - 70 * S).abs() <= S, "{}", o.at_us);
    // A spike in the first bucket does not make the run bad from its start.
    let mut b = series(5, 100, 40, |_| 0.005);
    b[0].bad = 40;
    assert_eq!(rate_onset(&b, &Options::default()), Finding::Stable);
}

#[test]
fn empty_buckets_are_skipped_and_the_onset_lands_on_requests() {
    let mut b = series(6, 80, 40, |i| if i < 40 { 0.005 } else { 0.5 });
    // Nothing sent during seconds 38..42 (the tool stalled, or the clock jumped).
    for x in &mut b[38..42] {
        *x = Bucket { total: 0, bad: 0, ..*x };
    }
    let o = onset(rate_onset(&b, &Options::default()));
    assert_eq!(o.at_us, 42 * S);
    assert_eq!(o.before.0 + o.after.0, 76 * 40, "the empty buckets count for nothing");
}

#[test]
fn a_run_bad_from_its_first_bucket_has_no_onset() {
    let b = series(7, 60, 40, |_| 0.4);
    assert_eq!(
        rate_onset(&b, &Options::default()),
        Finding::FromStart { first: (2400, b.iter().map(|x| x.bad).sum()), until_us: None }
    );
    // Bad at first, then healthy, then a second wave: still bad from the start, until the
    // healthy stretch.
    let b = series(8, 90, 40, |i| if (20..60).contains(&i) { 0.002 } else { 0.4 });
    match rate_onset(&b, &Options::default()) {
        Finding::FromStart { until_us: Some(u), .. } => assert!((u - 20 * S).abs() <= S, "{u}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn too_few_requests_are_not_judged() {
    let b = series(9, 10, 4, |i| if i < 5 { 0.0 } else { 1.0 });
    assert_eq!(rate_onset(&b, &Options::default()), Finding::TooFew { total: 40 });
    assert_eq!(rate_onset(&[], &Options::default()), Finding::TooFew { total: 0 });
    // Bad counts above the total are clamped, not a panic.
    let b: Vec<Bucket> = (0..30)
        .map(|i| Bucket { start_us: i * S, total: 5, bad: if i < 15 { 0 } else { 9 } })
        .collect();
    assert!((onset(rate_onset(&b, &Options::default())).at_us - 15 * S).abs() <= S);
}

/// `len` buckets of `per` log-normal latencies around `median(i)` ms.
fn latencies(seed: u64, len: i64, per: usize, median: impl Fn(i64) -> f64) -> Vec<LatencyBucket> {
    let mut rng = SplitMix(seed);
    (0..len)
        .map(|i| LatencyBucket {
            start_us: i * S,
            latencies_ms: (0..per).map(|_| median(i) * (0.5 * rng.normal()).exp()).collect(),
        })
        .collect()
}

#[test]
fn a_latency_step_is_found_and_noise_or_a_small_shift_is_not() {
    for seed in 0..10 {
        let b = latencies(seed, 120, 20, |i| if i < 80 { 100.0 } else { 400.0 });
        let o = onset(latency_onset(&b, &Options::default()));
        assert!((o.at_us - 80 * S).abs() <= S, "seed {seed}: {}", o.at_us);
        assert_eq!((o.method, o.before.1, o.after.1), (Method::Latency, 0, 0));
        let b = latencies(100 + seed, 120, 20, |_| 100.0);
        assert_eq!(latency_onset(&b, &Options::default()), Finding::Stable, "seed {seed}");
        // 20 % slower: measurable, but below the 1.5× ratio.
        let b = latencies(200 + seed, 120, 20, |i| if i < 60 { 100.0 } else { 120.0 });
        assert_eq!(latency_onset(&b, &Options::default()), Finding::Stable, "seed {seed}");
    }
}

#[test]
fn a_latency_recovery_ends_the_window_and_a_spike_is_ignored() {
    let b = latencies(11, 100, 20, |i| if (40..60).contains(&i) { 500.0 } else { 100.0 });
    let o = onset(latency_onset(&b, &Options::default()));
    assert!((o.at_us - 40 * S).abs() <= S && (o.until_us.expect("recovered") - 60 * S).abs() <= S);
    let mut b = latencies(12, 100, 20, |_| 100.0);
    b[30].latencies_ms.iter_mut().for_each(|x| *x *= 50.0);
    b[31].latencies_ms = vec![f64::NAN, -1.0];
    assert_eq!(latency_onset(&b, &Options::default()), Finding::Stable);
    assert_eq!(latency_onset(&b[..2], &Options::default()), Finding::TooFew { total: 40 });
}

/// Bad counts that wander more than binomial: each bucket's rate is `rate(i)` times a
/// log-normal factor (σ = 0.5), 200 requests per bucket.
fn overdispersed(seed: u64, rate: impl Fn(i64) -> f64) -> Vec<Bucket> {
    let mut rng = SplitMix(seed);
    (0..300)
        .map(|i| {
            let r = (rate(i) * (0.5 * rng.normal()).exp()).min(1.0);
            Bucket { start_us: i * S, total: 200, bad: rng.binomial(200, r) }
        })
        .collect()
}

#[test]
fn overdispersion_is_not_an_onset_and_does_not_hide_one() {
    // Without the dispersion estimate, 6 of these 100 healthy runs had an onset.
    let healthy = (0..100)
        .filter(|&seed| {
            rate_onset(&overdispersed(seed, |_| 0.02), &Options::default()) != Finding::Stable
        })
        .count();
    assert!(healthy <= 1, "{healthy} of 100 healthy runs with an onset");
    // A threefold rise: found in every run; the wandering rate blurs where, a little.
    let (mut found, mut within1, mut within5) = (0, 0, 0);
    for seed in 0..100 {
        let b = overdispersed(1000 + seed, |i| if i < 200 { 0.02 } else { 0.06 });
        if let Finding::Onset(o) = rate_onset(&b, &Options::default()) {
            let off = (o.at_us - 200 * S).abs();
            (found, within1, within5) =
                (found + 1, within1 + usize::from(off <= S), within5 + usize::from(off <= 5 * S));
        }
    }
    assert!(found == 100 && within1 >= 75 && within5 >= 95, "{found} {within1} {within5}");
}

#[test]
fn a_doubling_of_a_few_milliseconds_is_not_a_latency_onset() {
    // 10 ms to 20 ms: twice as slow, significant, but 10 ms is wander, not an incident.
    let b = latencies(13, 120, 20, |i| if i < 60 { 10.0 } else { 20.0 });
    assert_eq!(latency_onset(&b, &Options::default()), Finding::Stable);
    // The same doubling from 100 ms is one.
    let b = latencies(13, 120, 20, |i| if i < 60 { 100.0 } else { 200.0 });
    assert!((onset(latency_onset(&b, &Options::default())).at_us - 60 * S).abs() <= S);
}

/// A run of `len` one-second buckets of `per` requests: the flow's buckets with `failed(i)`
/// 5xx and `lost(i)` lost requests (lost counts set apart from the failures, which a real
/// flow never does, to see the funnel signal on its own), and the timeline's requests with
/// log-normal latencies around `median(i)` ms, sent evenly through each bucket.
fn run(
    seed: u64,
    len: i64,
    per: u64,
    failed: impl Fn(i64) -> f64,
    lost: impl Fn(i64) -> f64,
    median: impl Fn(i64) -> f64,
) -> (crate::flow::Flow, crate::correlate::Timeline) {
    use crate::model::{Event, EventKind};
    use rootcause_parsers::loadtest::Request;
    let mut rng = SplitMix(seed);
    let mut events = Vec::new();
    let buckets = (0..len)
        .map(|i| {
            for j in 0..per {
                let ts = i * S + (j as i64) * (S / per as i64);
                let ms = median(i) * (0.5 * rng.normal()).exp();
                let r = Request { ts: Some(ts), elapsed_ms: Some(ms), ..Request::default() };
                events.push(Event {
                    ts: Some(ts),
                    source: 0,
                    line: 0,
                    kind: EventKind::request(r),
                });
            }
            crate::flow::Bucket {
                start: i * S,
                sent: per,
                status_5xx: rng.binomial(per, failed(i)),
                lost: crate::requests::LostCounts {
                    no_query_started: rng.binomial(per, lost(i)),
                    ..Default::default()
                },
                ..Default::default()
            }
        })
        .collect();
    let flow = crate::flow::Flow { has_app: true, bucket: S, buckets, ..Default::default() };
    (flow, crate::correlate::Timeline { events, ..Default::default() })
}

fn signal(found: &Found, s: Signal) -> &Finding {
    &found.signals.iter().find(|(x, _)| *x == s).expect("searched").1
}

#[test]
fn a_slowdown_before_the_first_failures_is_the_runs_onset() {
    for seed in 0..5 {
        let (flow, tl) = run(
            seed,
            100,
            20,
            |i| if i < 60 { 0.0 } else { 0.4 },
            |_| 0.0,
            |i| if i < 40 { 100.0 } else { 600.0 },
        );
        let found = of_run(&flow, &tl);
        let rate = onset(signal(&found, Signal::FailureRate).clone());
        assert!((rate.at_us - 60 * S).abs() <= S, "seed {seed}: {}", rate.at_us);
        assert_eq!(found.signal, Signal::Latency, "seed {seed}");
        let o = onset(found.chosen.clone());
        assert!((o.at_us - 40 * S).abs() <= S, "seed {seed}: {}", o.at_us);
        // The windows count the flow's failures, which the latency search does not see.
        let ((n0, k0), (n1, k1)) = found.windows.expect("an onset has windows");
        let sum = |a: i64, b: i64| {
            flow.buckets
                .iter()
                .filter(|x| (a..b).contains(&x.start))
                .fold((0, 0), |(n, k), x| (n + x.sent, k + x.status_5xx))
        };
        assert_eq!((n0, k0), sum(o.from_us, o.at_us));
        assert_eq!((n1, k1), sum(o.at_us, o.until_us.unwrap_or(i64::MAX)));
        assert!(k0 == 0 && k1 > 0, "seed {seed}: {k0} {k1}");
        let (m0, m1) = found.median_ms.expect("latencies on both sides");
        assert!((70.0..140.0).contains(&m0) && (420.0..840.0).contains(&m1), "{m0} {m1}");
    }
}

#[test]
fn a_run_failing_from_its_start_stays_so_whatever_the_latency() {
    let (flow, tl) = run(21, 80, 20, |_| 0.4, |_| 0.0, |i| if i < 40 { 100.0 } else { 600.0 });
    let found = of_run(&flow, &tl);
    assert!(matches!(found.chosen, Finding::FromStart { .. }), "{:?}", found.chosen);
    assert_eq!((found.signal, found.windows), (Signal::FailureRate, None));
    // The slowdown was found, and set aside.
    assert!(matches!(signal(&found, Signal::Latency), Finding::Onset(_)));
}

#[test]
fn funnel_loss_is_searched_only_with_an_application_log() {
    let (mut flow, tl) = run(22, 80, 20, |_| 0.0, |i| if i < 30 { 0.0 } else { 0.3 }, |_| 100.0);
    let found = of_run(&flow, &tl);
    assert_eq!(found.signal, Signal::FunnelLoss);
    assert!((onset(found.chosen.clone()).at_us - 30 * S).abs() <= S);
    assert_eq!(signal(&found, Signal::FailureRate), &Finding::Stable);
    flow.has_app = false;
    let found = of_run(&flow, &tl);
    let searched: Vec<Signal> = found.signals.iter().map(|(s, _)| *s).collect();
    assert_eq!(searched, [Signal::FailureRate, Signal::Latency]);
    assert_eq!((found.chosen, found.signal), (Finding::Stable, Signal::FailureRate));
}

#[test]
fn the_earliest_onset_wins_and_ties_favour_rate_then_funnel_then_latency() {
    let at = |s: i64| {
        Finding::Onset(Onset {
            from_us: 0,
            at_us: s * S,
            until_us: None,
            before: (100, 0),
            after: (100, 50),
            p_value: 1e-9,
            method: Method::Rate,
            change_points: vec![s * S],
        })
    };
    let chosen = |v: &[(Signal, Finding)]| {
        let (s, f) = choose(v);
        (s, if let Finding::Onset(o) = f { Some(o.at_us / S) } else { None })
    };
    use Signal::*;
    let v = [(Latency, at(10)), (FunnelLoss, at(10)), (FailureRate, at(10))];
    assert_eq!(chosen(&v), (FailureRate, Some(10)));
    let v = [(Latency, at(10)), (FunnelLoss, at(10)), (FailureRate, at(11))];
    assert_eq!(chosen(&v), (FunnelLoss, Some(10)));
    let v = [(Latency, at(9)), (FunnelLoss, at(10)), (FailureRate, Finding::Stable)];
    assert_eq!(chosen(&v), (Latency, Some(9)));
    // Without any onset, the failure rate's search says why.
    let few = Finding::TooFew { total: 3 };
    let v = [(FailureRate, few.clone()), (Latency, Finding::Stable)];
    assert_eq!(choose(&v), (FailureRate, few));
    let v = [(FailureRate, Finding::Stable), (Latency, Finding::TooFew { total: 3 })];
    assert_eq!(choose(&v), (FailureRate, Finding::Stable));
}

#[test]
fn latencies_are_bucketed_by_the_flows_buckets() {
    use crate::model::{Event, EventKind};
    use rootcause_parsers::loadtest::Request;
    let flow = crate::flow::Flow {
        bucket: 2 * S,
        buckets: (5..8)
            .map(|i| crate::flow::Bucket { start: i * 2 * S, ..Default::default() })
            .collect(),
        ..Default::default()
    };
    let req = |ts: i64, ms: Option<f64>| {
        let r = Request { ts: Some(ts), elapsed_ms: ms, ..Request::default() };
        Event { ts: Some(ts), source: 0, line: 0, kind: EventKind::request(r) }
    };
    let events = [
        req(10 * S, Some(1.0)),
        req(12 * S - 1, Some(2.0)),
        req(12 * S, Some(3.0)),
        req(13 * S, None),
        req(9 * S, Some(4.0)),
        req(16 * S, Some(5.0)),
        req(15 * S, Some(6.0)),
    ];
    let got: Vec<(i64, Vec<f64>)> = latency_buckets(&flow, &events)
        .into_iter()
        .map(|b| (b.start_us / S, b.latencies_ms))
        .collect();
    assert_eq!(got, [(10, vec![1.0, 2.0]), (12, vec![3.0]), (14, vec![6.0])]);
}
