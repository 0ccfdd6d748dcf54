//! Rank-biased overlap, extrapolated (Webber, Moffat & Zobel 2010).

use super::eval_depth;
use super::marks::overlap_curve;
use crate::EvalError;

/// Extrapolated rank-biased overlap `RBO_ext` (Webber et al. 2010, eq. 32,
/// which handles lists of different lengths) with persistence `p`, with both
/// lists cut at `depth` (default: the full lists). O(D).
///
/// Returns NaN when `p` is not in (0, 1); use [`try_rbo`] to get an error.
pub fn rbo(a: &[u32], b: &[u32], p: f64, depth: Option<usize>) -> f64 {
    try_rbo(a, b, p, depth).unwrap_or(f64::NAN)
}

/// [`rbo`] that rejects `p` outside (0, 1).
///
/// Computed as `1 - deficit`, where every deficit term is
/// `weight * (1 - agreement)`: eq. 32's weights sum to exactly 1, so
/// identical lists give exactly 1.0 instead of 1 - ε; lists with no
/// overlap short-circuit to exactly 0.0.
pub fn try_rbo(a: &[u32], b: &[u32], p: f64, depth: Option<usize>) -> Result<f64, EvalError> {
    if !(p > 0.0 && p < 1.0) {
        return Err(EvalError::InvalidParameter {
            name: "p",
            value: p,
        });
    }
    let l = eval_depth(a, b, depth);
    let s = a.len().min(b.len()).min(l);
    if l == 0 {
        return Ok(if a.is_empty() == b.is_empty() {
            1.0
        } else {
            0.0
        });
    }
    let x = overlap_curve(a, b, l);
    if x[l - 1] == 0 {
        return Ok(0.0);
    }
    let x_s = x[s - 1] as f64;
    let s_f = s as f64;
    let mut deficit = 0.0;
    let mut p_d = 1.0;
    for (i, &x_d) in x.iter().enumerate() {
        let d = (i + 1) as f64;
        p_d *= p;
        let mut agree = x_d as f64 / d;
        if i + 1 > s {
            // Eq. 32's extrapolation: the short list's unseen tail is
            // assumed to agree at the rate observed at depth s.
            agree += x_s * (d - s_f) / (s_f * d);
        }
        deficit += (1.0 - agree) * p_d;
    }
    deficit *= (1.0 - p) / p;
    let tail = (x[l - 1] as f64 - x_s) / l as f64 + x_s / s_f;
    deficit += (1.0 - tail) * p_d;
    Ok((1.0 - deficit).clamp(0.0, 1.0))
}
