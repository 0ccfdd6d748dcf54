//! The victim as the attack sees it: user queries, candidate item vectors and each user's sorted
//! candidate scores, so the rank of a rewritten target costs one dot product and one binary
//! search per user.

use anyhow::ensure;
use rayon::prelude::*;

/// Scores are dot products of queries and item vectors (the model's own scoring).
pub struct Victim {
    pub dim: usize,
    /// `[n_users, dim]`.
    pub queries: Vec<f32>,
    /// Candidate item ids (sorted) and their vectors `[n_candidates, dim]`.
    pub candidates: Vec<u32>,
    pub cand_vecs: Vec<f32>,
    /// Per user, the candidate scores sorted descending (`[n_users, n_candidates]`).
    sorted: Vec<f32>,
}

/// Where a target stands for the users.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Standing {
    /// Mean over users of the target's rank among the candidates (1 = top).
    pub avg_rank: f64,
    pub mean_score: f64,
    /// Share of users whose top 20 holds the target.
    pub top20: f64,
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl Victim {
    pub fn new(
        dim: usize,
        queries: Vec<f32>,
        candidates: Vec<u32>,
        cand_vecs: Vec<f32>,
    ) -> anyhow::Result<Self> {
        ensure!(
            dim > 0 && queries.len().is_multiple_of(dim),
            "queries are not rows of width {dim}"
        );
        ensure!(
            cand_vecs.len() == candidates.len() * dim,
            "{} candidate floats for {} candidates",
            cand_vecs.len(),
            candidates.len()
        );
        ensure!(
            candidates.windows(2).all(|w| w[0] < w[1]),
            "candidates must be sorted and distinct"
        );
        let sorted = queries
            .par_chunks(dim)
            .flat_map_iter(|q| {
                let mut s: Vec<f32> = cand_vecs.chunks(dim).map(|v| dot(q, v)).collect();
                s.sort_unstable_by(|a, b| b.total_cmp(a));
                s
            })
            .collect();
        Ok(Self {
            dim,
            queries,
            candidates,
            cand_vecs,
            sorted,
        })
    }

    pub fn n_users(&self) -> usize {
        self.queries.len() / self.dim
    }

    /// Position of `item` among the candidates.
    pub fn slot(&self, item: u32) -> Option<usize> {
        self.candidates.binary_search(&item).ok()
    }

    /// The original vector of candidate `item`.
    pub fn vector(&self, item: u32) -> Option<&[f32]> {
        self.slot(item)
            .map(|s| &self.cand_vecs[s * self.dim..(s + 1) * self.dim])
    }

    /// Standing of candidate `item` if its vector were `v` (the other candidates unchanged):
    /// rank = 1 + number of other candidates scoring strictly higher.
    pub fn standing(&self, item: u32, v: &[f32]) -> Standing {
        let own = self.vector(item).expect("the target is a candidate");
        let n = self.candidates.len();
        let (mut rank, mut score, mut top) = (0.0, 0.0, 0.0);
        for (q, row) in self.queries.chunks(self.dim).zip(self.sorted.chunks(n)) {
            let s = dot(q, v);
            let higher = row.partition_point(|&x| x > s);
            let self_higher = (dot(q, own) > s) as usize;
            let r = (1 + higher - self_higher) as f64;
            rank += r;
            score += s as f64;
            top += (r <= 20.0) as u8 as f64;
        }
        let u = self.n_users().max(1) as f64;
        Standing {
            avg_rank: rank / u,
            mean_score: score / u,
            top20: top / u,
        }
    }

    /// Mean score over users of every candidate, with some vectors `replaced`.
    pub fn mean_scores(&self, replaced: &std::collections::HashMap<u32, Vec<f32>>) -> Vec<f64> {
        let u = self.n_users().max(1) as f64;
        self.candidates
            .par_iter()
            .enumerate()
            .map(|(s, c)| {
                let v = replaced
                    .get(c)
                    .map_or(&self.cand_vecs[s * self.dim..(s + 1) * self.dim], |v| {
                        v.as_slice()
                    });
                self.queries
                    .chunks(self.dim)
                    .map(|q| dot(q, v) as f64)
                    .sum::<f64>()
                    / u
            })
            .collect()
    }

    /// Mean over users of the share of the top-20 candidates that are in `set`, when the vectors
    /// of some candidates are replaced by `replaced` (item -> vector).
    pub fn precision_at_20(
        &self,
        set: &[u32],
        replaced: &std::collections::HashMap<u32, Vec<f32>>,
    ) -> f64 {
        let vecs: Vec<&[f32]> = self
            .candidates
            .iter()
            .enumerate()
            .map(|(s, c)| {
                replaced
                    .get(c)
                    .map_or(&self.cand_vecs[s * self.dim..(s + 1) * self.dim], |v| {
                        v.as_slice()
                    })
            })
            .collect();
        let total: f64 = self
            .queries
            .par_chunks(self.dim)
            .map(|q| {
                let mut s: Vec<(f32, u32)> = vecs
                    .iter()
                    .zip(&self.candidates)
                    .map(|(v, &c)| (dot(q, v), c))
                    .collect();
                let k = 20.min(s.len());
                s.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
                s[..k]
                    .iter()
                    .filter(|(_, c)| set.binary_search(c).is_ok())
                    .count() as f64
                    / k as f64
            })
            .sum();
        total / self.n_users().max(1) as f64
    }
}
