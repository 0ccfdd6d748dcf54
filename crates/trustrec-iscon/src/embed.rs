//! Node embeddings (step 2) by DeepWalk: uniform random walks on the bipartite multigraph and
//! skip-gram with negative sampling (negatives ~ degree^0.75, as the spec's GraphSAGE loss).
//! This is the spec's accepted "node2vec-style" alternative to GraphSAGE ([`crate::sage`]).
//!
//! Determinism: each node's walks use their own ChaCha8 stream `(seed, node)`, so the walks are
//! the same for any thread count; the SGD pass is single-threaded in a seeded order.
//!
//! Sessions are embedded inductively as the L2-normalised mean of their items' vectors, so
//! every session (graph part or not) lives in the same space and a validation or test session
//! never needs to be a graph node.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::graph::Bipartite;
use crate::sessions::IsconData;

/// Skip-gram settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmbedConfig {
    pub dim: usize,
    pub walks_per_node: usize,
    pub walk_len: usize,
    pub window: usize,
    pub negatives: usize,
    pub lr: f32,
    pub epochs: usize,
}

impl Default for EmbedConfig {
    fn default() -> Self {
        Self {
            dim: 64,
            walks_per_node: 5,
            walk_len: 10,
            window: 3,
            negatives: 5,
            lr: 0.025,
            epochs: 1,
        }
    }
}

