//! Jaccard similarity of two top-k sets.

use super::marks::{A, B, Marks};

/// `|topk(a) ∩ topk(b)| / |topk(a) ∪ topk(b)|`, ignoring order within the
/// top k. Lists shorter than `k` contribute all their items.
pub fn jaccard_at_k(a: &[u32], b: &[u32], k: usize) -> f64 {
    let (a, b) = (&a[..k.min(a.len())], &b[..k.min(b.len())]);
    let mut marks = Marks::for_lists(a, b);
    let (mut na, mut nb, mut inter) = (0usize, 0usize, 0usize);
    for &x in a {
        na += usize::from(marks.set(x, A) & A == 0);
    }
    for &y in b {
        let prev = marks.set(y, B);
        if prev & B == 0 {
            nb += 1;
            inter += usize::from(prev & A != 0);
        }
    }
    let union = na + nb - inter;
    if union == 0 {
        return 1.0;
    }
    inter as f64 / union as f64
}
