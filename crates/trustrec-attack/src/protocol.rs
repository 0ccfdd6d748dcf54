//! Which items are attacked and which they compete with (seeded).

use anyhow::ensure;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Targets (attacked items) and candidates (targets + a share of the other items).
#[derive(Clone, Debug, PartialEq)]
pub struct Protocol {
    pub targets: Vec<u32>,
    /// Sorted; contains every target.
    pub candidates: Vec<u32>,
}

/// `target_share` of `items` as targets, uniformly with `seed`; candidates = targets +
/// `other_share` of the remaining items (the paper's 1% and 10%).
pub fn choose_protocol(
    items: &[u32],
    target_share: f64,
    other_share: f64,
    seed: u64,
) -> anyhow::Result<Protocol> {
    ensure!(
        target_share > 0.0 && target_share < 1.0 && other_share > 0.0 && other_share <= 1.0,
        "target share must be in (0, 1) and candidate share in (0, 1]"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7A26_E75E);
    let mut pool = items.to_vec();
    pool.sort_unstable();
    pool.dedup();
    pool.shuffle(&mut rng);
    let n_t = ((pool.len() as f64 * target_share).round() as usize).max(1);
    ensure!(
        n_t < pool.len(),
        "{} items are too few to attack {n_t}",
        pool.len()
    );
    let rest = pool.split_off(n_t);
    let mut targets = pool;
    let n_o = ((rest.len() as f64 * other_share).round() as usize).max(1);
    let mut candidates: Vec<u32> = targets
        .iter()
        .copied()
        .chain(rest[..n_o].iter().copied())
        .collect();
    candidates.sort_unstable();
    targets.sort_unstable();
    Ok(Protocol {
        targets,
        candidates,
    })
}
