//! CP decomposition fitted by alternating least squares on the observed cells only: the
//! classical baseline. Each sweep solves, for every entity of every mode, the ridge problem
//! `(sum_c z_c z_c^T + ridge I) a = sum_c y_c z_c` over the training cells `c` containing it,
//! where `z_c` is the elementwise product of the other modes' factor rows. Entities of one mode
//! are independent given the others, so they are solved in parallel.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use trustrec_data::group_by_key;

use crate::fit::{FitConfig, Fitted, Scale, Trained, rmse_z};
use crate::sparse::SparseTensor;

/// Factor matrices, one `[size, rank]` row-major table per mode.
#[derive(Clone, Debug)]
pub struct CpModel {
    pub rank: usize,
    pub factors: Vec<Vec<f64>>,
}

impl CpModel {
    /// Standardised predictions of the cells `idx`.
    pub fn predict(&self, idx: &[u32]) -> Vec<f32> {
        let n = self.factors.len();
        idx.chunks(n).map(|cell| self.value(cell) as f32).collect()
    }

    fn value(&self, cell: &[u32]) -> f64 {
        let r = self.rank;
        (0..r)
            .map(|k| {
                cell.iter()
                    .zip(&self.factors)
                    .map(|(&i, f)| f[i as usize * r + k])
                    .product::<f64>()
            })
            .sum()
    }
}

/// Fits CP-ALS (one sweep over all modes per epoch), keeping the best validation sweep.
pub(crate) fn fit_cp(
    train: &SparseTensor,
    zt: &[f32],
    valid: &SparseTensor,
    zv: &[f32],
    scale: Scale,
    cfg: &FitConfig,
    seed: u64,
) -> anyhow::Result<Fitted> {
    let (n, r) = (train.order(), cfg.rank);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xC0FF_EE00);
    let mut model = CpModel {
        rank: r,
        factors: train
            .shape
            .iter()
            .map(|&s| (0..s * r).map(|_| rng.gen_range(-0.5..0.5)).collect())
            .collect(),
    };
    // Training cells grouped by the entity they hold, per mode.
    let groups: Vec<(Vec<usize>, Vec<u32>)> = (0..n)
        .map(|m| group_by_key((0..train.len()).map(|c| train.cell(c)[m]), train.shape[m]))
        .collect();
    let mut out = Fitted::new(Trained::Cp(model.clone()), scale, 1);
    for epoch in 0..cfg.max_epochs {
        let t0 = Instant::now();
        for (m, (offsets, members)) in groups.iter().enumerate() {
            let rows: Vec<Vec<f64>> = (0..train.shape[m])
                .into_par_iter()
                .map(|i| {
                    let cells = &members[offsets[i]..offsets[i + 1]];
                    solve_entity(&model, train, zt, m, cells, cfg.ridge)
                })
                .collect();
            model.factors[m] = rows.concat();
        }
        let se: f64 = (0..train.len())
            .map(|c| (model.value(train.cell(c)) - zt[c] as f64).powi(2))
            .sum();
        out.train_loss.push(se / train.len() as f64);
        let rmse = rmse_z(&model.predict(&valid.idx), zv, &scale);
        match out.record(epoch, rmse, t0.elapsed().as_secs_f64(), cfg.patience)? {
            Some(true) => out.model = Trained::Cp(model.clone()),
            Some(false) => {}
            None => break,
        }
    }
    Ok(out)
}

/// The ridge solution for entity rows of mode `m` from its training `cells`; an entity without
/// cells gets the zero row (the ridge solution of an empty problem).
fn solve_entity(
    model: &CpModel,
    train: &SparseTensor,
    zt: &[f32],
    m: usize,
    cells: &[u32],
    ridge: f64,
) -> Vec<f64> {
    let r = model.rank;
    let mut gram = vec![0.0; r * r];
    let mut rhs = vec![0.0; r];
    let mut z = vec![0.0; r];
    for &c in cells {
        let c = c as usize;
        z.fill(1.0);
        for (mm, &i) in train.cell(c).iter().enumerate() {
            if mm != m {
                let row = &model.factors[mm][i as usize * r..(i as usize + 1) * r];
                for (a, b) in z.iter_mut().zip(row) {
                    *a *= b;
                }
            }
        }
        for a in 0..r {
            rhs[a] += zt[c] as f64 * z[a];
            for b in 0..=a {
                gram[a * r + b] += z[a] * z[b];
            }
        }
    }
    for a in 0..r {
        gram[a * r + a] += ridge.max(1e-9);
    }
    cholesky_solve(&mut gram, &mut rhs, r);
    rhs
}

/// Solves `A x = b` for symmetric positive definite `A` (lower triangle used, overwritten by
/// its Cholesky factor); `b` becomes `x`. `A` is ridge-regularised, so the factor exists.
pub fn cholesky_solve(a: &mut [f64], b: &mut [f64], n: usize) {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        let d = d.max(1e-300).sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * n + k] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= a[k * n + i] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
}
