//! CASPER's interaction-to-interaction dependency graph and its exact cascading scores.
//!
//! A training interaction influences the next one of the same user (it enters that one's input
//! window) and the next one on the same item (it moves that item's embedding first), and so on
//! transitively. The cascading score of a root (in-degree 0) is the number of interactions it
//! reaches, itself included; CASPER perturbs the roots with the largest scores.
//!
//! Edges always point forward in protocol (time) order, so node order is a topological order.
//! [`scores`] is exact and avoids one BFS per root: roots are processed 64 at a time as the
//! bits of one `u64`, masks are OR-ed forward in a single sweep, and per-bit reach counts are
//! kept in bit-sliced counters. Cost: O(roots / 64 * (V + E)) word operations, parallel over
//! root chunks, versus O(sum of reach sizes) for BFS.

use std::str::FromStr;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use trustrec_data::group_by_key;

use crate::protocol::ProtocolData;

const NONE: u32 = u32::MAX;

/// Which interactions are nodes and how chains are cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// CASPER's code: every training interaction is a node; per user and per item chain, only
    /// the last `window - 1` links (the rows inside the model's input window) are edges.
    Casper,
    /// FINEST's code: nodes are each user's last `window` training rows; consecutive rows of the
    /// full user and item chains are linked only when both ends are nodes (no bridging).
    Finest,
}

/// Which chains give edges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GraphKind {
    #[serde(rename = "user-item")]
    UserItem,
    #[serde(rename = "user")]
    User,
}

impl FromStr for Variant {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "casper" => Ok(Self::Casper),
            "finest" => Ok(Self::Finest),
            o => anyhow::bail!("unknown CASPER variant '{o}' (expected casper or finest)"),
        }
    }
}

impl FromStr for GraphKind {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "user-item" => Ok(Self::UserItem),
            "user" => Ok(Self::User),
            o => anyhow::bail!("unknown graph '{o}' (expected user-item or user)"),
        }
    }
}

/// Graph construction options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasperOptions {
    pub variant: Variant,
    pub graph: GraphKind,
    /// The model's input length (50 in the papers).
    pub window: usize,
}

impl Default for CasperOptions {
    fn default() -> Self {
        Self {
            variant: Variant::Casper,
            graph: GraphKind::UserItem,
            window: 50,
        }
    }
}

/// The dependency DAG; node `k` is `data.events[nodes[k]]` and nodes are in time order.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub nodes: Vec<u32>,
    /// Up to two successors (next in the user chain, next in the item chain); `u32::MAX` = none.
    pub next: Vec<[u32; 2]>,
    pub indeg: Vec<u32>,
}

impl Graph {
    /// Builds the graph over the training interactions of `data.events`.
    pub fn build(data: &ProtocolData, opts: &CasperOptions) -> Graph {
        let train = data.train_indices();
        let ev = |p: u32| &data.events[train[p as usize] as usize];
        let users = group_by_key((0..train.len() as u32).map(|p| ev(p).user), data.n_users());
        let items = group_by_key((0..train.len() as u32).map(|p| ev(p).item), data.n_items());
        let link = opts.window.saturating_sub(1);
        // Node id per training position (NONE = not a node).
        let mut node_of = vec![NONE; train.len()];
        match opts.variant {
            Variant::Casper => node_of
                .iter_mut()
                .enumerate()
                .for_each(|(p, n)| *n = p as u32),
            Variant::Finest => {
                for w in users.0.windows(2) {
                    let chain = &users.1[w[0]..w[1]];
                    for &p in &chain[chain.len().saturating_sub(opts.window)..] {
                        node_of[p as usize] = 0;
                    }
                }
                for (k, n) in node_of.iter_mut().filter(|n| **n == 0).enumerate() {
                    *n = k as u32;
                }
            }
        }
        let mut g = Graph::default();
        for (p, &n) in node_of.iter().enumerate() {
            if n != NONE {
                g.nodes.push(train[p]);
            }
        }
        g.next = vec![[NONE; 2]; g.nodes.len()];
        g.indeg = vec![0; g.nodes.len()];
        let mut families = vec![(0usize, &users)];
        if opts.graph == GraphKind::UserItem {
            families.push((1, &items));
        }
        for (slot, (offsets, members)) in families {
            for w in offsets.windows(2) {
                let chain = &members[w[0]..w[1]];
                let first = match opts.variant {
                    Variant::Casper => chain.len().saturating_sub(link),
                    Variant::Finest => 0,
                };
                for pair in chain[first.min(chain.len())..].windows(2) {
                    let (a, b) = (node_of[pair[0] as usize], node_of[pair[1] as usize]);
                    if a != NONE && b != NONE {
                        g.add_edge(slot, a, b);
                    }
                }
            }
        }
        g
    }

