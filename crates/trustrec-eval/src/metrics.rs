//! Top-K metrics accumulated from ranks.

use std::collections::BTreeMap;

use crate::EvalError;

/// Metric name -> value; a `BTreeMap` so serialised JSON has a stable order.
///
/// Keys: `hit@K`, `recall@K` (equal to hit with one held-out target),
/// `mrr@K`, `ndcg@K` for every cutoff K, and `mrr` without a cutoff.
pub type Metrics = BTreeMap<String, f64>;

/// Running sums of per-rank metric contributions. Mergeable so parallel
/// workers can accumulate independently.
///
/// A fractional rank (tie rule `Mean`) counts as a hit if `rank <= K`,
/// contributes `1/log2(rank+1)` to NDCG and `1/rank` to MRR.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricAccumulator {
    ks: Vec<usize>,
    hit: Vec<f64>,
    ndcg: Vec<f64>,
    mrr_at: Vec<f64>,
    mrr: f64,
    count: usize,
}

impl MetricAccumulator {
    /// Cutoffs are sorted and de-duplicated. A cutoff of 0 is kept (its
    /// metrics are always 0); use [`Self::try_new`] to reject it.
    pub fn new(ks: &[usize]) -> Self {
        let mut ks = ks.to_vec();
        ks.sort_unstable();
        ks.dedup();
        let z = vec![0.0; ks.len()];
        Self {
            ks,
            hit: z.clone(),
            ndcg: z.clone(),
            mrr_at: z,
            mrr: 0.0,
            count: 0,
        }
    }

    /// Like [`Self::new`] but rejects k = 0, which is always a config bug.
    pub fn try_new(ks: &[usize]) -> Result<Self, EvalError> {
        if ks.contains(&0) {
            return Err(EvalError::ZeroK);
        }
        Ok(Self::new(ks))
    }

    /// The sorted, de-duplicated cutoffs.
    pub fn ks(&self) -> &[usize] {
        &self.ks
    }

    /// Adds one query's rank. A rank that is NaN or below 1 counts as a
    /// miss, so a bad rank can never inflate metrics; use
    /// [`Self::try_add_rank`] to reject it instead. `+inf` is a plain miss.
    pub fn add_rank(&mut self, rank: f64) {
        self.count += 1;
        if rank.is_nan() || rank < 1.0 {
            return;
        }
        let rr = 1.0 / rank;
        let gain = 1.0 / (rank + 1.0).log2();
        self.mrr += rr;
        for (i, &k) in self.ks.iter().enumerate() {
            if rank <= k as f64 {
                self.hit[i] += 1.0;
                self.ndcg[i] += gain;
                self.mrr_at[i] += rr;
            }
        }
    }

    /// [`Self::add_rank`] that refuses NaN and ranks below 1.
    pub fn try_add_rank(&mut self, rank: f64) -> Result<(), EvalError> {
        if rank.is_nan() || rank < 1.0 {
            return Err(EvalError::InvalidRank(rank));
        }
        self.add_rank(rank);
        Ok(())
    }

    /// Adds another accumulator's sums. An accumulator with different
    /// cutoffs is ignored (sums would be meaningless); use
    /// [`Self::try_merge`] to detect that.
    pub fn merge(&mut self, other: &Self) {
        let _ = self.try_merge(other);
    }

    /// [`Self::merge`] that reports mismatched cutoffs.
    pub fn try_merge(&mut self, other: &Self) -> Result<(), EvalError> {
        if self.ks != other.ks {
            return Err(EvalError::KsMismatch {
                left: self.ks.clone(),
                right: other.ks.clone(),
            });
        }
        let add = |a: &mut [f64], b: &[f64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.hit, &other.hit);
        add(&mut self.ndcg, &other.ndcg);
        add(&mut self.mrr_at, &other.mrr_at);
        self.mrr += other.mrr;
        self.count += other.count;
        Ok(())
    }

    /// Number of ranks added.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Means over all added ranks. An empty accumulator yields zeros
    /// (check [`Self::count`]) so the result always serialises as JSON.
    pub fn finish(&self) -> Metrics {
        let n = self.count.max(1) as f64;
        let mut m = Metrics::new();
        for (i, k) in self.ks.iter().enumerate() {
            m.insert(format!("hit@{k}"), self.hit[i] / n);
            m.insert(format!("recall@{k}"), self.hit[i] / n);
            m.insert(format!("ndcg@{k}"), self.ndcg[i] / n);
            m.insert(format!("mrr@{k}"), self.mrr_at[i] / n);
        }
        m.insert("mrr".to_owned(), self.mrr / n);
        m
    }
}
