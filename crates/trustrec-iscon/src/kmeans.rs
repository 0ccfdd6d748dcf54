//! k-means with k-means++ seeding and restarts (step 3).
//!
//! A small implementation instead of `linfa-clustering`: linfa brings `ndarray` 0.15/0.16 and
//! its own RNG traits into a workspace whose only tensor library is burn, for ~100 lines of
//! code; on the shared 2-core machine the extra compile was not worth it. The algorithm is
//! sklearn's default (`KMeans(init="k-means++", n_init=10)`, Lloyd iterations until the centre
//! shift is below `tol`), deterministic for a seed; the assignment step runs on rayon and is
//! exact per point, so the result does not depend on the thread count.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// A fitted clustering: `k x dim` centres (row-major).
#[derive(Clone, Debug, PartialEq)]
pub struct KMeans {
    pub k: usize,
    pub dim: usize,
    pub centres: Vec<f32>,
    /// Sum of squared distances of the training points to their centre.
    pub inertia: f64,
}

/// Settings (defaults = the paper's k = 40 with 10 restarts).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KMeansConfig {
    pub k: usize,
    pub restarts: usize,
    pub max_iter: usize,
    pub tol: f64,
}

impl Default for KMeansConfig {
    fn default() -> Self {
        Self {
            k: 40,
            restarts: 10,
            max_iter: 300,
            tol: 1e-4,
        }
    }
}

fn dist2(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = (x - y) as f64;
            d * d
        })
        .sum()
}

impl KMeans {
    /// Fits `data` (`n x dim`, row-major) and keeps the restart with the lowest inertia.
    pub fn fit(data: &[f32], dim: usize, cfg: &KMeansConfig, seed: u64) -> anyhow::Result<Self> {
        anyhow::ensure!(dim > 0, "k-means needs dim > 0");
        anyhow::ensure!(
            data.len().is_multiple_of(dim),
            "k-means data length is not a multiple of dim"
        );
        let n = data.len() / dim;
        anyhow::ensure!(
            cfg.k >= 1 && cfg.k <= n,
            "k-means needs 1 <= k <= number of points, got k = {} for {n} points",
            cfg.k
        );
        anyhow::ensure!(cfg.restarts >= 1, "k-means needs at least one restart");
        anyhow::ensure!(
            data.iter().all(|x| x.is_finite()),
            "k-means data contains NaN or infinity"
        );
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut best: Option<Self> = None;
        for _ in 0..cfg.restarts {
            let run = Self::lloyd(data, dim, cfg, plus_plus(data, dim, cfg.k, &mut rng));
            if best.as_ref().is_none_or(|b| run.inertia < b.inertia) {
                best = Some(run);
            }
        }
        Ok(best.expect("at least one restart"))
    }

    fn lloyd(data: &[f32], dim: usize, cfg: &KMeansConfig, centres: Vec<f32>) -> Self {
        let mut km = Self {
            k: cfg.k,
            dim,
            centres,
            inertia: f64::INFINITY,
        };
        // sklearn's tolerance: relative to the mean per-feature variance of the data.
        let n = data.len() / dim;
        let mean: Vec<f64> = (0..dim)
            .map(|j| (0..n).map(|i| data[i * dim + j] as f64).sum::<f64>() / n as f64)
            .collect();
        let mean = mean_f32(&mean);
        let var = (0..n)
            .map(|i| dist2(&data[i * dim..(i + 1) * dim], &mean))
            .sum::<f64>()
            / (n * dim) as f64;
        let tol = cfg.tol * var;
        for _ in 0..cfg.max_iter {
            let labels = km.predict(data);
            let mut sums = vec![0f64; cfg.k * dim];
            let mut counts = vec![0usize; cfg.k];
            for (i, &c) in labels.iter().enumerate() {
                counts[c] += 1;
                for j in 0..dim {
                    sums[c * dim + j] += data[i * dim + j] as f64;
                }
            }
            let old = km.centres.clone();
            for c in 0..cfg.k {
                if counts[c] == 0 {
                    continue; // an empty cluster keeps its centre
                }
                for j in 0..dim {
                    km.centres[c * dim + j] = (sums[c * dim + j] / counts[c] as f64) as f32;
                }
            }
            if dist2(&old, &km.centres) <= tol {
                break;
            }
        }
        let labels = km.predict(data);
        km.inertia = labels
            .iter()
            .enumerate()
            .map(|(i, &c)| dist2(&data[i * dim..(i + 1) * dim], km.centre(c)))
            .sum();
        km
    }