    fn add_edge(&mut self, slot: usize, a: u32, b: u32) {
        let other = self.next[a as usize][1 - slot];
        self.next[a as usize][slot] = b;
        if other != b {
            self.indeg[b as usize] += 1;
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn n_edges(&self) -> usize {
        self.next
            .iter()
            .map(|s| match s {
                [a, b] if a == b => usize::from(*a != NONE),
                [a, b] => usize::from(*a != NONE) + usize::from(*b != NONE),
            })
            .sum()
    }

    pub fn roots(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len() as u32).filter(|&v| self.indeg[v as usize] == 0)
    }

    fn successors(&self, v: usize) -> impl Iterator<Item = usize> + '_ {
        let [a, b] = self.next[v];
        [a, if b == a { NONE } else { b }]
            .into_iter()
            .filter(|&w| w != NONE)
            .map(|w| w as usize)
    }
}

/// Exact cascading score of every node: reach size for roots, 0 for other nodes.
pub fn scores(g: &Graph) -> Vec<u32> {
    let n = g.len();
    let mut score = vec![0u32; n];
    let mut deep = Vec::new();
    for r in g.roots() {
        match g.successors(r as usize).next() {
            None => score[r as usize] = 1,
            Some(_) => deep.push(r),
        }
    }
    let counted: Vec<Vec<(u32, u32)>> = deep
        .par_chunks(64)
        .map(|chunk| reach_counts(g, chunk))
        .collect();
    for (r, c) in counted.into_iter().flatten() {
        score[r as usize] = c;
    }
    score
}

/// Reach sizes of up to 64 roots (ascending) in one forward sweep.
fn reach_counts(g: &Graph, roots: &[u32]) -> Vec<(u32, u32)> {
    let start = roots[0] as usize;
    let mut mask = vec![0u64; g.len() - start];
    for (j, &r) in roots.iter().enumerate() {
        mask[r as usize - start] |= 1 << j;
    }
    // Bit-sliced counters: bit j of layers[l] is bit l of root j's count.
    let mut layers = [0u64; 32];
    let mut frontier = roots[roots.len() - 1] as usize;
    let mut v = start;
    while v <= frontier {
        let m = mask[v - start];
        if m != 0 {
            let mut carry = m;
            for layer in layers.iter_mut() {
                let c = *layer & carry;
                *layer ^= carry;
                carry = c;
                if carry == 0 {
                    break;
                }
            }
            for w in g.successors(v) {
                mask[w - start] |= m;
                frontier = frontier.max(w);
            }
        }
        v += 1;
    }
    roots
        .iter()
        .enumerate()
        .map(|(j, &r)| {
            let c = layers
                .iter()
                .enumerate()
                .map(|(l, &x)| (((x >> j) & 1) as u32) << l)
                .sum();
            (r, c)
        })
        .collect()
}

/// Reference implementation: one BFS per root (O(sum of reach sizes)); used to check
/// [`scores`] and to report the speed-up.
pub fn scores_bfs(g: &Graph) -> Vec<u32> {
    let n = g.len();
    let mut score = vec![0u32; n];
    let mut stamp = vec![u32::MAX; n];
    let mut stack = Vec::new();
    for r in g.roots() {
        let mut count = 0;
        stack.push(r as usize);
        stamp[r as usize] = r;
        while let Some(v) = stack.pop() {
            count += 1;
            for w in g.successors(v) {
                if stamp[w] != r {
                    stamp[w] = r;
                    stack.push(w);
                }
            }
        }
        score[r as usize] = count;
    }
    score
}

/// The `k` best nodes by score (ties: earlier node first), as `(node, score)`.
pub fn top_nodes(score: &[u32], k: usize) -> Vec<(u32, u32)> {
    let mut ranked: Vec<(u32, u32)> = score
        .iter()
        .enumerate()
        .filter(|&(_, &s)| s > 0)
        .map(|(v, &s)| (v as u32, s))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(k);
    ranked
}
