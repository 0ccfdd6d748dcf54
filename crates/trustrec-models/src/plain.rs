//! SASRec's evaluation forward pass in plain Rust.
//!
//! burn's forward pads every history to `max_len` and runs each op as a separate kernel over the
//! whole padded batch. Padded keys are masked, so a real position never depends on padding: here
//! each history runs on its real items only, blocks of histories in parallel, projections by
//! gemm, and the last layer only for the last position. The result equals
//! [`SasRec::last_hidden`] up to float rounding (tested), with the same weights.

use burn::nn::activation::Activation;
use burn::nn::{LayerNorm, Linear};
use rayon::prelude::*;

use crate::config::Positions;
use crate::ops::{dot, to_vec};
use crate::sasrec::{LN_EPS, SasRec};

/// Histories per parallel task: fixed, so results do not depend on the thread count.
const BLOCK: usize = 64;

/// `y = x W + b` with `W` stored `[n_in, n_out]` row-major (burn's layout).
pub(crate) struct Dense {
    w: Vec<f32>,
    b: Vec<f32>,
    n_in: usize,
    n_out: usize,
}

impl Dense {
    pub(crate) fn from_burn(l: &Linear) -> anyhow::Result<Self> {
        let [n_in, n_out] = l.weight.dims();
        let b = match &l.bias {
            Some(b) => to_vec(b.val())?,
            None => vec![0.0; n_out],
        };
        Ok(Self {
            w: to_vec(l.weight.val())?,
            b,
            n_in,
            n_out,
        })
    }

