//! Model input tensors built once per batch from left-padded item indices.

use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

/// Items plus the masks every model needs, so models never rebuild them.
#[derive(Debug, Clone)]
pub struct SeqInput {
    /// `[batch, len]` model item indices, 0 = padding.
    pub items: Tensor<2, Int>,
    /// `[batch, len, 1]` 1.0 at real items, 0.0 at padding (zeroes padded embeddings).
    pub real: Tensor<3>,
    /// `[batch, len, len]` true where attention is forbidden: future keys and padded keys.
    pub attn_mask: Tensor<3, Bool>,
    /// `[batch, len, len]` clipped time intervals (see [`interval_matrix`]); only built for
    /// models that read times, so the others pay nothing for them.
    pub intervals: Option<Tensor<3, Int>>,
}

impl SeqInput {
    /// Builds the tensors from a `[batch * len]` row-major buffer.
    pub fn new(items: &[i64], batch: usize, len: usize, device: &Device) -> Self {
        assert_eq!(items.len(), batch * len, "input buffer has the wrong size");
        let real: Vec<f32> = items.iter().map(|&i| (i != 0) as u8 as f32).collect();
        let mut mask = vec![false; batch * len * len];
        for b in 0..batch {
            let row = &items[b * len..(b + 1) * len];
            for q in 0..len {
                let m = &mut mask[(b * len + q) * len..(b * len + q + 1) * len];
                for (k, slot) in m.iter_mut().enumerate() {
                    *slot = k > q || row[k] == 0;
                }
            }
        }
        Self {
            items: Tensor::from_data(TensorData::new(items.to_vec(), [batch, len]), device),
            real: Tensor::from_data(TensorData::new(real, [batch, len, 1]), device),
            attn_mask: Tensor::from_data(TensorData::new(mask, [batch, len, len]), device),
            intervals: None,
        }
    }

    /// Adds the interval matrices for `times` (`[batch * len]`, aligned with the items; values
    /// at padding are ignored), clipped at `span`.
    pub fn with_times(
        mut self,
        items: &[i64],
        times: &[f64],
        span: usize,
        device: &Device,
    ) -> Self {
        assert_eq!(items.len(), times.len(), "times buffer has the wrong size");
        let [batch, len] = self.dims();
        let mut out = vec![0i64; batch * len * len];
        for (b, m) in out.chunks_mut(len * len).enumerate() {
            let r = b * len..(b + 1) * len;
            interval_matrix(&items[r.clone()], &times[r], span, m);
        }
        self.intervals = Some(Tensor::from_data(
            TensorData::new(out, [batch, len, len]),
            device,
        ));
        self
    }

    /// `[batch, len]` index of each position counted from the row's first real item (0 at
    /// padding), derived from `real` so that only models counting positions from the start pay
    /// for it.
    pub fn start_offsets(&self) -> Tensor<2, Int> {
        let [batch, len] = self.dims();
        (self.real.clone().cumsum(1) - 1.0)
            .clamp_min(0.0)
            .reshape([batch, len])
            .int()
    }

    pub fn dims(&self) -> [usize; 2] {
        self.items.dims()
    }
}

/// Writes the `[len * len]` interval matrix of one left-padded row, TiSASRec's personalised
/// scaling: `r_ij = min(floor(|t_i - t_j| / s), span)` with `s` the smallest non-zero gap between
/// consecutive real times of the row (1 if there is none), so users who act hourly and users who
/// act yearly both spread over the `span` buckets. Padding rows and columns are 0.
pub fn interval_matrix(items: &[i64], times: &[f64], span: usize, out: &mut [i64]) {
    let len = items.len();
    assert_eq!(out.len(), len * len, "interval buffer has the wrong size");
    out.fill(0);
    let pad = items.iter().take_while(|&&i| i == 0).count();
    let t = &times[pad..];
    let scale = t
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .filter(|&g| g > 0.0)
        .fold(f64::INFINITY, f64::min);
    let scale = if scale.is_finite() { scale } else { 1.0 };
    for (i, &ti) in t.iter().enumerate() {
        let row = &mut out[(pad + i) * len + pad..(pad + i + 1) * len];
        for (slot, &tj) in row.iter_mut().zip(t) {
            // `as` saturates, and a NaN time (rejected by the loaders) would give 0.
            *slot = ((ti - tj).abs() / scale).floor().min(span as f64) as i64;
        }
    }
}
