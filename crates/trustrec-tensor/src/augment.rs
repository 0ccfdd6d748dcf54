//! Augmentation: new cells made by drawing one entity per mode independently, with
//! probabilities from DAIN's entity importance or from a baseline (uniform, frequency).

use std::collections::HashSet;
use std::str::FromStr;

use anyhow::{Context, bail, ensure};
use rand::SeedableRng;
use rand::distributions::{Distribution, WeightedIndex};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::sparse::{SparseTensor, cell_key};

/// How entities are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Augment {
    /// No augmentation.
    None,
    /// By DAIN's influence-based entity importance.
    Dain,
    /// Uniformly over every entity of the mode.
    Random,
    /// Proportionally to the entity's number of training cells.
    Frequency,
}

impl FromStr for Augment {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        Ok(match s {
            "none" => Self::None,
            "dain" => Self::Dain,
            "random" => Self::Random,
            "frequency" => Self::Frequency,
            other => {
                bail!("unknown augmentation '{other}' (expected none, dain, random or frequency)")
            }
        })
    }
}

impl std::fmt::Display for Augment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::Dain => "dain",
            Self::Random => "random",
            Self::Frequency => "frequency",
        })
    }
}

/// How cell importances become entity importances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    /// Sum over the entity's training cells (official DAIN): favours frequent entities too.
    Sum,
    /// Mean over the entity's training cells.
    Mean,
}

impl FromStr for Aggregate {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        Ok(match s {
            "sum" => Self::Sum,
            "mean" => Self::Mean,
            other => bail!("unknown aggregation '{other}' (expected sum or mean)"),
        })
    }
}

/// How raw (signed) cell influences become non-negative importances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Importance {
    /// `|I / max(I)|`, as the official code: strongly harmful cells count as important too.
    Abs,
    /// `(I - min) / (max - min)`: the most harmful cell gets 0.
    Shift,
    /// `max(I, 0) / max(I)`: only helpful cells count.
    Positive,
}

impl FromStr for Importance {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        Ok(match s {
            "abs" => Self::Abs,
            "shift" => Self::Shift,
            "positive" => Self::Positive,
            other => {
                bail!("unknown importance transform '{other}' (expected abs, shift or positive)")
            }
        })
    }
}

/// How DAIN turns influences into entity sampling weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AugmentConfig {
    pub importance: Importance,
    pub aggregate: Aggregate,
}

impl Default for AugmentConfig {
    fn default() -> Self {
        Self {
            importance: Importance::Abs,
            aggregate: Aggregate::Sum,
        }
    }
}

/// Non-negative cell importances from raw influences (see [`Importance`]).
pub fn normalise_importance(raw: &[f64], how: Importance) -> Vec<f64> {
    let max = raw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = raw.iter().copied().fold(f64::INFINITY, f64::min);
    let nonzero = |x: f64| {
        if x.abs() > 0.0 && x.is_finite() {
            x
        } else {
            1.0
        }
    };
    match how {
        Importance::Abs => raw.iter().map(|v| (v / nonzero(max)).abs()).collect(),
        Importance::Shift => raw.iter().map(|v| (v - min) / nonzero(max - min)).collect(),
        Importance::Positive => raw
            .iter()
            .map(|v| v.max(0.0) / nonzero(max.max(0.0)))
            .collect(),
    }
}

/// Sampling weights per mode and entity for `how` (`importance` per training cell is needed
/// by [`Augment::Dain`]).
pub fn entity_weights(
    how: Augment,
    train: &SparseTensor,
    importance: Option<&[f64]>,
    cfg: AugmentConfig,
) -> anyhow::Result<Vec<Vec<f64>>> {
    let counts = train.entity_counts();
    let weights = match how {
        Augment::None => bail!("no weights for augmentation 'none'"),
        Augment::Random => train.shape.iter().map(|&s| vec![1.0; s]).collect(),
        Augment::Frequency => counts
            .iter()
            .map(|c| c.iter().map(|&x| x as f64).collect())
            .collect(),
        Augment::Dain => {
            let imp = importance.context("DAIN needs the cell importances of the trained model")?;
            ensure!(
                imp.len() == train.len(),
                "{} importances for {} training cells",
                imp.len(),
                train.len()
            );
            let imp = normalise_importance(imp, cfg.importance);
            let mut w: Vec<Vec<f64>> = train.shape.iter().map(|&s| vec![0.0; s]).collect();
            for (c, &v) in imp.iter().enumerate() {
                for (m, &i) in train.cell(c).iter().enumerate() {
                    w[m][i as usize] += v;
                }
            }
            if cfg.aggregate == Aggregate::Mean {
                for (wm, cm) in w.iter_mut().zip(&counts) {
                    for (x, &n) in wm.iter_mut().zip(cm) {
                        *x /= n.max(1) as f64;
                    }
                }
            }
            w
        }
    };
    Ok(weights)
}

/// Draws up to `m` new cells (indices, `order` per cell), one entity per mode independently
/// by `weights`, skipping cells in `exclude` (keys of the training cells) and repeats. Gives up
/// after `20 m` draws, so a nearly full tensor yields fewer cells rather than looping.
pub fn sample_cells(
    shape: &[usize],
    weights: &[Vec<f64>],
    m: usize,
    exclude: &HashSet<u64>,
    seed: u64,
) -> anyhow::Result<Vec<u32>> {
    let dists = weights
        .iter()
        .enumerate()
        .map(|(mode, w)| {
            WeightedIndex::new(w)
                .map_err(|e| anyhow::anyhow!("mode {mode}: no entity can be drawn ({e})"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xA11C_E5ED);
    let mut taken = HashSet::with_capacity(m);
    let mut out = Vec::with_capacity(m * shape.len());
    let mut cell = vec![0u32; shape.len()];
    for _ in 0..m.saturating_mul(20) {
        if taken.len() == m {
            break;
        }
        for (x, d) in cell.iter_mut().zip(&dists) {
            *x = d.sample(&mut rng) as u32;
        }
        let key = cell_key(&cell, shape);
        if !exclude.contains(&key) && taken.insert(key) {
            out.extend_from_slice(&cell);
        }
    }
    Ok(out)
}
