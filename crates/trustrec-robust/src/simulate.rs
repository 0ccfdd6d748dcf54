//! FINEST's simulated perturbations: every fine-tuning epoch, a fresh random share (1%) of the
//! training rows is perturbed with one kind drawn uniformly among deletion, replacement by the
//! least popular item and insertion of it. Positions whose interaction is not in the data the
//! model was first trained on (replaced or inserted rows) lose their row id, so the
//! rank-preserving regularizer skips them.
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
    let train: Vec<u32> = (0..base.len() as u32)
        .filter(|&i| !base[i as usize].test)
        .collect();
    let n = ((fraction * train.len() as f64).round() as usize).min(train.len());
    let mut items = ItemPicker::new(data, ItemChoice::LeastPopular, seed);
    let chosen: Vec<Chosen> = rand::seq::index::sample(&mut rng, train.len(), n)
        .iter()
        .map(|i| {
            let e = base[train[i] as usize];
            let new = (kind != Kind::Deletion).then(|| items.pick(e.item));
            Chosen {
                row: e.row.unwrap_or(u32::MAX),
                user: String::new(),
                item: String::new(),
                timestamp: e.time,
                score: None,
                new_item: None,
                event: train[i],
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
