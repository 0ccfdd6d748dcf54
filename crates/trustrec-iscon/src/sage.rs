//! Node embeddings (step 2) by unsupervised GraphSAGE, set up as the original ISCON runs it
//! through StellarGraph: a node's features are the one-hot of its degree, two mean-aggregator
//! layers (ReLU, then linear; each outputs `[W_self h_v | W_neigh mean_u h_u] + b`) over 10 and
//! then 5 neighbours sampled with replacement, L2-normalised outputs, and a link loss: one
//! uniform walk of 5 nodes from every node, its head paired with the other 4 (label 1) and with
//! as many nodes drawn ~ degree^0.75 (label 0), binary cross-entropy on the inner product,
//! Adam 1e-3, 256 pairs per batch, one epoch.
//!
//! A one-hot row times a weight matrix is one row of that matrix, so the first layer's weights
//! are tables indexed by degree. The weights are trained on the graph of the users' first 90%
//! (`G_train`) and applied to the graph of every interaction (`G_all`), so validation and test
//! sessions are embedded from their own neighbourhoods, as in the original.
//!
//! The features carry structure (degrees), not identity: nodes whose sampled neighbourhoods
//! have the same degrees get the same vector (tested).
//!
//! Determinism: weights are drawn from burn's seeded generator under the RNG lock, and walks,
//! negatives, pair order and neighbour samples from seeded ChaCha8 streams on one thread.

use burn::module::{Module, Param};
use burn::nn::{Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig};
use burn::optim::GradientsParams;
use burn::tensor::activation::{log_sigmoid, relu};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use trustrec_models::ops::{l2_normalise, to_vec};
use trustrec_models::{TrainConfig, optimizer, rng_guard};

use crate::embed::{negative_cdf, random_walks, sample};
use crate::graph::Bipartite;

/// GraphSAGE settings (original: width 128, samples 10 and 5, walks of 5, batch 256, Adam 1e-3,
/// one epoch).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SageConfig {
    /// Output width of both layers; even, split between the self and neighbour halves.
    pub dim: usize,
    /// Neighbours sampled at hop 1 and, for each of those, at hop 2.
    pub samples: [usize; 2],
    pub walk_len: usize,
    /// Node pairs per batch (positives and negatives together).
    pub batch: usize,
    pub lr: f64,
    pub epochs: usize,
}

impl Default for SageConfig {
    fn default() -> Self {
        Self {
            dim: 64,
            samples: [10, 5],
            walk_len: 5,
            batch: 256,
            lr: 1e-3,
            epochs: 1,
        }
    }
}

impl SageConfig {
    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.dim >= 2 && self.dim.is_multiple_of(2),
            "GraphSAGE width must be even and >= 2, got {}",
            self.dim
        );
        anyhow::ensure!(
            self.samples.iter().all(|&k| k >= 1),
            "GraphSAGE needs >= 1 sampled neighbour per hop"
        );
        anyhow::ensure!(
            self.walk_len >= 2,
            "GraphSAGE walks need >= 2 nodes to make a pair"
        );
        anyhow::ensure!(
            self.batch >= 1 && self.epochs >= 1,
            "GraphSAGE batch and epochs must be >= 1"
        );
        anyhow::ensure!(
            self.lr > 0.0 && self.lr.is_finite(),
            "GraphSAGE learning rate must be > 0"
        );
        Ok(())
    }
}

/// The two mean-aggregator layers.
#[derive(Module, Debug)]
pub struct Sage {
    /// Layer 1 on one-hot degree features: `W_self` and `W_neigh` as tables indexed by degree.
    self1: Embedding,
    neigh1: Embedding,
    bias1: Param<Tensor<1>>,
    self2: Linear,
    neigh2: Linear,
    bias2: Param<Tensor<1>>,
}

impl Sage {
    /// `n_features` = largest degree + 1 (feature 0 is an isolated node).
    pub fn new(n_features: usize, dim: usize, device: &Device) -> Self {
        let h = dim / 2;
        // Glorot uniform over the one-hot input width, as Keras draws the original's weights.
        let a = (6.0 / (n_features + h) as f64).sqrt();
        let table = || {
            EmbeddingConfig::new(n_features, h)
                .with_initializer(Initializer::Uniform { min: -a, max: a })
                .init(device)
        };
        let linear = || {
            LinearConfig::new(dim, h)
                .with_bias(false)
                .with_initializer(Initializer::XavierUniform { gain: 1.0 })
                .init(device)
        };
        Self {
            self1: table(),
            neigh1: table(),
            bias1: Param::from_tensor(Tensor::zeros([dim], device)),
            self2: linear(),
            neigh2: linear(),
            bias2: Param::from_tensor(Tensor::zeros([dim], device)),
        }
    }

