//! GRU4Rec's evaluation forward pass in plain Rust.
//!
//! burn's GRU runs six small matrix products and the gate activations as separate kernels at
//! every position. Here the input side of every position is one product with the three gates
//! side by side, and each position's recurrent side is one product over a block of histories;
//! the gates are fused into one loop. Same weights, same result as [`Gru4Rec`]'s last hidden
//! state up to float rounding (tested).

use burn::nn::activation::Activation;
use rayon::prelude::*;

use crate::ops::to_vec;
use crate::plain::{Dense, concat_outputs};
use crate::rnn::Gru4Rec;

/// Histories per parallel task: fixed, so results do not depend on the thread count.
const BLOCK: usize = 64;

/// The weights of a trained [`Gru4Rec`] as plain buffers, for evaluation.
pub struct PlainGru4Rec {
    /// Item embeddings, row 0 = padding (masked to zero, as in the model).
    items: Vec<f32>,
    /// Input side of the update, reset and new gates, `[z | r | n]`.
    input: Dense,
    /// Recurrent side, same layout.
    recurrent: Dense,
    /// Hidden state -> item space.
    out: Dense,
    dim: usize,
    hidden: usize,
}

impl PlainGru4Rec {
    /// Copies `model`'s weights; fails for GRU settings this path does not implement.
    pub fn new(model: &Gru4Rec) -> anyhow::Result<Self> {
        let g = &model.gru;
        anyhow::ensure!(
            g.reset_after
                && g.clip.is_none()
                && matches!(g.gate_activation, Activation::Sigmoid(_))
                && matches!(g.hidden_activation, Activation::Tanh(_)),
            "plain GRU: only reset-after gates with sigmoid / tanh and no clipping"
        );
        let gates = [&g.update_gate, &g.reset_gate, &g.new_gate];
        let input = gates.map(|c| Dense::from_burn(&c.input_transform));
        let recurrent = gates.map(|c| Dense::from_burn(&c.hidden_transform));
        let [zi, ri, ni] = input;
        let [zh, rh, nh] = recurrent;
        let [_, dim] = model.item_emb.weight.dims();
        Ok(Self {
            items: to_vec(model.item_emb.weight.val())?,
            input: concat_outputs(&[&zi?, &ri?, &ni?]),
            recurrent: concat_outputs(&[&zh?, &rh?, &nh?]),
            out: Dense::from_burn(&model.dense)?,
            dim,
            hidden: g.d_hidden,
        })
    }

    /// `[rows, dim]` states at the last position of left-padded `inputs` (`rows * max_len`
    /// model item indices, 0 = padding), as the model's last hidden state. Padding embeds to
    /// zero and the GRU has no bias, so leading padding leaves the state exactly zero and an
    /// all-padding row gives the output layer's bias, as in burn.
    pub fn last_states(&self, inputs: &[i64], max_len: usize) -> anyhow::Result<Vec<f32>> {
        anyhow::ensure!(
            max_len > 0 && inputs.len().is_multiple_of(max_len),
            "plain GRU: input buffer is not rows x max_len"
        );
        let n_items = self.items.len() / self.dim;
        anyhow::ensure!(
            inputs.iter().all(|&i| i >= 0 && (i as usize) < n_items),
            "plain GRU: item index out of range"
        );
        let d = self.dim;
        let mut out = vec![0f32; inputs.len() / max_len * d];
        out.par_chunks_mut(BLOCK * d)
            .zip(inputs.par_chunks(BLOCK * max_len))
            .for_each(|(out, block)| self.block(block, max_len, out));
        Ok(out)
    }

    /// One block of histories, all positions in step.
    fn block(&self, inputs: &[i64], max_len: usize, out: &mut [f32]) {
        let (d, h) = (self.dim, self.hidden);
        let rows = inputs.len() / max_len;
        // Position-major input: row t * rows + b is history b's item at position t.
        let mut x = vec![0f32; rows * max_len * d];
        for (b, row) in inputs.chunks_exact(max_len).enumerate() {
            for (t, &item) in row.iter().enumerate().filter(|&(_, &i)| i != 0) {
                x[(t * rows + b) * d..][..d].copy_from_slice(&self.items[item as usize * d..][..d]);
            }
        }
        let mut gi = Vec::new();
        self.input.apply(&x, rows * max_len, &mut gi);
        let (mut state, mut gh) = (vec![0f32; rows * h], Vec::new());
        for t in 0..max_len {
            self.recurrent.apply(&state, rows, &mut gh);
            let gi = &gi[t * rows * 3 * h..][..rows * 3 * h];
            for ((s, gi), gh) in state
                .chunks_exact_mut(h)
                .zip(gi.chunks_exact(3 * h))
                .zip(gh.chunks_exact(3 * h))
            {
                let (iz, ir, i_n) = (&gi[..h], &gi[h..2 * h], &gi[2 * h..]);
                let (hz, hr, hn) = (&gh[..h], &gh[h..2 * h], &gh[2 * h..]);
                // Zipped slices, no indexing: no bounds checks, so the loop vectorises.
                let gates = iz
                    .iter()
                    .zip(hz)
                    .zip(ir.iter().zip(hr))
                    .zip(i_n.iter().zip(hn));
                for (s, ((z, r), n)) in s.iter_mut().zip(gates) {
                    let z = sigmoid(z.0 + z.1);
                    let r = sigmoid(r.0 + r.1);
                    let n = tanh(n.0 + r * n.1);
                    *s = n * (1.0 - z) + z * *s;
                }
            }
        }
        let mut y = Vec::new();
        self.out.apply(&state, rows, &mut y);
        out.copy_from_slice(&y);
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

fn tanh(x: f32) -> f32 {
    2.0 * sigmoid(2.0 * x) - 1.0
}

/// `e^x` (Cephes' single-precision polynomial, ~1 ulp; saturating beyond +-87), written without
/// calls (not even `mul_add`: a library call where the target has no FMA) or branches, so the
/// gate loop vectorises (with the zipped, bounds-check-free loop in `block`). ml-100k test pass,
/// 2 threads: library `exp` and an indexed loop 0.22 s, this `exp` alone 0.18 s, both 0.12 s.
fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // k = round(x / ln 2) by the 1.5 * 2^23 trick (no rounding instruction before SSE4.1).
    let k = (x * std::f32::consts::LOG2_E + 12_582_912.0) - 12_582_912.0;
    // ln 2 = 0.693359375 - 2.12194440e-4 (the first part is exact in f32: 0.6933594 rounds to it).
    let r = x - k * 0.693_359_4 + k * 2.121_944_4e-4;
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_2e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    // Wrapping ops: overflow checks would keep the loop scalar (k is within [-126, 127]).
    e * f32::from_bits((k as i32).wrapping_add(127).wrapping_shl(23) as u32)
}
