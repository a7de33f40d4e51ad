use super::*;
use crate::testrng::SplitMix;

fn equal() -> Windows {
    Windows { before_s: 600.0, after_s: 600.0, onset_us: 1_000_000 }
}

fn close(got: Option<f64>, want: f64) {
    let got = got.expect("tested");
    assert!((got - want).abs() <= 1e-9 * want, "{got} vs {want}");
}

#[test]
fn p_and_q_values_match_scipy_and_the_order_is_new_up_down_rest() {
    // (key, before, after); windows of equal length, so after ~ Binomial(n, 0.5).
    let items = [
        Item::new("a", 10, 30),
        Item::new("b", 20, 20),
        Item::new("c", 5, 25),
        Item::new("d", 50, 80),
        Item::new("e", 0, 12),
        Item::new("f", 3, 4),
        Item::new("g", 40, 10),
    ];
    let out = changes(&items, &equal(), &Options::default());
    let keys: Vec<&str> = out.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["e", "c", "a", "g", "d", "b", "f"]);
    let by = |k: &str| out.iter().find(|c| c.key == k).expect("item");
    // scipy 1.17.1: binomtest(after, n, 0.5).pvalue, then false_discovery_control(ps, "bh")
    // over the six tested items ("f", 7 occurrences, cannot reach 0.01: 2·0.5⁷ = 0.0156).
    for (k, p, q) in [
        ("a", 0.0022214337732293643, 0.0033321506598440465),
        ("b", 1.0, 1.0),
        ("c", 0.0003249142318964005, 0.0009747426956892016),
        ("d", 0.010694055123829345, 0.012832866148595214),
        ("e", 0.00048828125, 0.0009765625),
        ("g", 2.3861331676755526e-05, 0.00014316799006053316),
    ] {
        close(by(k).p_value, p);
        close(by(k).q_value, q);
    }
    assert_eq!((by("f").p_value, by("f").q_value, by("f").significant), (None, None, false));
    let significant: Vec<&str> =
        out.iter().filter(|c| c.significant).map(|c| c.key.as_str()).collect();
    assert_eq!(significant, ["e", "c", "a", "g"], "d's q is 0.0128 > 0.01");
    assert!(by("e").new && !by("g").new && !by("g").gone);
    assert!(by("g").significant && !by("g").increased());
}

#[test]
fn unequal_windows_set_the_null_share_and_the_rates() {
    // 300 s before, 100 s after: the share after is 0.25.
    let w = Windows { before_s: 300.0, after_s: 100.0, onset_us: 0 };
    let out = changes(&[Item::new("x", 35, 5), Item::new("y", 10, 30)], &w, &Options::default());
    let x = out.iter().find(|c| c.key == "x").expect("x");
    // scipy 1.17.1: binomtest(5, 40, 0.25).pvalue; binomtest(30, 40, 0.25).pvalue.
    close(x.p_value, 0.06951886665575854);
    assert!((x.rate_before - 35.0 / 300.0).abs() < 1e-12 && (x.rate_after - 0.05).abs() < 1e-12);
    let y = out.iter().find(|c| c.key == "y").expect("y");
    close(y.p_value, 4.630880897739289e-11);
    assert!(y.significant && !x.significant);
    // Per second, x's rate went down a little and y's up ninefold.
    assert!(!x.increased() && (y.rate_after / y.rate_before - 9.0).abs() < 1e-9);
}

#[test]
fn new_items_sort_by_count_and_gone_is_flagged() {
    let items = [
        Item::new("few", 0, 2),
        Item::new("new10", 0, 10),
        Item::new("new50", 0, 50),
        Item::new("gone", 30, 0),
        Item::new("never", 0, 0),
    ];
    let out = changes(&items, &equal(), &Options::default());
    let keys: Vec<&str> = out.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["new50", "new10", "gone", "few"], "an item never seen is dropped");
    assert!(out[2].gone && out[2].significant && !out[2].new);
    assert!(!out[3].new, "2 occurrences are fewer than NEW_MIN");
    // New but too few to be significant: not first.
    let two = [Item::new("up", 10, 40), Item::new("rare", 0, 4)];
    let out = changes(&two, &equal(), &Options::default());
    assert_eq!((out[0].key.as_str(), out[1].key.as_str()), ("up", "rare"));
    assert!(out[1].new && !out[1].significant);
    let custom = changes(&items, &equal(), &Options { new_min: 2, ..Options::default() });
    assert!(custom.iter().any(|c| c.key == "few" && c.new));
}

