//! Small numeric helpers: row normalisation and reading a tensor back (burn), a vectorising dot.

use burn::tensor::Tensor;

/// `x / max(||x||, 1e-12)` per row (torch's `F.normalize`): cosine scores (UniSRec), ISCON's
/// feature blocks, sentence-vector pooling (MiniLM).
pub fn l2_normalise(x: Tensor<2>) -> Tensor<2> {
    let dims = x.dims();
    let norm = x.clone().powi_scalar(2).sum_dim(1).sqrt().clamp_min(1e-12);
    x / norm.expand(dims)
}

/// The values of a float tensor, row-major.
pub fn to_vec<const D: usize>(t: Tensor<D>) -> anyhow::Result<Vec<f32>> {
    t.into_data()
        .try_into_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("reading a tensor: {e:?}"))
}

/// Dot product with eight independent partial sums, so that it vectorises (a single running sum
/// cannot be reordered by the compiler): HierSRec's narrow candidate slabs and the plain SASRec
/// forward's attention scores.
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}
