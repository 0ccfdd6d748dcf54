//! Seen-markers over item ids, giving O(D) overlap counting.

use std::collections::HashMap;

/// Flag bit: id seen in the first list.
pub(super) const A: u8 = 1;
/// Flag bit: id seen in the second list.
pub(super) const B: u8 = 2;

/// Per-id flags. Dense ids (the normal case) use a flat array; very sparse
/// ids fall back to a hash map so a stray huge id cannot force a giant
/// allocation.
pub(super) enum Marks {
    Dense(Vec<u8>),
    Sparse(HashMap<u32, u8>),
}

impl Marks {
    pub(super) fn for_lists(a: &[u32], b: &[u32]) -> Self {
        let len = a.len() + b.len();
        match a.iter().chain(b).max() {
            Some(&max) if (max as usize) <= 16 * len + 4096 => {
                Marks::Dense(vec![0; max as usize + 1])
            }
            Some(_) => Marks::Sparse(HashMap::with_capacity(len)),
            None => Marks::Dense(Vec::new()),
        }
    }

    /// Sets `bit` on `id` and returns the flags as they were before.
    pub(super) fn set(&mut self, id: u32, bit: u8) -> u8 {
        let slot = match self {
            Marks::Dense(v) => &mut v[id as usize],
            Marks::Sparse(m) => m.entry(id).or_insert(0),
        };
        let prev = *slot;
        *slot |= bit;
        prev
    }
}

/// `X_d = |a[..d] ∩ b[..d]|` for d = 1..=depth (prefixes saturate at the
/// list ends), in one pass: each new id bumps the overlap iff the other
/// list has already shown it.
pub(super) fn overlap_curve(a: &[u32], b: &[u32], depth: usize) -> Vec<usize> {
    let (a, b) = (&a[..depth.min(a.len())], &b[..depth.min(b.len())]);
    let mut marks = Marks::for_lists(a, b);
    let mut overlap = 0;
    let mut step = |id: u32, own: u8, other: u8| {
        let prev = marks.set(id, own);
        usize::from(prev & own == 0 && prev & other != 0)
    };
    (0..depth)
        .map(|i| {
            if let Some(&x) = a.get(i) {
                overlap += step(x, A, B);
            }
            if let Some(&y) = b.get(i) {
                overlap += step(y, B, A);
            }
            overlap
        })
        .collect()
}
