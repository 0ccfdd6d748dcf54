//! FINEST's simulated perturbations: every fine-tuning epoch, a fresh random share (1%) of the
//! training rows is perturbed with one kind drawn uniformly among deletion, replacement by the
//! least popular item and insertion of it. Positions whose interaction is not in the data the
//! model was first trained on (replaced or inserted rows) lose their row id, so the
//! rank-preserving regularizer skips them.
//!
//! Which interactions are hit is keyed by the interaction itself (its data row, or user, item and
//! time for inserted ones), not by its position in the list: two fine-tunings on data that differ
//! by one real perturbation (FINEST-A on the original, FINEST-B on the perturbed log) then see the
//! same simulated perturbations, instead of picks shifted by one row after a deletion.
//!
//! The split is rebuilt from the edited event list in O(events) with flat buffers (no per-user
//! allocations), a small share of an epoch (measured by `trustrec audit --stabilize`).

use rand::Rng;
use trustrec_data::Split;

use crate::perturb::{Chosen, ItemChoice, ItemPicker, Kind, apply, stream};
use crate::protocol::{Event, ProtocolData};

/// The split for fine-tuning epoch `epoch` and the kind that was drawn.
pub fn simulated_split(
    data: &ProtocolData,
    base: &[Event],
    fraction: f64,
    seed: u64,
    epoch: usize,
) -> anyhow::Result<(Split, Kind)> {
    let mut rng = stream(seed ^ 0x5EED_F1E5, 16 + epoch as u64);
    let kind = [Kind::Deletion, Kind::Replacement, Kind::Insertion][rng.gen_range(0..3)];
    let salt: u64 = rng.r#gen();
    let mut train: Vec<(u64, u32)> = (0..base.len() as u32)
        .filter(|&i| !base[i as usize].test)
        .map(|i| (identity_key(&base[i as usize], salt), i))
        .collect();
    let n = ((fraction * train.len() as f64).round() as usize).min(train.len());
    if n < train.len() {
        train.select_nth_unstable(n);
    }
    let mut picked: Vec<u32> = train[..n].iter().map(|&(_, i)| i).collect();
    picked.sort_unstable();
    let mut items = ItemPicker::new(data, ItemChoice::LeastPopular, seed);
    let chosen: Vec<Chosen> = picked
        .iter()
        .map(|&i| {
            let e = base[i as usize];
            let new = (kind != Kind::Deletion).then(|| items.pick(e.item));
            Chosen {
                row: e.row.unwrap_or(u32::MAX),
                user: String::new(),
                item: String::new(),
                timestamp: e.time,
                score: None,
                new_item: None,
                event: i,
                new_item_id: new,
            }
        })
        .collect();
    let mut events = apply(base, &chosen, kind);
    if kind == Kind::Replacement {
        // A replaced interaction no longer exists in the training data: no regularizer there.
        for (e, b) in events.iter_mut().zip(base) {
            if e.item != b.item {
                e.row = None;
            }
        }
    }
    Ok((data.split_of(&events)?, kind))
}

/// A pseudo-random key of an interaction's identity (independent of its list position).
fn identity_key(e: &Event, salt: u64) -> u64 {
    let id = match e.row {
        Some(r) => r as u64,
        None => {
            (1 << 63) ^ ((e.user as u64) << 32) ^ e.item as u64 ^ e.time.to_bits().rotate_left(17)
        }
    };
    splitmix(id ^ salt)
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
