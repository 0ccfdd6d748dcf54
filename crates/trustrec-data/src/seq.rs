//! Per-user time-ordered sequences in flat buffers, and gap-based sessionization.

use crate::{IdMap, InteractionLog};

/// One time-sorted sequence per user id (index = dense user id), stored flat:
/// sequence `u` is `items[offsets[u]..offsets[u + 1]]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sequences {
    /// `n_users + 1` offsets into the flat buffers.
    pub offsets: Vec<usize>,
    pub items: Vec<u32>,
    pub times: Vec<f64>,
    /// Source data row of each entry (see [`InteractionLog::rows`]).
    pub rows: Vec<u32>,
}

/// Stable counting sort by key: `members[offsets[k]..offsets[k + 1]]` are the positions (in
/// iteration order) whose key is `k`. O(n + n_keys); the one grouping primitive behind user
/// sequences, perturbed splits and CASPER's chains.
pub fn group_by_key(
    keys: impl Iterator<Item = u32> + Clone,
    n_keys: usize,
) -> (Vec<usize>, Vec<u32>) {
    let mut offsets = vec![0usize; n_keys + 1];
    for k in keys.clone() {
        offsets[k as usize + 1] += 1;
    }
    for k in 0..n_keys {
        offsets[k + 1] += offsets[k];
    }
    let mut cursor = offsets.clone();
    let mut members = vec![0u32; offsets[n_keys]];
    for (pos, k) in keys.enumerate() {
        members[cursor[k as usize]] = pos as u32;
        cursor[k as usize] += 1;
    }
    (offsets, members)
}

/// Interaction indices grouped by user, each group stably sorted by time (ties keep file order).
pub(crate) fn user_order(log: &InteractionLog) -> (Vec<usize>, Vec<u32>) {
    let (offsets, mut order) = group_by_key(log.users.iter().copied(), log.n_users());
    let t = &log.times;
    for w in offsets.windows(2) {
        let seg = &mut order[w[0]..w[1]];
        if !seg.is_sorted_by(|&a, &b| t[a as usize] <= t[b as usize]) {
            // `sort_by` is stable, so equal times keep file order.
            seg.sort_by(|&a, &b| t[a as usize].total_cmp(&t[b as usize]));
        }
    }
    (offsets, order)
}

impl Sequences {
    /// Groups `log` by user and sorts each group by time (stable).
    pub fn from_log(log: &InteractionLog) -> Sequences {
        let (offsets, order) = user_order(log);
        let pick = |i: &u32| *i as usize;
        Sequences {
            items: order.iter().map(|i| log.items[pick(i)]).collect(),
            times: order.iter().map(|i| log.times[pick(i)]).collect(),
            rows: order.iter().map(|i| log.rows[pick(i)]).collect(),
            offsets,
        }
    }

    /// Number of sequences (users).
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// True when there are no sequences.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Length of sequence `u`.
    pub fn len_of(&self, u: usize) -> usize {
        self.offsets[u + 1] - self.offsets[u]
    }

    /// Items of sequence `u` in time order.
    pub fn items_of(&self, u: usize) -> &[u32] {
        &self.items[self.offsets[u]..self.offsets[u + 1]]
    }

    /// Times of sequence `u` (non-decreasing).
    pub fn times_of(&self, u: usize) -> &[f64] {
        &self.times[self.offsets[u]..self.offsets[u + 1]]
    }

    /// Source rows of sequence `u`.
    pub fn rows_of(&self, u: usize) -> &[u32] {
        &self.rows[self.offsets[u]..self.offsets[u + 1]]
    }
}

/// Splits each user's time-sorted interactions into sessions wherever two consecutive times
/// differ by more than `gap_seconds`. The result's users are sessions named `<user>#<k>`
/// (`k` = 0-based session index within the user), numbered in order of first appearance in the
/// file; items, times and rows are unchanged and stay in file order.
pub fn sessionize_by_gap(log: &InteractionLog, gap_seconds: f64) -> InteractionLog {
    let (offsets, order) = user_order(log);
    // Session index within its user, per interaction.
    let mut k_of = vec![0u32; log.len()];
    let mut base = vec![0usize; log.n_users() + 1];
    for (u, w) in offsets.windows(2).enumerate() {
        let mut k = 0u32;
        let mut prev = f64::NEG_INFINITY;
        for (j, &idx) in order[w[0]..w[1]].iter().enumerate() {
            let t = log.times[idx as usize];
            if j > 0 && t - prev > gap_seconds {
                k += 1;
            }
            prev = t;
            k_of[idx as usize] = k;
        }
        base[u + 1] = base[u] + if w[1] > w[0] { k as usize + 1 } else { 0 };
    }
    drop(order);
    let mut dense = vec![u32::MAX; base[log.n_users()]];
    let mut user_ids = IdMap::new();
    let users = log
        .users
        .iter()
        .zip(&k_of)
        .map(|(&u, &k)| {
            let g = base[u as usize] + k as usize;
            if dense[g] == u32::MAX {
                dense[g] = user_ids.get_or_insert(&format!("{}#{k}", log.user_ids.original(u)));
            }
            dense[g]
        })
        .collect();
    InteractionLog {
        users,
        items: log.items.clone(),
        times: log.times.clone(),
        rows: log.rows.clone(),
        user_ids,
        item_ids: log.item_ids.clone(),
    }
}
