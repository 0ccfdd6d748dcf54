//! Perturbations of training interactions: which rows (random or CASPER) and what happens to
//! them (deletion, replacement, insertion). Everything random comes from ChaCha8 streams of the
//! one seed, so (seed, method, kind, budget) reproduce a perturbation exactly.

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use anyhow::{bail, ensure};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::casper::{self, CasperOptions, Graph};
use crate::protocol::{Event, ProtocolData};

/// What happens to a chosen training interaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Deletion,
    /// The row's item becomes another item (see [`ItemChoice`]).
    Replacement,
    /// A new interaction of the same user, same timestamp, placed just before the row.
    Insertion,
}

/// How rows are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Uniformly among training rows, without repetition.
    Random,
    /// The roots with the largest cascading scores.
    Casper,
}

/// The item a replacement or insertion puts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemChoice {
    /// Uniform over the item space, never the row's own item.
    Random,
    /// The item with the fewest training interactions (ties: lowest id), or the next one when
    /// the row already holds it.
    LeastPopular,
}

/// How many rows: a count, or a fraction of the training rows (rounded, at least 1 when > 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Budget {
    Count(usize),
    Fraction(f64),
}

macro_rules! name_parse {
    ($t:ty, $what:literal, $($name:literal => $v:expr),+) => {
        impl FromStr for $t {
            type Err = anyhow::Error;
            fn from_str(s: &str) -> anyhow::Result<Self> {
                match s {
                    $($name => Ok($v),)+
                    o => bail!("unknown {} '{o}' (expected {})", $what, [$($name),+].join(" | ")),
                }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let name = match self { $(v if *v == $v => $name,)+ _ => unreachable!() };
                f.write_str(name)
            }
        }
    };
}

name_parse!(Kind, "perturbation kind", "deletion" => Kind::Deletion,
    "replacement" => Kind::Replacement, "insertion" => Kind::Insertion);
name_parse!(Method, "perturbation method", "random" => Method::Random, "casper" => Method::Casper);
name_parse!(ItemChoice, "item choice", "random" => ItemChoice::Random,
    "least-popular" => ItemChoice::LeastPopular);

impl FromStr for Budget {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        let s = s.trim();
        if let Some(p) = s.strip_suffix('%') {
            let p: f64 = p
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("budget '{s}': expected N or P% (e.g. 10 or 0.1%)"))?;
            ensure!(
                (0.0..=100.0).contains(&p),
                "budget '{s}': percentage must be in [0, 100]"
            );
            return Ok(Budget::Fraction(p / 100.0));
        }
        s.parse()
            .map(Budget::Count)
            .map_err(|_| anyhow::anyhow!("budget '{s}': expected N or P% (e.g. 10 or 0.1%)"))
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Budget::Count(n) => write!(f, "{n}"),
            Budget::Fraction(p) => write!(f, "{}%", p * 100.0),
        }
    }
}

impl Budget {
    /// Number of rows out of `n_train`.
    pub fn resolve(&self, n_train: usize) -> anyhow::Result<usize> {
        let n = match *self {
            Budget::Count(n) => n,
            Budget::Fraction(p) if p > 0.0 => ((p * n_train as f64).round() as usize).max(1),
            Budget::Fraction(_) => 0,
        };
        ensure!(
            n <= n_train,
            "budget {self} exceeds the {n_train} training rows"
        );
        Ok(n)
    }
}

/// A full perturbation request.
#[derive(Clone, Debug)]
pub struct PerturbSpec {
    pub method: Method,
    pub kind: Kind,
    pub budget: Budget,
    pub item: ItemChoice,
    pub casper: CasperOptions,
    pub seed: u64,
}

/// One chosen row, as written to `perturbation.json` (ids as in the input file).
#[derive(Clone, Debug, Serialize)]
pub struct Chosen {
    pub row: u32,
    pub user: String,
    pub item: String,
    pub timestamp: f64,
    /// Cascading score (CASPER); `null` for random choice.
    pub score: Option<u32>,
    /// Item put in by a replacement or an insertion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_item: Option<String>,
    #[serde(skip)]
    pub event: u32,
    #[serde(skip)]
    pub new_item_id: Option<u32>,
}

/// Numbers about the dependency graph, for reports.
#[derive(Clone, Debug, Serialize)]
pub struct GraphStats {
    pub nodes: usize,
    pub edges: usize,
    pub roots: usize,
    pub build_seconds: f64,
    pub score_seconds: f64,
}

/// The outcome: chosen rows (best first) and the perturbed event list.
#[derive(Clone, Debug)]
pub struct Perturbation {
    pub chosen: Vec<Chosen>,
    pub kind: Kind,
    pub events: Vec<Event>,
    pub graph: Option<GraphStats>,
}

