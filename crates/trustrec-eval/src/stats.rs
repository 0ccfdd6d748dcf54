//! Aggregation of metrics across seeds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Metrics;

/// Mean and sample standard deviation (n - 1 denominator) over seeds.
/// `std` is 0 for a single value; both are NaN for no values, since there
/// is nothing to report.
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (mean, 0.0);
    }
    // Two-pass variance: more accurate than the running-sums formula.
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, (ss / (n - 1) as f64).sqrt())
}

/// Median (the mean of the two middle values for an even count), sorting `v` in place; `None`
/// for no values. Timings are reported as medians, since the machines here are noisy and
/// shared; the attack detector's robust fits use it too.
pub fn median(v: &mut [f64]) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// A metric summarised over `n` seeds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    pub mean: f64,
    pub std: f64,
    pub n: usize,
}

impl MeanStd {
    /// Summary of `values` via [`mean_std`].
    pub fn from_values(values: &[f64]) -> Self {
        let (mean, std) = mean_std(values);
        Self {
            mean,
            std,
            n: values.len(),
        }
    }
}

/// Per-metric mean/std over runs (one [`Metrics`] per seed). A key missing
/// from some runs is summarised over the runs that have it (see `n`).
pub fn aggregate_metrics(runs: &[Metrics]) -> BTreeMap<String, MeanStd> {
    let mut by_key: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for (k, &v) in runs.iter().flatten() {
        by_key.entry(k.as_str()).or_default().push(v);
    }
    by_key
        .into_iter()
        .map(|(k, vs)| (k.to_owned(), MeanStd::from_values(&vs)))
        .collect()
}
