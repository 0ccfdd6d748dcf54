//! Count-based filters. Each returns a new log in file order with dense ids re-compacted (in
//! order of first appearance among the kept rows); original ids and `rows` are preserved, and
//! ids that no longer occur (including catalog-only items) are dropped — use
//! [`crate::ItemCatalog::reindex`] to follow the new item ids.

use crate::seq::user_order;
use crate::{IdMap, InteractionLog};

fn counts(ids: &[u32], n: usize, keep: &[bool]) -> Vec<usize> {
    let mut c = vec![0usize; n];
    for (&id, &k) in ids.iter().zip(keep) {
        if k {
            c[id as usize] += 1;
        }
    }
    c
}

/// One pass: keeps interactions whose user has `>= min_user` and item `>= min_item`
/// interactions in the input (counts are not recomputed after removal).
pub fn filter_min_count(log: &InteractionLog, min_user: usize, min_item: usize) -> InteractionLog {
    let all = vec![true; log.len()];
    let uc = counts(&log.users, log.n_users(), &all);
    let ic = counts(&log.items, log.n_items(), &all);
    let keep: Vec<bool> = log
        .users
        .iter()
        .zip(&log.items)
        .map(|(&u, &i)| uc[u as usize] >= min_user && ic[i as usize] >= min_item)
        .collect();
    compact(log, &keep)
}

/// Repeats the min-count filter until nothing changes, so every remaining user has
/// `>= k_user` and every remaining item `>= k_item` interactions.
pub fn filter_k_core(log: &InteractionLog, k_user: usize, k_item: usize) -> InteractionLog {
    let mut keep = vec![true; log.len()];
    loop {
        let uc = counts(&log.users, log.n_users(), &keep);
        let ic = counts(&log.items, log.n_items(), &keep);
        let mut changed = false;
        for (idx, k) in keep.iter_mut().enumerate() {
            if *k && (uc[log.users[idx] as usize] < k_user || ic[log.items[idx] as usize] < k_item)
            {
                *k = false;
                changed = true;
            }
        }
        if !changed {
            return compact(log, &keep);
        }
    }
}

/// Drops an interaction when the same user's previous interaction (in time order) has the same
/// item, e.g. page reloads in click logs; ids are re-compacted like the other filters.
pub fn dedup_consecutive(log: &InteractionLog) -> InteractionLog {
    let (offsets, order) = user_order(log);
    let mut keep = vec![true; log.len()];
    for w in offsets.windows(2) {
        for pair in order[w[0]..w[1]].windows(2) {
            if log.items[pair[0] as usize] == log.items[pair[1] as usize] {
                keep[pair[1] as usize] = false;
            }
        }
    }
    compact(log, &keep)
}

/// The kept rows with ids renumbered by first appearance.
fn compact(log: &InteractionLog, keep: &[bool]) -> InteractionLog {
    let mut out = InteractionLog::default();
    let mut user_map = vec![u32::MAX; log.n_users()];
    let mut item_map = vec![u32::MAX; log.n_items()];
    let remap = |map: &mut Vec<u32>, ids: &mut IdMap, from: &IdMap, id: u32| {
        let slot = &mut map[id as usize];
        if *slot == u32::MAX {
            *slot = ids.get_or_insert(from.original(id));
        }
        *slot
    };
    for idx in (0..log.len()).filter(|&i| keep[i]) {
        let u = remap(
            &mut user_map,
            &mut out.user_ids,
            &log.user_ids,
            log.users[idx],
        );
        let i = remap(
            &mut item_map,
            &mut out.item_ids,
            &log.item_ids,
            log.items[idx],
        );
        out.push(u, i, log.times[idx], log.rows[idx]);
    }
    out
}