    /// `relu([self1[own] | mask * mean_k neigh1[hood]] + bias1)` for `[n]` nodes with `[n, k]`
    /// sampled neighbours.
    fn layer1(&self, own: &[i64], hood: &[i64], mask: &[f32], device: &Device) -> Tensor<2> {
        let n = own.len();
        let k = hood.len() / n;
        let h = self.self1.weight.dims()[1];
        let own = self
            .self1
            .forward(ints(own, [n, 1], device))
            .reshape([n, h]);
        let mean = self
            .neigh1
            .forward(ints(hood, [n, k], device))
            .mean_dim(1)
            .reshape([n, h]);
        let mean = mean * floats(mask, [n, 1], device).expand([n, h]);
        relu(Tensor::cat(vec![own, mean], 1) + self.bias1.val().unsqueeze_dim(0))
    }

    /// L2-normalised `[n, dim]` embeddings of the sampled neighbourhoods' centres.
    pub fn forward(&self, x: &Hood, device: &Device) -> Tensor<2> {
        let n = x.own.len();
        let k1 = x.hop1.len() / n;
        let h0 = self.layer1(&x.own, &x.hop1, &x.mask0, device);
        let h1 = self.layer1(&x.hop1, &x.hop2, &x.mask1, device);
        let dim = h1.dims()[1];
        let mean = h1.reshape([n, k1, dim]).mean_dim(1).reshape([n, dim]);
        let mean = mean * floats(&x.mask0, [n, 1], device).expand([n, dim]);
        let out = Tensor::cat(vec![self.self2.forward(h0), self.neigh2.forward(mean)], 1)
            + self.bias2.val().unsqueeze_dim(0);
        l2_normalise(out)
    }
}

fn ints(v: &[i64], shape: [usize; 2], device: &Device) -> Tensor<2, Int> {
    Tensor::from_data(TensorData::new(v.to_vec(), shape), device)
}

fn floats(v: &[f32], shape: [usize; 2], device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(v.to_vec(), shape), device)
}

/// Degree features of a batch of nodes and of their sampled 2-hop neighbourhoods.
pub struct Hood {
    /// `[n]`, `[n * k1]`, `[n * k1 * k2]` feature ids (degrees).
    pub own: Vec<i64>,
    pub hop1: Vec<i64>,
    pub hop2: Vec<i64>,
    /// 1 where the node at hop 0 (`[n]`) / hop 1 (`[n * k1]`) has neighbours; an isolated
    /// node's neighbour mean is 0, as StellarGraph's zero-feature padding gives.
    pub mask0: Vec<f32>,
    pub mask1: Vec<f32>,
}

impl Hood {
    /// Samples `k[0]` neighbours of every node and `k[1]` of each of those, with replacement
    /// (a repeated edge counts twice).
    pub fn sample(
        g: &Bipartite,
        features: &[i64],
        nodes: &[u32],
        k: [usize; 2],
        rng: &mut ChaCha8Rng,
    ) -> Self {
        // An isolated node stands in for its own missing neighbours (masked out below).
        let mut pick = |v: usize| -> usize {
            let nb = g.neighbours_of(v);
            if nb.is_empty() {
                v
            } else {
                nb[rng.gen_range(0..nb.len())] as usize
            }
        };
        let has_neighbours = |v: usize| if g.degree(v) > 0 { 1.0 } else { 0.0 };
        let n = nodes.len();
        let mut x = Self {
            own: Vec::with_capacity(n),
            hop1: Vec::with_capacity(n * k[0]),
            hop2: Vec::with_capacity(n * k[0] * k[1]),
            mask0: Vec::with_capacity(n),
            mask1: Vec::with_capacity(n * k[0]),
        };
        for &v in nodes {
            let v = v as usize;
            x.own.push(features[v]);
            x.mask0.push(has_neighbours(v));
            for _ in 0..k[0] {
                let u = pick(v);
                x.hop1.push(features[u]);
                x.mask1.push(has_neighbours(u));
                for _ in 0..k[1] {
                    x.hop2.push(features[pick(u)]);
                }
            }
        }
        x
    }
}

