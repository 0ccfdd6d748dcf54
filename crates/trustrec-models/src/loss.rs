//! Training losses computed only at positions that carry a target, so padding costs no
//! output-layer work.

use burn::tensor::activation::{log_sigmoid, log_softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::batch::TrainBatch;

/// Gathers the `[n, dim]` hidden states at the batch's loss positions.
pub fn loss_states(hidden: Tensor<3>, batch: &TrainBatch, device: &Device) -> Tensor<2> {
    let [b, l, d] = hidden.dims();
    let idx = int1(&batch.loss_pos, device);
    hidden.reshape([b * l, d]).select(0, idx)
}

/// Mean full-softmax cross-entropy of `states · tableᵀ` against `targets`.
pub fn cross_entropy(
    states: Tensor<2>,
    table: Tensor<2>,
    targets: &[i64],
    device: &Device,
) -> Tensor<1> {
    cross_entropy_logits(states.matmul(table.transpose()), targets, device)
}

/// Mean cross-entropy of `[n, n_items]` raw scores against `targets` (for callers that reuse the
/// scores, as FINEST does for its rank terms).
pub fn cross_entropy_logits(logits: Tensor<2>, targets: &[i64], device: &Device) -> Tensor<1> {
    let n = targets.len();
    let t = Tensor::<2, Int>::from_data(TensorData::new(targets.to_vec(), [n, 1]), device);
    log_softmax(logits, 1).gather(1, t).mean().neg()
}

/// Mean binary cross-entropy with one sampled negative per target (original SASRec loss).
pub fn sampled_bce(
    states: Tensor<2>,
    table: Tensor<2>,
    targets: &[i64],
    negatives: &[i64],
    device: &Device,
) -> Tensor<1> {
    let pos = table.clone().select(0, int1(targets, device));
    let neg = table.select(0, int1(negatives, device));
    let pos_logit = (states.clone() * pos).sum_dim(1);
    let neg_logit = (states * neg).sum_dim(1);
    let loss = log_sigmoid(pos_logit) + log_sigmoid(neg_logit.neg());
    loss.mean().neg()
}

fn int1(v: &[i64], device: &Device) -> Tensor<1, Int> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
}