pub(crate) fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Chooses rows by `spec` and applies the perturbation to a copy of `data.events`.
pub fn perturb(data: &ProtocolData, spec: &PerturbSpec) -> anyhow::Result<Perturbation> {
    let train = data.train_indices();
    ensure!(!train.is_empty(), "there are no training interactions");
    let n = spec.budget.resolve(train.len())?;
    let (picked, graph): (Vec<(u32, Option<u32>)>, _) = match spec.method {
        Method::Random => {
            let mut rng = stream(spec.seed, 1);
            let idx = rand::seq::index::sample(&mut rng, train.len(), n);
            (idx.iter().map(|i| (train[i], None)).collect(), None)
        }
        Method::Casper => {
            let t = Instant::now();
            let g = Graph::build(data, &spec.casper);
            let build_seconds = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let score = casper::scores(&g);
            let score_seconds = t.elapsed().as_secs_f64();
            let top = casper::top_nodes(&score, n);
            if top.len() < n {
                tracing::warn!(
                    "the graph has only {} roots; perturbing those instead of {n}",
                    top.len()
                );
            }
            let stats = GraphStats {
                nodes: g.len(),
                edges: g.n_edges(),
                roots: g.roots().count(),
                build_seconds,
                score_seconds,
            };
            let picked = top
                .iter()
                .map(|&(v, s)| (g.nodes[v as usize], Some(s)))
                .collect();
            (picked, Some(stats))
        }
    };
    let mut items = ItemPicker::new(data, spec.item, spec.seed);
    let chosen = picked
        .into_iter()
        .map(|(event, score)| {
            let e = data.events[event as usize];
            let new = (spec.kind != Kind::Deletion).then(|| items.pick(e.item));
            Chosen {
                row: e.row.expect("original events carry their row"),
                user: data.user_ids.original(e.user).to_string(),
                item: data.item_ids.original(e.item).to_string(),
                timestamp: e.time,
                score,
                new_item: new.map(|i| data.item_ids.original(i).to_string()),
                event,
                new_item_id: new,
            }
        })
        .collect::<Vec<_>>();
    let events = apply(&data.events, &chosen, spec.kind);
    Ok(Perturbation {
        chosen,
        kind: spec.kind,
        events,
        graph,
    })
}

/// The edited event list: chosen rows deleted, re-itemed, or preceded by an inserted copy.
pub fn apply(events: &[Event], chosen: &[Chosen], kind: Kind) -> Vec<Event> {
    let mut edit = vec![None; events.len()];
    for c in chosen {
        edit[c.event as usize] = Some(c.new_item_id);
    }
    let mut out = Vec::with_capacity(events.len() + chosen.len());
    for (e, ed) in events.iter().zip(&edit) {
        match (ed, kind) {
            (None, _) => out.push(*e),
            (Some(_), Kind::Deletion) => {}
            (Some(new), Kind::Replacement) => out.push(Event {
                item: new.expect("replacement item"),
                ..*e
            }),
            (Some(new), Kind::Insertion) => {
                out.push(Event {
                    row: None,
                    item: new.expect("insertion item"),
                    ..*e
                });
                out.push(*e);
            }
        }
    }
    out
}

/// Draws replacement / insertion items.
pub(crate) struct ItemPicker {
    choice: ItemChoice,
    rng: ChaCha8Rng,
    n_items: u32,
    /// The two least popular items among those with training interactions.
    least: [u32; 2],
}

impl ItemPicker {
    pub(crate) fn new(data: &ProtocolData, choice: ItemChoice, seed: u64) -> Self {
        let counts = data.train_item_counts();
        let mut by_pop: Vec<u32> = (0..counts.len() as u32)
            .filter(|&i| counts[i as usize] > 0)
            .collect();
        by_pop.sort_by_key(|&i| (counts[i as usize], i));
        let first = by_pop.first().copied().unwrap_or(0);
        Self {
            choice,
            rng: stream(seed, 2),
            n_items: data.n_items() as u32,
            least: [first, by_pop.get(1).copied().unwrap_or(first)],
        }
    }

    pub(crate) fn pick(&mut self, current: u32) -> u32 {
        match self.choice {
            ItemChoice::LeastPopular if self.least[0] == current => self.least[1],
            ItemChoice::LeastPopular => self.least[0],
            ItemChoice::Random if self.n_items < 2 => current,
            ItemChoice::Random => {
                // Uniform over the other n - 1 items.
                let r = self.rng.gen_range(0..self.n_items - 1);
                if r >= current { r + 1 } else { r }
            }
        }
    }
}