    /// `out = x W + b` for `rows` rows of `x`; `out` is overwritten with `rows * n_out` values.
    pub(crate) fn apply(&self, x: &[f32], rows: usize, out: &mut Vec<f32>) {
        assert_eq!(x.len(), rows * self.n_in, "dense input has the wrong size");
        out.clear();
        for _ in 0..rows {
            out.extend_from_slice(&self.b);
        }
        if rows == 0 {
            return;
        }
        // SAFETY: `x` is rows x n_in row-major (column stride 1, row stride n_in), `w` is
        // n_in x n_out row-major, `out` is rows x n_out row-major; `x`'s length is asserted and
        // `out` filled above, and `out` aliases neither input. gemm computes
        // dst = alpha * dst + beta * lhs * rhs: the bias already in `out` plus x W.
        unsafe {
            gemm::gemm(
                rows,
                self.n_out,
                self.n_in,
                out.as_mut_ptr(),
                1,
                self.n_out as isize,
                true,
                x.as_ptr(),
                1,
                self.n_in as isize,
                self.w.as_ptr(),
                1,
                self.n_out as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }
}

/// Layer norm over the last dimension (biased variance, as burn).
struct Norm {
    g: Vec<f32>,
    b: Vec<f32>,
}

impl Norm {
    fn from_burn(n: &LayerNorm) -> anyhow::Result<Self> {
        let g = to_vec(n.gamma.val())?;
        let b = match &n.beta {
            Some(b) => to_vec(b.val())?,
            None => vec![0.0; g.len()],
        };
        Ok(Self { g, b })
    }

    fn apply(&self, x: &mut [f32]) {
        let d = self.g.len();
        for row in x.chunks_exact_mut(d) {
            let mean = row.iter().sum::<f32>() / d as f32;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / d as f32;
            let inv = 1.0 / (var + LN_EPS as f32).sqrt();
            for ((v, g), b) in row.iter_mut().zip(&self.g).zip(&self.b) {
                *v = (*v - mean) * inv * g + b;
            }
        }
    }
}

/// A post-norm encoder layer (the only kind SASRec builds) after its attention inputs: output
/// projection, norms and feed-forward.
struct Layer {
    out: Dense,
    norm_1: Norm,
    inner: Dense,
    outer: Dense,
    norm_2: Norm,
}

/// The weights of a trained [`SasRec`] as plain buffers, for evaluation.
pub struct PlainSasRec {
    items: Vec<f32>,
    positions: Vec<f32>,
    from: Positions,
    norm: Norm,
    /// Layers before the last: `[q | k | v]` in one product (every position's query is needed).
    body: Vec<(Dense, Layer)>,
    /// The last layer: `q` (last position only) and `[k | v]` (every position) apart.
    last: (Dense, Dense, Layer),
    dim: usize,
    heads: usize,
}

/// Reusable per-task buffers.
#[derive(Default)]
struct Scratch {
    x: Vec<f32>,
    q: Vec<f32>,
    kv: Vec<f32>,
    ctx: Vec<f32>,
    tmp: Vec<f32>,
    hidden: Vec<f32>,
    scores: Vec<f32>,
}

impl PlainSasRec {
    /// Copies `model`'s weights; fails for encoder settings this path does not implement.
    pub fn new(model: &SasRec) -> anyhow::Result<Self> {
        let (item_emb, pos_emb, norm, encoder, from) = model.parts();
        let mut layers = encoder
            .layers
            .iter()
            .map(|l| {
                anyhow::ensure!(
                    !l.norm_first && !l.mha.quiet_softmax,
                    "plain forward: only post-norm layers with the standard softmax"
                );
                anyhow::ensure!(
                    matches!(&l.pwff.activation, Activation::Gelu(g) if !g.approximate),
                    "plain forward: only the exact GELU feed-forward"
                );
                let qkv = [&l.mha.query, &l.mha.key, &l.mha.value].map(Dense::from_burn);
                let [q, k, v] = qkv;
                let rest = Layer {
                    out: Dense::from_burn(&l.mha.output)?,
                    norm_1: Norm::from_burn(&l.norm_1)?,
                    inner: Dense::from_burn(&l.pwff.linear_inner)?,
                    outer: Dense::from_burn(&l.pwff.linear_outer)?,
                    norm_2: Norm::from_burn(&l.norm_2)?,
                };
                Ok(([q?, k?, v?], rest))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let ([q, k, v], rest) = layers
            .pop()
            .ok_or_else(|| anyhow::anyhow!("plain forward: SASRec has no layer"))?;
        let body = layers
            .into_iter()
            .map(|([q, k, v], rest)| (concat_outputs(&[&q, &k, &v]), rest))
            .collect();
        let [_, dim] = item_emb.weight.dims();
        Ok(Self {
            items: to_vec(item_emb.weight.val())?,
            positions: to_vec(pos_emb.weight.val())?,
            from,
            norm: Norm::from_burn(norm)?,
            body,
            last: (q, concat_outputs(&[&k, &v]), rest),
            dim,
            heads: encoder.layers[0].mha.n_heads,
        })
    }

    /// `[rows, dim]` states at the last position of left-padded `inputs` (`rows * max_len`
    /// model item indices, 0 = padding), as [`SasRec::last_hidden`]. Every row needs at least
    /// one real item (burn's result for an all-padding row is an artefact of its mask value).
    pub fn last_states(&self, inputs: &[i64], max_len: usize) -> anyhow::Result<Vec<f32>> {
        anyhow::ensure!(
            max_len > 0 && inputs.len().is_multiple_of(max_len),
            "plain forward: input buffer is not rows x max_len"
        );
        anyhow::ensure!(
            max_len * self.dim <= self.positions.len(),
            "plain forward: max_len {max_len} exceeds the position table"
        );
        let n_items = self.items.len() / self.dim;
        for row in inputs.chunks_exact(max_len) {
            anyhow::ensure!(
                row[max_len - 1] != 0,
                "plain forward: an empty history (the last position is padding)"
            );
            anyhow::ensure!(
                row.iter().all(|&i| i >= 0 && (i as usize) < n_items),
                "plain forward: item index out of range"
            );
            let pad = row.iter().take_while(|&&i| i == 0).count();
            anyhow::ensure!(
                row[pad..].iter().all(|&i| i != 0),
                "plain forward: padding inside a history (histories are left-padded)"
            );
        }
        let d = self.dim;
        let mut out = vec![0f32; inputs.len() / max_len * d];
        out.par_chunks_mut(BLOCK * d)
            .zip(inputs.par_chunks(BLOCK * max_len))
            .for_each_init(Scratch::default, |s, (out, block)| {
                self.block(block, max_len, s, out)
            });
        Ok(out)
    }

    /// One block of histories: their real positions stacked row by row.
    fn block(&self, inputs: &[i64], max_len: usize, s: &mut Scratch, out: &mut [f32]) {
        let d = self.dim;
        let table_rows = self.positions.len() / d;
        // (first stacked row, length) of each history.
        let mut spans = Vec::with_capacity(inputs.len() / max_len);
        let mut x = std::mem::take(&mut s.x);
        x.clear();
        for row in inputs.chunks_exact(max_len) {
            let pad = row.iter().take_while(|&&i| i == 0).count();
            spans.push((x.len() / d, max_len - pad));
            for (p, &item) in row.iter().enumerate().skip(pad) {
                let e = &self.items[item as usize * d..][..d];
                let p = match self.from {
                    Positions::FromEnd => table_rows - max_len + p,
                    Positions::FromStart => p - pad,
                };
                let pos = &self.positions[p * d..][..d];
                x.extend(e.iter().zip(pos).map(|(a, b)| a + b));
            }
        }
        self.norm.apply(&mut x);
        let rows = x.len() / d;
        for (qkv, layer) in &self.body {
            qkv.apply(&x, rows, &mut s.kv);
            s.ctx.clear();
            s.ctx.resize(rows * d, 0.0);
            let kv = KeyValues {
                data: &s.kv,
                stride: 3 * d,
                k: d,
                v: 2 * d,
            };
            for &(start, len) in &spans {
                for r in start..start + len {
                    let ctx = &mut s.ctx[r * d..][..d];
                    let q = &s.kv[r * 3 * d..][..d];
                    self.attend(q, &kv, start..r + 1, &mut s.scores, ctx);
                }
            }
            self.finish(layer, &mut x, rows, s);
        }
        // Last layer: keys and values everywhere, everything else at the last position only.
        let (q, kv, last) = &self.last;
        kv.apply(&x, rows, &mut s.kv);
        let n = spans.len();
        let mut h = std::mem::take(&mut s.hidden);
        h.clear();
        for &(start, len) in &spans {
            h.extend_from_slice(&x[(start + len - 1) * d..][..d]);
        }
        q.apply(&h, n, &mut s.q);
        s.ctx.clear();
        s.ctx.resize(n * d, 0.0);
        for (j, &(start, len)) in spans.iter().enumerate() {
            let ctx = &mut s.ctx[j * d..][..d];
            let kv = KeyValues {
                data: &s.kv,
                stride: 2 * d,
                k: 0,
                v: d,
            };
            self.attend(
                &s.q[j * d..][..d],
                &kv,
                start..start + len,
                &mut s.scores,
                ctx,
            );
        }
        self.finish(last, &mut h, n, s);
        out.copy_from_slice(&h);
        s.hidden = h;
        s.x = x;
    }

    /// Softmax attention of one query over key/value rows `keys` of `kv`, per head, into `ctx`.
    fn attend(
        &self,
        q: &[f32],
        kv: &KeyValues<'_>,
        keys: std::ops::Range<usize>,
        scores: &mut Vec<f32>,
        ctx: &mut [f32],
    ) {
        let d = self.dim;
        let dk = d / self.heads;
        let scale = 1.0 / (dk as f32).sqrt();
        for h in 0..self.heads {
            let qh = &q[h * dk..][..dk];
            scores.clear();
            scores.extend(
                keys.clone()
                    .map(|k| dot(qh, &kv.data[k * kv.stride + kv.k + h * dk..][..dk]) * scale),
            );
            let max = scores.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            let mut sum = 0.0;
            for v in scores.iter_mut() {
                *v = (*v - max).exp();
                sum += *v;
            }
            let c = &mut ctx[h * dk..][..dk];
            c.fill(0.0);
            for (k, &w) in keys.clone().zip(scores.iter()) {
                let w = w / sum;
                let vh = &kv.data[k * kv.stride + kv.v + h * dk..][..dk];
                for (ci, vi) in c.iter_mut().zip(vh) {
                    *ci += w * vi;
                }
            }
        }
    }

    /// Output projection, residual + norm 1, feed-forward, residual + norm 2, on `x` in place
    /// (`s.ctx` holds the attention context of the same rows).
    fn finish(&self, layer: &Layer, x: &mut [f32], rows: usize, s: &mut Scratch) {
        layer.out.apply(&s.ctx, rows, &mut s.tmp);
        for (xi, o) in x.iter_mut().zip(&s.tmp) {
            *xi += o;
        }
        layer.norm_1.apply(x);
        layer.inner.apply(x, rows, &mut s.tmp);
        for v in s.tmp.iter_mut() {
            *v = gelu(*v);
        }
        layer.outer.apply(&s.tmp, rows, &mut s.q);
        for (xi, o) in x.iter_mut().zip(&s.q) {
            *xi += o;
        }
        layer.norm_2.apply(x);
    }
}

/// Exact GELU, `x Φ(x) = x (1 + erf(x / √2)) / 2`, with [`erf`].
#[inline]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// erf in single precision as a rational function of x on [-4, 4] (±1 beyond, where f32's erf
/// is ±1): the approximation Eigen and XLA use for float, branch-free so the GELU loop
/// vectorises (libm's `erff` was a tenth of the forward pass). Within 1e-6 of libm (tested).
#[inline]
pub fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = x2 * -2.726_142_3e-10 + 2.770_681_4e-8;
    for c in [
        -2.101_024e-6,
        -5.692_506_4e-5,
        -7.349_906_3e-4,
        -2.954_6e-3,
        -1.609_603_3e-2,
    ] {
        p = x2 * p + c;
    }
    let mut q = x2 * -1.456_607_2e-5 - 2.133_740_6e-4;
    for c in [-1.682_827e-3, -7.373_329e-3, -1.426_474e-2] {
        q = x2 * q + c;
    }
    x * p / q
}

/// Keys and values inside rows of a projection buffer: row `i`'s key starts at
/// `i * stride + k`, its value at `i * stride + v`.
struct KeyValues<'a> {
    data: &'a [f32],
    stride: usize,
    k: usize,
    v: usize,
}

/// One dense layer computing the given layers' outputs side by side (one matrix product
/// instead of several).
pub(crate) fn concat_outputs(parts: &[&Dense]) -> Dense {
    let n_in = parts[0].n_in;
    let mut w = Vec::new();
    for r in 0..n_in {
        for p in parts {
            w.extend_from_slice(&p.w[r * p.n_out..][..p.n_out]);
        }
    }
    Dense {
        w,
        b: parts.iter().flat_map(|p| p.b.iter().copied()).collect(),
        n_in,
        n_out: parts.iter().map(|p| p.n_out).sum(),
    }
}
