//! Tensor helpers every crate on burn needs: row normalisation and reading a tensor back.

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