#[test]
fn first_occurrence_is_relative_to_the_onset() {
    let items = [Item::new("a", 0, 9).first_at(4_000_000), Item::new("b", 9, 9).first_at(0)];
    let out = changes(&items, &equal(), &Options::default());
    assert_eq!(out[0].first_after_onset_us, Some(3_000_000));
    assert_eq!(out[1].first_after_onset_us, Some(-1_000_000));
    assert_eq!(
        changes(&[Item::new("c", 1, 1)], &equal(), &Options::default())[0].first_after_onset_us,
        None
    );
}

#[test]
fn an_empty_window_tests_nothing() {
    let w = Windows { before_s: 0.0, after_s: 60.0, onset_us: 0 };
    let out = changes(&[Item::new("a", 0, 500)], &w, &Options::default());
    assert_eq!((out[0].p_value, out[0].significant, out[0].rate_before), (None, false, 0.0));
    assert!(out[0].new && (out[0].rate_after - 500.0 / 60.0).abs() < 1e-12);
}

#[test]
fn the_generator_is_a_fair_poisson() {
    let mut rng = SplitMix(7);
    let n = 4000;
    let xs: Vec<f64> = (0..n).map(|_| rng.poisson(45.0) as f64).collect();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    // Standard error of the mean ≈ √(45/4000) ≈ 0.11.
    assert!((mean - 45.0).abs() < 0.5 && (var - 45.0).abs() < 5.0, "{mean} {var}");
}

/// The stated false-positive rate: 200 healthy runs of 600 s, each with 50 templates at
/// constant rates (log-uniform from 0.002 to 5 per second), Poisson counts, split at a point
/// uniform in 10 %..90 % of the run. At FDR 0.01 the share of runs with any significant change
/// must be at most 5 %; in theory it is at most 1 %; this seed gives 0 of 200 (4000 runs: 22).
#[test]
fn healthy_runs_rarely_show_a_change() {
    let mut rng = SplitMix(0x0005_eed0_0011);
    let (runs, templates, length) = (200, 50, 600.0);
    let (mut flagged, mut with_new, mut tested) = (0, 0, 0);
    for _ in 0..runs {
        let split = length * (0.1 + 0.8 * rng.unit());
        let w = Windows { before_s: split, after_s: length - split, onset_us: 0 };
        let items: Vec<Item> = (0..templates)
            .map(|t| {
                let rate = 0.002 * (2500f64).powf(rng.unit());
                Item::new(
                    format!("t{t}"),
                    rng.poisson(rate * split),
                    rng.poisson(rate * (length - split)),
                )
            })
            .collect();
        let out = changes(&items, &w, &Options::default());
        tested += out.iter().filter(|c| c.p_value.is_some()).count();
        flagged += usize::from(out.iter().any(|c| c.significant));
        with_new += usize::from(out.iter().any(|c| c.new));
    }
    eprintln!(
        "healthy runs: {flagged}/{runs} with a significant change, {with_new} with a new item, {tested} tests"
    );
    assert!(tested > runs * templates * 3 / 4, "most templates are frequent enough to test");
    assert!(flagged * 20 <= runs, "{flagged} of {runs} healthy runs show a change");
}

#[test]
fn a_real_change_is_found_among_healthy_templates() {
    // The same healthy setting with one template tripled after the split: it must be found.
    let mut rng = SplitMix(42);
    let (mut found, runs) = (0, 50);
    for _ in 0..runs {
        let w = Windows { before_s: 300.0, after_s: 300.0, onset_us: 0 };
        let mut items: Vec<Item> = (0..50)
            .map(|t| {
                let rate = 0.002 * (2500f64).powf(rng.unit());
                Item::new(format!("t{t}"), rng.poisson(rate * 300.0), rng.poisson(rate * 300.0))
            })
            .collect();
        items.push(Item::new("hot", rng.poisson(0.1 * 300.0), rng.poisson(0.3 * 300.0)));
        let out = changes(&items, &w, &Options::default());
        found += usize::from(out.iter().any(|c| c.key == "hot" && c.significant && c.increased()));
    }
    assert!(found >= runs * 9 / 10, "{found} of {runs}");
}
