//! Sparse N-way tensors in coordinate (COO) form.

use std::collections::HashSet;

use anyhow::{bail, ensure};

/// Row-major linear position of an index tuple in `shape`: unique per cell, and it fits in a
/// `u64` for every shape [`SparseTensor::new`] accepts.
pub fn cell_key(cell: &[u32], shape: &[usize]) -> u64 {
    cell.iter()
        .zip(shape)
        .fold(0u64, |k, (&i, &s)| k * s as u64 + i as u64)
}

/// Observed cells of an N-way tensor (N >= 3): one index tuple and one value per cell.
#[derive(Clone, Debug, PartialEq)]
pub struct SparseTensor {
    /// Size of every mode.
    pub shape: Vec<usize>,
    /// Indices, `order()` per cell, cell after cell.
    pub idx: Vec<u32>,
    pub values: Vec<f32>,
    /// Original entity labels per mode, when the source named them (coordinate files, logs).
    pub labels: Option<Vec<Vec<String>>>,
}

impl SparseTensor {
    /// Checks order >= 3, every index inside `shape`, finite values, no duplicate cell, and that
    /// cell keys fit in a `u64` (they are used for membership tests).
    pub fn new(shape: Vec<usize>, idx: Vec<u32>, values: Vec<f32>) -> anyhow::Result<Self> {
        let n = shape.len();
        ensure!(
            n >= 3,
            "a tensor needs at least 3 modes, got shape {shape:?}"
        );
        ensure!(
            shape.iter().all(|&s| s > 0),
            "empty mode in shape {shape:?}"
        );
        ensure!(
            shape
                .iter()
                .try_fold(1u64, |a, &s| a.checked_mul(s as u64))
                .is_some(),
            "shape {shape:?} has more than 2^64 cells"
        );
        ensure!(
            idx.len() == values.len() * n,
            "{} indices for {} cells of order {n}",
            idx.len(),
            values.len()
        );
        let t = Self {
            shape,
            idx,
            values,
            labels: None,
        };
        let mut seen = HashSet::with_capacity(t.len());
        for c in 0..t.len() {
            for (m, (&i, &s)) in t.cell(c).iter().zip(&t.shape).enumerate() {
                if i as usize >= s {
                    bail!(
                        "cell {c}: index {i} of mode {m} is outside the shape {:?}",
                        t.shape
                    );
                }
            }
            ensure!(
                t.values[c].is_finite(),
                "cell {c}: value {} is not finite",
                t.values[c]
            );
            ensure!(seen.insert(t.key(c)), "cell {:?} occurs twice", t.cell(c));
        }
        Ok(t)
    }

    pub fn order(&self) -> usize {
        self.shape.len()
    }

    /// Number of observed cells.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Index tuple of cell `c`.
    pub fn cell(&self, c: usize) -> &[u32] {
        let n = self.order();
        &self.idx[c * n..(c + 1) * n]
    }

    /// Key of cell `c` (see [`cell_key`]).
    pub fn key(&self, c: usize) -> u64 {
        cell_key(self.cell(c), &self.shape)
    }

    /// Keys of all cells, for membership tests.
    pub fn keys(&self) -> std::collections::HashSet<u64> {
        (0..self.len()).map(|c| self.key(c)).collect()
    }

    /// `self` followed by the cells `idx` (same order) with `values`.
    pub fn extended(&self, idx: &[u32], values: &[f32]) -> Self {
        let mut t = self.clone();
        t.idx.extend_from_slice(idx);
        t.values.extend_from_slice(values);
        t
    }

    /// Observed cells / all cells.
    pub fn density(&self) -> f64 {
        self.len() as f64 / self.shape.iter().map(|&s| s as f64).product::<f64>()
    }

    /// The cells at `positions`, in that order (same shape and labels).
    pub fn subset(&self, positions: &[usize]) -> Self {
        let n = self.order();
        let mut idx = Vec::with_capacity(positions.len() * n);
        let mut values = Vec::with_capacity(positions.len());
        for &p in positions {
            idx.extend_from_slice(self.cell(p));
            values.push(self.values[p]);
        }
        Self {
            shape: self.shape.clone(),
            idx,
            values,
            labels: self.labels.clone(),
        }
    }

    /// Number of cells containing each entity, per mode.
    pub fn entity_counts(&self) -> Vec<Vec<u32>> {
        let mut counts: Vec<Vec<u32>> = self.shape.iter().map(|&s| vec![0; s]).collect();
        for c in 0..self.len() {
            for (m, &i) in self.cell(c).iter().enumerate() {
                counts[m][i as usize] += 1;
            }
        }
        counts
    }

    /// A JSON summary for results files.
    pub fn summary(&self) -> serde_json::Value {
        let (mut lo, mut hi, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
        for &v in &self.values {
            lo = lo.min(v as f64);
            hi = hi.max(v as f64);
            sum += v as f64;
        }
        serde_json::json!({
            "shape": self.shape,
            "observed": self.len(),
            "density": self.density(),
            "value_min": lo,
            "value_max": hi,
            "value_mean": sum / self.len().max(1) as f64,
        })
    }
}