/// Each node's degree, clipped to `cap` (the feature width - 1).
pub fn degree_features(g: &Bipartite, cap: usize) -> Vec<i64> {
    (0..g.n_nodes())
        .map(|v| g.degree(v).min(cap) as i64)
        .collect()
}

/// `(head, other, label)` pairs of one epoch: every walk's head with each later node of the
/// walk (1) and with as many nodes drawn ~ degree^0.75 (0), shuffled.
fn pairs(g: &Bipartite, cfg: &SageConfig, rng: &mut ChaCha8Rng) -> Vec<(u32, u32, f32)> {
    let cdf = negative_cdf(g);
    let walks = random_walks(g, 1, cfg.walk_len, rng.r#gen());
    let mut out = Vec::with_capacity(walks.len() * (cfg.walk_len - 1) * 2);
    for w in &walks {
        for &ctx in &w[1..] {
            out.push((w[0], ctx, 1.0));
        }
    }
    let positives = out.len();
    for p in 0..positives {
        let head = out[p].0;
        out.push((head, sample(&cdf, rng) as u32, 0.0));
    }
    out.shuffle(rng);
    out
}

/// Mean link loss of a batch of pairs: binary cross-entropy of `sigmoid(z_a · z_b)`.
fn link_loss(z: Tensor<2>, labels: &[f32], device: &Device) -> Tensor<1> {
    let n = labels.len();
    let dim = z.dims()[1];
    let a = z.clone().slice([0..n, 0..dim]);
    let b = z.slice([n..2 * n, 0..dim]);
    let logit = (a * b).sum_dim(1);
    let y = floats(labels, [n, 1], device);
    let ll =
        y.clone() * log_sigmoid(logit.clone()) + y.neg().add_scalar(1.0) * log_sigmoid(logit.neg());
    ll.mean().neg()
}

/// [`link_loss`] of a batch of pairs, each end embedded from a fresh neighbourhood sample.
fn batch_loss(
    net: &Sage,
    g: &Bipartite,
    features: &[i64],
    batch: &[(u32, u32, f32)],
    samples: [usize; 2],
    rng: &mut ChaCha8Rng,
    device: &Device,
) -> Tensor<1> {
    let heads = batch.iter().map(|p| p.0);
    let nodes: Vec<u32> = heads.chain(batch.iter().map(|p| p.1)).collect();
    let labels: Vec<f32> = batch.iter().map(|p| p.2).collect();
    let hood = Hood::sample(g, features, &nodes, samples, rng);
    link_loss(net.forward(&hood, device), &labels, device)
}

/// A trained GraphSAGE and its mean training loss per epoch.
pub struct Trained {
    pub net: Sage,
    pub epoch_loss: Vec<f64>,
}

/// Trains GraphSAGE on `g` (features: `features[v]`, `n_features` wide) on the autodiff version
/// of `device`; returns the plain network.
pub fn train(
    g: &Bipartite,
    features: &[i64],
    n_features: usize,
    cfg: &SageConfig,
    seed: u64,
    device: &Device,
) -> anyhow::Result<Trained> {
    cfg.validate()?;
    anyhow::ensure!(g.n_edges() > 0, "the session-item graph has no edges");
    let _guard = rng_guard();
    let ad = device.clone().autodiff();
    ad.seed(seed);
    let mut net = Sage::new(n_features, cfg.dim, &ad);
    let mut optim = optimizer(&TrainConfig::default());
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5A6E_0000_0000_0001);
    let mut epoch_loss = Vec::with_capacity(cfg.epochs);
    for epoch in 0..cfg.epochs {
        let (mut total, mut count) = (0.0, 0usize);
        for batch in pairs(g, cfg, &mut rng).chunks(cfg.batch) {
            let _graph = trustrec_models::autodiff::exclusive();
            let loss = batch_loss(&net, g, features, batch, cfg.samples, &mut rng, &ad);
            let value: f64 = loss.clone().into_scalar::<f64>();
            anyhow::ensure!(
                value.is_finite(),
                "GraphSAGE loss became {value} at epoch {epoch}"
            );
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(cfg.lr, net, grads);
            total += value * batch.len() as f64;
            count += batch.len();
        }
        epoch_loss.push(total / count.max(1) as f64);
        tracing::info!("GraphSAGE epoch {epoch}: loss {:.4}", epoch_loss[epoch]);
    }
    Ok(Trained {
        net: net.valid(),
        epoch_loss,
    })
}

