//! Seeded train / valid / test split of the observed cells.

use anyhow::ensure;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Cell positions of each part (disjoint, together all cells).
#[derive(Clone, Debug, PartialEq)]
pub struct CellSplit {
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
    pub test: Vec<usize>,
}

/// Shuffles `n` cells with `seed` and cuts them by `fractions` (train, valid; test is the
/// rest). The official DAIN code uses 0.72 / 0.18 / 0.10.
pub fn split_cells(n: usize, train: f64, valid: f64, seed: u64) -> anyhow::Result<CellSplit> {
    ensure!(
        train > 0.0 && valid > 0.0 && train + valid < 1.0,
        "split fractions must be > 0 and leave a test part (train {train}, valid {valid})"
    );
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_CE11));
    let n_train = (n as f64 * train).round() as usize;
    let n_valid = (n as f64 * valid).round() as usize;
    ensure!(
        n_train > 0 && n_valid > 0 && n_train + n_valid < n,
        "{n} observed cells are too few for a train / valid / test split"
    );
    let test = order.split_off(n_train + n_valid);
    let valid = order.split_off(n_train);
    Ok(CellSplit {
        train: order,
        valid,
        test,
    })
}
