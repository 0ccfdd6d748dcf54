//! Dense matrix views and blocked `queries * items^T` scoring.

use std::ops::Range;

use rayon::prelude::*;

use crate::EvalError;

/// Dense row-major matrix view (`data.len() == rows * cols`).
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
}

impl<'a> MatRef<'a> {
    /// Checked constructor, so a wrong shape is caught where it is made.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Result<Self, EvalError> {
        let m = Self { data, rows, cols };
        m.check("matrix data length")?;
        Ok(m)
    }

    /// Row `i`, or `None` if out of range (or the view is inconsistent).
    pub fn row(&self, i: usize) -> Option<&'a [f32]> {
        if i >= self.rows {
            return None;
        }
        let start = i.checked_mul(self.cols)?;
        self.data.get(start..start.checked_add(self.cols)?)
    }

    fn check(&self, what: &'static str) -> Result<(), EvalError> {
        let expected = self.rows.saturating_mul(self.cols);
        if self.data.len() != expected {
            return Err(EvalError::ShapeMismatch {
                what,
                expected,
                actual: self.data.len(),
            });
        }
        Ok(())
    }
}

/// Most rows scored at once; enough to keep sgemm efficient.
const MAX_BLOCK_ROWS: usize = 256;
/// Cap on one block's score buffer (16 MiB of f32) so huge catalogues do
/// not blow up memory per worker thread.
const MAX_BLOCK_FLOATS: usize = 1 << 22;

/// Computes `queries * items^T (+ bias)` block by block, in parallel, never
/// holding the whole `n x m` score matrix.
pub(crate) struct Scorer<'a> {
    queries: MatRef<'a>,
    items: MatRef<'a>,
    bias: Option<&'a [f32]>,
}

impl<'a> Scorer<'a> {
    /// Validates all shapes up front so the parallel part cannot fail on them.
    pub(crate) fn new(
        queries: MatRef<'a>,
        items: MatRef<'a>,
        bias: Option<&'a [f32]>,
    ) -> Result<Self, EvalError> {
        queries.check("queries data length")?;
        items.check("items data length")?;
        if queries.cols != items.cols {
            return Err(EvalError::ShapeMismatch {
                what: "embedding dimension (items.cols vs queries.cols)",
                expected: queries.cols,
                actual: items.cols,
            });
        }
        if let Some(b) = bias.filter(|b| b.len() != items.rows) {
            return Err(EvalError::ShapeMismatch {
                what: "bias length (items.rows)",
                expected: items.rows,
                actual: b.len(),
            });
        }
        Ok(Self {
            queries,
            items,
            bias,
        })
    }

    pub(crate) fn n_rows(&self) -> usize {
        self.queries.rows
    }

    pub(crate) fn n_items(&self) -> usize {
        self.items.rows
    }

    /// Block size balancing sgemm efficiency, memory and parallelism.
    pub(crate) fn default_block_rows(&self) -> usize {
        let by_mem = MAX_BLOCK_FLOATS / self.items.rows.max(1);
        let by_par = self
            .queries
            .rows
            .div_ceil(4 * rayon::current_num_threads())
            .max(16);
        MAX_BLOCK_ROWS.min(by_mem).min(by_par).max(1)
    }

    /// Calls `f(rows, scores)` for each block of `block_rows` query rows,
    /// where `scores` is the block's row-major `rows.len() x n_items`
    /// score matrix. Results come back in row order.
    pub(crate) fn map_blocks<T, F>(&self, block_rows: usize, f: F) -> Vec<T>
    where
        T: Send,
        F: Fn(Range<usize>, &[f32]) -> T + Sync,
    {
        let block_rows = block_rows.max(1);
        let n_blocks = self.queries.rows.div_ceil(block_rows);
        (0..n_blocks)
            .into_par_iter()
            .map_init(Vec::new, |buf, b| {
                let start = b * block_rows;
                let rows = start..(start + block_rows).min(self.queries.rows);
                self.score_block(rows.clone(), buf);
                f(rows, buf)
            })
            .collect()
    }

    pub(crate) fn score_block(&self, rows: Range<usize>, buf: &mut Vec<f32>) {
        let (m, d, r) = (self.items.rows, self.items.cols, rows.len());
        match self.bias {
            Some(bias) => {
                buf.clear();
                (0..r).for_each(|_| buf.extend_from_slice(bias));
            }
            // With beta = 0 sgemm overwrites every entry without reading it (matrixmultiply's
            // contract), so a reused buffer's stale values need no zeroing first.
            None if d > 0 => {
                buf.truncate(r * m);
                buf.resize(r * m, 0.0);
            }
            None => {
                buf.clear();
                buf.resize(r * m, 0.0);
            }
        }
        if r == 0 || m == 0 || d == 0 {
            return;
        }
        let a = &self.queries.data[rows.start * d..rows.end * d];
        let beta = if self.bias.is_some() { 1.0 } else { 0.0 };
        sgemm_nt(a, r, self.items.data, m, d, beta, buf);
    }
}

/// `out = a * b^T` for row-major `a` (r x d) and `b` (m x d), `out` resized to r x m.
///
/// Full-catalogue scoring and HierSRec's candidate slabs share this one sgemm call, so both
/// compute a (query, item) score with the same kernel.
pub fn scores_nt(a: MatRef, b: MatRef, out: &mut Vec<f32>) -> Result<(), EvalError> {
    Scorer::new(a, b, None)?.score_block(0..a.rows, out);
    Ok(())
}

/// [`scores_nt`] into `out`, exactly r x m floats of a caller's buffer (any values: they are
/// overwritten, never read), so results can land where they are used without a copy.
pub fn scores_nt_into(a: MatRef, b: MatRef, out: &mut [f32]) -> Result<(), EvalError> {
    Scorer::new(a, b, None)?;
    if out.len() != a.rows * b.rows {
        return Err(EvalError::ShapeMismatch {
            what: "score output length (queries x items)",
            expected: a.rows * b.rows,
            actual: out.len(),
        });
    }
    if a.cols == 0 {
        out.fill(0.0);
    } else {
        sgemm_nt(a.data, a.rows, b.data, b.rows, a.cols, 0.0, out);
    }
    Ok(())
}

/// `out = a * b^T + beta * out`; the caller guarantees the shapes (r x d, m x d, r x m).
fn sgemm_nt(a: &[f32], r: usize, b: &[f32], m: usize, d: usize, beta: f32, out: &mut [f32]) {
    assert!(a.len() >= r * d && b.len() >= m * d && out.len() >= r * m);
    // SAFETY: `a` is r x d row-major (strides d, 1); `b` is m x d row-major, read as its
    // transpose d x m (strides 1, d); `out` holds r * m floats written as r x m row-major
    // (strides m, 1). The lengths are asserted above and `out` is not aliased.
    unsafe {
        matrixmultiply::sgemm(
            r,
            d,
            m,
            1.0,
            a.as_ptr(),
            d as isize,
            1,
            b.as_ptr(),
            1,
            d as isize,
            beta,
            out.as_mut_ptr(),
            m as isize,
            1,
        );
    }
}
