use trustrec_eval::{MeanStd, Metrics, aggregate_metrics, mean_std, median};

#[test]
fn mean_and_sample_std() {
    // mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5; /(4-1).
    let (m, s) = mean_std(&[1.0, 2.0, 3.0, 4.0]);
    assert_eq!(m, 2.5);
    assert!((s - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
    assert_eq!(mean_std(&[0.7]), (0.7, 0.0));
    let (m, s) = mean_std(&[]);
    assert!(m.is_nan() && s.is_nan());
}

#[test]
fn aggregate_over_seeds() {
    let run = |hit: f64, extra: Option<f64>| {
        let mut m = Metrics::new();
        m.insert("hit@10".into(), hit);
        if let Some(e) = extra {
            m.insert("mrr".into(), e);
        }
        m
    };
    let agg = aggregate_metrics(&[run(0.2, Some(0.1)), run(0.4, None), run(0.6, Some(0.3))]);
    let hit = agg["hit@10"];
    assert!((hit.mean - 0.4).abs() < 1e-15);
    // deviations ±0.2, 0 -> var = 0.08 / 2 = 0.04 -> std 0.2.
    assert!((hit.std - 0.2).abs() < 1e-15);
    assert_eq!(hit.n, 3);
    assert_eq!(agg["mrr"].n, 2);
    assert_eq!(MeanStd::from_values(&[1.0]).std, 0.0);
}

#[test]
fn median_of_odd_even_and_no_values() {
    assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    assert_eq!(median(&mut [7.0]), Some(7.0));
    assert_eq!(median(&mut []), None);
}