/// Embeddings (`n_nodes x dim`, row-major, L2-normalised) of every node of `g`, in chunks.
pub fn embed(
    net: &Sage,
    g: &Bipartite,
    features: &[i64],
    k: [usize; 2],
    seed: u64,
    device: &Device,
) -> anyhow::Result<Vec<f32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5A6E_0000_0000_0002);
    let nodes: Vec<u32> = (0..g.n_nodes() as u32).collect();
    let mut out = Vec::new();
    for chunk in nodes.chunks(1024) {
        let hood = Hood::sample(g, features, chunk, k, &mut rng);
        out.extend(to_vec(net.forward(&hood, device))?);
    }
    Ok(out)
}

/// Session vectors (`n_sessions x dim`) and item vectors (`n_items x dim`) of `all`'s nodes by
/// a GraphSAGE trained on the training graph (the same node numbering), and the training losses.
pub struct Embedded {
    pub sessions: Vec<f32>,
    pub items: Vec<f32>,
    pub epoch_loss: Vec<f64>,
}

/// Trains on `graph`, embeds every node of `all`; features are degrees in the graph at hand,
/// one-hot up to `all`'s largest degree (as the original).
pub fn embed_graph(
    graph: &Bipartite,
    all: &Bipartite,
    cfg: &SageConfig,
    seed: u64,
    device: &Device,
) -> anyhow::Result<Embedded> {
    anyhow::ensure!(
        graph.n_sessions == all.n_sessions && graph.n_items == all.n_items,
        "training and full graphs must number their nodes alike"
    );
    let cap = (0..all.n_nodes()).map(|v| all.degree(v)).max().unwrap_or(0);
    let trained = train(
        graph,
        &degree_features(graph, cap),
        cap + 1,
        cfg,
        seed,
        device,
    )?;
    let nodes = embed(
        &trained.net,
        all,
        &degree_features(all, cap),
        cfg.samples,
        seed,
        device,
    )?;
    let split = all.n_sessions * cfg.dim;
    Ok(Embedded {
        sessions: nodes[..split].to_vec(),
        items: nodes[split..].to_vec(),
        epoch_loss: trained.epoch_loss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustrec_models::autodiff::GradCensus;

    fn device() -> Device {
        trustrec_models::device(trustrec_models::DEFAULT_BACKEND).unwrap()
    }

    /// Sessions 0-3 use items {0, 1}, sessions 4-7 items {2, 3}: every session has degree 2,
    /// every item degree 4, so any sample of a node's neighbourhood has the same degrees.
    fn regular() -> Bipartite {
        let edges = (0..8u32).flat_map(|s| {
            let base = if s < 4 { 0 } else { 2 };
            [(s, base), (s, base + 1)]
        });
        Bipartite::from_edges(8, 4, edges.collect::<Vec<_>>().into_iter())
    }

    /// Community A: 6 sessions of 2 items over {0, 1}; community B: 4 sessions of 3 items over
    /// {2, 3, 4}. Items of A have degree 6, of B degree 4; sessions 2 and 3.
    fn two_kinds() -> Bipartite {
        let mut edges = Vec::new();
        for s in 0..6u32 {
            edges.extend([(s, 0), (s, 1)]);
        }
        for s in 6..10u32 {
            edges.extend([(s, 2), (s, 3), (s, 4)]);
        }
        Bipartite::from_edges(10, 5, edges.into_iter())
    }

    fn vals<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        to_vec(t).unwrap()
    }

    #[test]
    fn forward_matches_hand_computation() {
        let dev = device();
        let g = regular();
        let feats = degree_features(&g, 4);
        let net = {
            let _guard = rng_guard();
            dev.seed(3);
            Sage::new(5, 6, &dev)
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let z = vals(net.forward(&Hood::sample(&g, &feats, &[0, 8], [3, 2], &mut rng), &dev));
        // By hand: h1(v) = relu([S1[deg v] | N1[deg of its neighbours]] + b1);
        // out(v) = normalise([h1(v) W2s | h1(neighbour) W2n] + b2).
        let (s1, n1) = (vals(net.self1.weight.val()), vals(net.neigh1.weight.val()));
        let (w2s, w2n) = (vals(net.self2.weight.val()), vals(net.neigh2.weight.val()));
        let h1 = |own: usize, nb: usize| -> Vec<f32> {
            let mut v: Vec<f32> = s1[own * 3..own * 3 + 3].to_vec();
            v.extend_from_slice(&n1[nb * 3..nb * 3 + 3]);
            v.iter().map(|x| x.max(0.0)).collect() // biases start at 0
        };
        let times = |x: &[f32], w: &[f32]| -> Vec<f32> {
            (0..3)
                .map(|j| (0..6).map(|i| x[i] * w[i * 3 + j]).sum())
                .collect()
        };
        for (row, (own, nb)) in [(2, 4), (4, 2)].into_iter().enumerate() {
            let mut out = times(&h1(own, nb), &w2s);
            out.extend(times(&h1(nb, own), &w2n));
            let norm = out.iter().map(|x| x * x).sum::<f32>().sqrt();
            for j in 0..6 {
                let want = out[j] / norm;
                assert!((z[row * 6 + j] - want).abs() < 1e-5, "{row} {j}");
            }
        }
    }

    #[test]
    fn structurally_equal_nodes_get_equal_vectors() {
        let dev = device();
        let g = regular();
        let cfg = SageConfig {
            dim: 8,
            ..Default::default()
        };
        let e = embed_graph(&g, &g, &cfg, 5, &dev).unwrap();
        for s in 1..8 {
            for j in 0..8 {
                assert!((e.sessions[s * 8 + j] - e.sessions[j]).abs() < 1e-6);
            }
        }
        for i in 1..4 {
            for j in 0..8 {
                assert!((e.items[i * 8 + j] - e.items[j]).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn every_parameter_gets_a_gradient() {
        let _guard = rng_guard();
        let ad = device().autodiff();
        ad.seed(2);
        let g = two_kinds();
        let feats = degree_features(&g, 6);
        let net = Sage::new(7, 8, &ad);
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let batch = pairs(&g, &SageConfig::default(), &mut rng);
        let _graph = trustrec_models::autodiff::exclusive();
        let loss = batch_loss(&net, &g, &feats, &batch, [10, 5], &mut rng, &ad);
        assert_eq!(GradCensus::count(&net, loss.backward()), (6, 0));
    }

    #[test]
    fn pairs_are_walk_neighbours_and_degree_drawn_negatives() {
        let g = two_kinds();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let p = pairs(&g, &SageConfig::default(), &mut rng);
        // 15 nodes, one walk of 5 each: 4 positives and 4 negatives per walk.
        assert_eq!(p.len(), 15 * 8);
        assert_eq!(p.iter().filter(|x| x.2 == 1.0).count(), 60);
        // A positive lies within 4 steps of its head: in this graph, in the same community.
        let community = |v: u32| if v < 10 { v < 6 } else { v < 12 };
        assert!(
            p.iter()
                .filter(|x| x.2 == 1.0)
                .all(|x| community(x.0) == community(x.1))
        );
    }

    #[test]
    fn training_lowers_the_loss_separates_pairs_and_is_seeded() {
        let dev = device();
        let g = two_kinds();
        let cfg = SageConfig {
            dim: 8,
            lr: 1e-2,
            epochs: 30,
            batch: 32,
            ..Default::default()
        };
        let e = embed_graph(&g, &g, &cfg, 1, &dev).unwrap();
        let first = e.epoch_loss[..5].iter().sum::<f64>();
        let last = e.epoch_loss[25..].iter().sum::<f64>();
        assert!(last < first * 0.9, "{first} -> {last}");
        // Sessions end up closer to their own community's items than to the other's (walks
        // never leave a community; the untrained net has no reason to prefer either).
        let cos = |s: usize, i: usize| -> f32 {
            (0..8)
                .map(|j| e.sessions[s * 8 + j] * e.items[i * 8 + j])
                .sum()
        };
        assert!(
            cos(0, 0) > cos(0, 2) + 0.1,
            "{} vs {}",
            cos(0, 0),
            cos(0, 2)
        );
        assert!(
            cos(6, 2) > cos(6, 0) + 0.1,
            "{} vs {}",
            cos(6, 2),
            cos(6, 0)
        );
        let again = embed_graph(&g, &g, &cfg, 1, &dev).unwrap();
        assert_eq!(
            (e.sessions.clone(), e.items.clone()),
            (again.sessions, again.items)
        );
        let other = embed_graph(&g, &g, &cfg, 2, &dev).unwrap();
        assert_ne!(e.items, other.items);
    }

    #[test]
    fn bad_settings_are_refused_by_name() {
        let g = two_kinds();
        let bad = SageConfig {
            dim: 7,
            ..Default::default()
        };
        let err = embed_graph(&g, &g, &bad, 1, &device()).err().unwrap();
        assert!(err.to_string().contains("width must be even"), "{err}");
    }
}