    pub fn centre(&self, c: usize) -> &[f32] {
        &self.centres[c * self.dim..(c + 1) * self.dim]
    }

    /// Nearest centre of every row of `data` (ties: the lowest index).
    pub fn predict(&self, data: &[f32]) -> Vec<usize> {
        data.par_chunks(self.dim)
            .map(|x| {
                (0..self.k)
                    .map(|c| (c, dist2(x, self.centre(c))))
                    .fold(
                        (0, f64::INFINITY),
                        |b, (c, d)| if d < b.1 { (c, d) } else { b },
                    )
                    .0
            })
            .collect()
    }
}

fn mean_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

/// k-means++: the first centre uniformly, each next one with probability ~ squared distance.
fn plus_plus(data: &[f32], dim: usize, k: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let n = data.len() / dim;
    let row = |i: usize| &data[i * dim..(i + 1) * dim];
    let mut centres = row(rng.gen_range(0..n)).to_vec();
    let mut d2: Vec<f64> = (0..n).map(|i| dist2(row(i), &centres[..dim])).collect();
    for _ in 1..k {
        let total: f64 = d2.iter().sum();
        let pick = if total > 0.0 {
            let x = rng.r#gen::<f64>() * total;
            let mut acc = 0.0;
            d2.iter()
                .position(|&w| {
                    acc += w;
                    acc > x
                })
                .unwrap_or(n - 1)
        } else {
            rng.gen_range(0..n)
        };
        let c = row(pick).to_vec();
        d2.par_iter_mut()
            .enumerate()
            .for_each(|(i, w)| *w = w.min(dist2(row(i), &c)));
        centres.extend_from_slice(&c);
    }
    centres
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three tight blobs around (0,0), (10,0), (0,10).
    fn blobs() -> Vec<f32> {
        let mut v = Vec::new();
        for (cx, cy) in [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)] {
            for (dx, dy) in [(0.1, 0.0), (-0.1, 0.0), (0.0, 0.1), (0.0, -0.1)] {
                v.extend_from_slice(&[cx + dx, cy + dy]);
            }
        }
        v
    }

    #[test]
    fn finds_the_three_blobs_exactly() {
        let cfg = KMeansConfig {
            k: 3,
            ..Default::default()
        };
        let km = KMeans::fit(&blobs(), 2, &cfg, 1).unwrap();
        let mut c: Vec<(i32, i32)> = km
            .centres
            .chunks(2)
            .map(|p| ((p[0] * 100.0).round() as i32, (p[1] * 100.0).round() as i32))
            .collect();
        c.sort();
        assert_eq!(c, vec![(0, 0), (0, 1000), (1000, 0)]);
        // 12 points each 0.1 from its centre: inertia 12 * 0.01.
        assert!((km.inertia - 0.12).abs() < 1e-5, "{}", km.inertia);
        let labels = km.predict(&blobs());
        assert!(labels.chunks(4).all(|g| g.iter().all(|&l| l == g[0])));
        assert_eq!(km, KMeans::fit(&blobs(), 2, &cfg, 1).unwrap());
    }

    #[test]
    fn bad_input_is_an_error() {
        let cfg = KMeansConfig::default(); // k = 40 > 12 points
        assert!(KMeans::fit(&blobs(), 2, &cfg, 1).is_err());
        assert!(KMeans::fit(&[1.0, f32::NAN], 2, &KMeansConfig { k: 1, ..cfg }, 1).is_err());
    }
}
