//! Average overlap (what the CASPER paper calls "RBO").

use super::eval_depth;
use super::marks::overlap_curve;

/// Average overlap `AO = (1/D) Σ_{d=1..D} |a[..d] ∩ b[..d]| / d`, over the
/// longer list by default (`depth` is clamped to it). O(D) via a seen-marker
/// array rather than re-intersecting every prefix.
///
/// This is the unweighted top-heavy measure the CASPER paper reports as
/// "RBO"; for true rank-biased overlap use [`super::rbo`].
pub fn average_overlap(a: &[u32], b: &[u32], depth: Option<usize>) -> f64 {
    let d = eval_depth(a, b, depth);
    if d == 0 {
        return if a.is_empty() == b.is_empty() {
            1.0
        } else {
            0.0
        };
    }
    let sum: f64 = overlap_curve(a, b, d)
        .iter()
        .enumerate()
        .map(|(i, &x)| x as f64 / (i + 1) as f64)
        .sum();
    sum / d as f64
}