/// `per_node` uniform random walks of `len` nodes from every node with at least one edge.
pub fn random_walks(g: &Bipartite, per_node: usize, len: usize, seed: u64) -> Vec<Vec<u32>> {
    (0..g.n_nodes())
        .into_par_iter()
        .filter(|&v| g.degree(v) > 0)
        .flat_map_iter(|v| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(v as u64 + 1);
            (0..per_node)
                .map(|_| {
                    let mut walk = vec![v as u32];
                    let mut cur = v;
                    while walk.len() < len {
                        let nb = g.neighbours_of(cur);
                        cur = nb[rng.gen_range(0..nb.len())] as usize;
                        walk.push(cur as u32);
                    }
                    walk
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Cumulative negative-sampling table over nodes, weight degree^0.75.
pub(crate) fn negative_cdf(g: &Bipartite) -> Vec<f64> {
    let mut acc = 0.0;
    (0..g.n_nodes())
        .map(|v| {
            acc += (g.degree(v) as f64).powf(0.75);
            acc
        })
        .collect()
}

pub(crate) fn sample(cdf: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let total = *cdf.last().unwrap_or(&0.0);
    let x = rng.r#gen::<f64>() * total;
    cdf.partition_point(|&c| c <= x).min(cdf.len() - 1)
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-10.0, 10.0)).exp())
}

/// Trains skip-gram node vectors (row-major, `n_nodes x dim`); isolated nodes keep their
/// small random initial vector.
pub fn skip_gram(g: &Bipartite, cfg: &EmbedConfig, seed: u64) -> anyhow::Result<Vec<f32>> {
    anyhow::ensure!(
        cfg.dim > 0 && cfg.walk_len >= 2 && cfg.window >= 1 && cfg.epochs >= 1,
        "embedding needs dim > 0, walk_len >= 2, window >= 1, epochs >= 1"
    );
    anyhow::ensure!(g.n_edges() > 0, "the session-item graph has no edges");
    let (n, d) = (g.n_nodes(), cfg.dim);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut input: Vec<f32> = (0..n * d)
        .map(|_| (rng.r#gen::<f32>() - 0.5) / d as f32)
        .collect();
    let mut output = vec![0f32; n * d];
    let cdf = negative_cdf(g);
    let mut walks = random_walks(g, cfg.walks_per_node, cfg.walk_len, seed);
    let total = (walks.len() * cfg.epochs).max(1) as f32;
    let mut grad = vec![0f32; d];
    let mut done = 0usize;
    for _ in 0..cfg.epochs {
        walks.shuffle(&mut rng);
        for walk in &walks {
            let lr = (cfg.lr * (1.0 - done as f32 / total)).max(cfg.lr * 1e-4);
            done += 1;
            for (p, &center) in walk.iter().enumerate() {
                let lo = p.saturating_sub(cfg.window);
                let hi = (p + cfg.window + 1).min(walk.len());
                for (q, &ctx) in walk.iter().enumerate().take(hi).skip(lo) {
                    if q == p {
                        continue;
                    }
                    let c = center as usize * d;
                    grad.iter_mut().for_each(|x| *x = 0.0);
                    for neg in 0..=cfg.negatives {
                        let (target, label) = if neg == 0 {
                            (ctx as usize, 1.0)
                        } else {
                            (sample(&cdf, &mut rng), 0.0)
                        };
                        let o = target * d;
                        let dot: f32 = (0..d).map(|j| input[c + j] * output[o + j]).sum();
                        let gcoef = (label - sigmoid(dot)) * lr;
                        for j in 0..d {
                            grad[j] += gcoef * output[o + j];
                            output[o + j] += gcoef * input[c + j];
                        }
                    }
                    for j in 0..d {
                        input[c + j] += grad[j];
                    }
                }
            }
        }
    }
    Ok(input)
}

fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Item vectors (`n_items x dim`, L2-normalised) from the node vectors.
pub fn item_vectors(g: &Bipartite, nodes: &[f32], dim: usize) -> Vec<f32> {
    let mut items = nodes[g.n_sessions * dim..].to_vec();
    items.chunks_mut(dim).for_each(normalise);
    items
}

/// Session vectors (`n_sessions x dim`): the L2-normalised mean of the session's item vectors.
pub fn session_vectors(d: &IsconData, items: &[f32], dim: usize) -> Vec<f32> {
    let mut out = vec![0f32; d.sessions.len() * dim];
    out.par_chunks_mut(dim)
        .zip(d.sessions.par_iter())
        .for_each(|(row, s)| {
            for &it in &d.items[s.start..s.start + s.len] {
                let v = &items[it as usize * dim..(it as usize + 1) * dim];
                row.iter_mut().zip(v).for_each(|(a, b)| *a += b);
            }
            normalise(row);
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_communities() -> Bipartite {
        // Sessions 0-3 use items {0, 1}; sessions 4-7 use items {2, 3}.
        let mut edges = Vec::new();
        for s in 0..8u32 {
            let base = if s < 4 { 0 } else { 2 };
            edges.push((s, base));
            edges.push((s, base + 1));
        }
        Bipartite::from_edges(8, 4, edges.into_iter())
    }

    #[test]
    fn walks_follow_edges_and_are_seeded() {
        let g = two_communities();
        let cfg = EmbedConfig::default();
        let w = random_walks(&g, cfg.walks_per_node, cfg.walk_len, 7);
        assert_eq!(w.len(), 12 * cfg.walks_per_node);
        for walk in &w {
            assert_eq!(walk.len(), cfg.walk_len);
            for p in walk.windows(2) {
                assert!(g.neighbours_of(p[0] as usize).contains(&p[1]));
            }
        }
        assert_eq!(w, random_walks(&g, cfg.walks_per_node, cfg.walk_len, 7));
        assert_ne!(w, random_walks(&g, cfg.walks_per_node, cfg.walk_len, 8));
    }

    #[test]
    fn items_of_one_community_end_up_closer() {
        let g = two_communities();
        let cfg = EmbedConfig {
            dim: 8,
            walks_per_node: 40,
            epochs: 3,
            ..Default::default()
        };
        let nodes = skip_gram(&g, &cfg, 1).unwrap();
        assert_eq!(nodes, skip_gram(&g, &cfg, 1).unwrap());
        let items = item_vectors(&g, &nodes, 8);
        let cos = |a: usize, b: usize| -> f32 {
            (0..8).map(|j| items[a * 8 + j] * items[b * 8 + j]).sum()
        };
        assert!(
            cos(0, 1) > cos(0, 2) + 0.2,
            "{} vs {}",
            cos(0, 1),
            cos(0, 2)
        );
        assert!(cos(2, 3) > cos(1, 3) + 0.2);
    }
}
