//! The search attack: greedy word-level edits (substitute, insert, delete) of a target's text,
//! each round proposing edits with words from the catalogue vocabulary, keeping only rewrites
//! whose sentence vector stays within a cosine floor of the original and whose length stays
//! bounded, and taking the rewrite that lowers the target's average rank the most. Words come
//! from the catalogue vocabulary and, for a share of the proposals, from a language model's
//! likeliest next words at the edited position (read once per target from the original text,
//! then kept aligned with the edits, because a reading costs ~1.5 s on 2 cores).

use std::collections::{HashMap, HashSet};

use rand::distributions::{Distribution, WeightedIndex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::victim::{Standing, Victim};

/// Words the search may insert or substitute, with sampling weights.
pub struct Vocabulary {
    pub words: Vec<String>,
    dist: WeightedIndex<f64>,
}

impl Vocabulary {
    /// Whitespace tokens of `texts` seen at least `min_count` times, weighted by their count
    /// plus `boost` times their count in `favoured` (e.g. titles the victim already ranks
    /// high, whose words it associates with high scores).
    pub fn from_texts(
        texts: &[&str],
        favoured: &[&str],
        min_count: usize,
        boost: f64,
    ) -> anyhow::Result<Self> {
        let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
        for t in texts {
            for w in t.split_whitespace() {
                counts.entry(w).or_default().0 += 1;
            }
        }
        for t in favoured {
            for w in t.split_whitespace() {
                counts.entry(w).or_default().1 += 1;
            }
        }
        let mut words: Vec<(&str, f64)> = counts
            .into_iter()
            .filter(|(w, (n, _))| *n >= min_count && w.chars().any(char::is_alphanumeric))
            .map(|(w, (n, f))| (w, n as f64 + boost * f as f64))
            .collect();
        words.sort_by(|a, b| a.0.cmp(b.0));
        anyhow::ensure!(!words.is_empty(), "the vocabulary is empty");
        let dist = WeightedIndex::new(words.iter().map(|w| w.1))?;
        Ok(Self {
            words: words.into_iter().map(|w| w.0.to_string()).collect(),
            dist,
        })
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> &str {
        &self.words[self.dist.sample(rng)]
    }
}

/// Search settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchConfig {
    /// Rounds of edits (each accepted round changes one word).
    pub max_steps: usize,
    /// Rewrites proposed per round.
    pub proposals: usize,
    /// Minimum cosine between the sentence vectors of the original and the rewrite.
    pub min_similarity: f64,
    /// Words a rewrite may add to the original's length.
    pub max_extra_words: usize,
    /// Share of inserted / substituted words taken from the language model's proposals (when
    /// the search is given them); the rest come from the catalogue vocabulary.
    #[serde(default)]
    pub lm_share: f64,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self {
            max_steps: 6,
            proposals: 48,
            min_similarity: 0.8,
            max_extra_words: 3,
            lm_share: 0.5,
        }
    }
}

/// One word-level edit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Edit {
    Substitute { at: usize, word: String },
    Insert { at: usize, word: String },
    Delete { at: usize },
}

impl Edit {
    fn apply(&self, words: &[String]) -> Vec<String> {
        let mut w = words.to_vec();
        match self {
            Self::Substitute { at, word } => w[*at] = word.clone(),
            Self::Insert { at, word } => w.insert(*at, word.clone()),
            Self::Delete { at } => {
                w.remove(*at);
            }
        }
        w
    }
}

/// What the search did to one target.
#[derive(Clone, Debug, Serialize)]
pub struct SearchOutcome {
    pub item: u32,
    pub original: String,
    pub rewritten: String,
    pub before: Standing,
    pub after: Standing,
    /// Cosine of the sentence vectors of original and rewrite.
    pub similarity: f64,
    pub edits: Vec<Edit>,
    /// Rewrites scored by the victim (after the similarity and length filters).
    pub evaluated: usize,
    /// Rewrites proposed in total.
    pub proposed: usize,
    /// Proposals whose word came from the language model, and accepted edits among them.
    pub lm_proposed: usize,
    pub lm_edits: usize,
}

/// A lower average rank, ties broken by a higher mean score.
pub(crate) fn better(a: &Standing, b: &Standing) -> bool {
    a.avg_rank < b.avg_rank || (a.avg_rank == b.avg_rank && a.mean_score > b.mean_score)
}

/// The rewrites among `texts` whose sentence vector keeps `min_similarity` to the original's
/// (`orig_vec`), as `(index in texts, similarity, standing of item with that text)`: one
/// encoder batch and one item-vector batch per call.
#[allow(clippy::too_many_arguments)]
pub(crate) fn score_rewrites(
    item: u32,
    texts: &[String],
    orig_vec: &[f32],
    min_similarity: f64,
    victim: &Victim,
    encode: &Encode,
    to_item: &ToItem,
) -> anyhow::Result<Vec<(usize, f64, Standing)>> {
    let vecs = encode(texts)?;
    let mut keep = Vec::new();
    let mut kept_vecs = Vec::new();
    for (i, v) in vecs.chunks(orig_vec.len()).enumerate() {
        let sim: f64 = v
            .iter()
            .zip(orig_vec)
            .map(|(a, b)| *a as f64 * *b as f64)
            .sum();
        if sim >= min_similarity {
            keep.push((i, sim));
            kept_vecs.extend_from_slice(v);
        }
    }
    if keep.is_empty() {
        return Ok(Vec::new());
    }
    let items = to_item(&kept_vecs)?;
    let dim = items.len() / keep.len();
    Ok(keep
        .into_iter()
        .zip(items.chunks(dim))
        .map(|((i, sim), v)| (i, sim, victim.standing(item, v)))
        .collect())
}

/// Unit sentence vectors of texts (`[k, text_dim]`).
pub type Encode<'a> = dyn Fn(&[String]) -> anyhow::Result<Vec<f32>> + 'a;
/// The victim's item vectors for sentence vectors (`[k, text_dim]` -> `[k, dim]`).
pub type ToItem<'a> = dyn Fn(&[f32]) -> anyhow::Result<Vec<f32>> + 'a;

/// Per word position of a text (0 = before the first word, `n` = after the last), the words a
/// language model proposes there, kept aligned with the text as edits change it.
#[derive(Clone, Debug, Default)]
pub struct LmProposals(pub Vec<Vec<String>>);

impl LmProposals {
    fn at(&self, i: usize) -> &[String] {
        self.0.get(i).map_or(&[], Vec::as_slice)
    }

    /// Follows `edit`: an inserted word's successor keeps the list of the position it moved
    /// from, and a deleted word takes its successor's list with it (the successor's own
    /// prediction was made after the deleted word).
    fn follow(&mut self, edit: &Edit) {
        match *edit {
            Edit::Substitute { .. } => {}
            Edit::Insert { at, .. } => {
                let l = self.at(at).to_vec();
                self.0.insert(at.min(self.0.len()), l);
            }
            Edit::Delete { at } => {
                if at + 1 < self.0.len() {
                    self.0.remove(at + 1);
                }
            }
        }
    }
}

/// Greedy edit search on `item`'s text `original` (see the module doc); `lm` holds a language
/// model's proposals for the original text, if any. Deterministic for a seed.
#[allow(clippy::too_many_arguments)]
pub fn search_target(
    item: u32,
    original: &str,
    victim: &Victim,
    vocab: &Vocabulary,
    lm: Option<&LmProposals>,
    cfg: &SearchConfig,
    seed: u64,
    encode: &Encode,
    to_item: &ToItem,
) -> anyhow::Result<SearchOutcome> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (item as u64).wrapping_mul(0x9E37_79B9));
    let orig_vec = encode(&[original.to_string()])?;
    let own = victim
        .vector(item)
        .ok_or_else(|| anyhow::anyhow!("item {item} is not a candidate"))?;
    let before = victim.standing(item, own);
    let orig_words: Vec<String> = original.split_whitespace().map(str::to_string).collect();
    let max_len = orig_words.len() + cfg.max_extra_words;
    let mut words = orig_words.clone();
    let (mut best, mut best_sim) = (before, 1.0);
    let mut edits = Vec::new();
    let (mut evaluated, mut proposed) = (0, 0);
    let mut tried: HashSet<String> = HashSet::from([original.to_string()]);
    let mut lm = lm.cloned();
    let (mut lm_proposed, mut lm_edits) = (0, 0);
    for _ in 0..cfg.max_steps {
        // (edit, text, word from the LM)
        let mut props: Vec<(Edit, String, bool)> = Vec::new();
        for _ in 0..cfg.proposals * 3 {
            if props.len() == cfg.proposals {
                break;
            }
            let n = words.len();
            let op = rng.gen_range(0..3);
            let (edit, from_lm) = if op == 2 && n > 1 {
                let at = rng.gen_range(0..n);
                (Edit::Delete { at }, false)
            } else {
                let substitute = op == 0 && n > 0;
                if !substitute && n >= max_len {
                    continue;
                }
                let at = rng.gen_range(0..n + usize::from(!substitute));
                // Only a search given LM proposals here draws the extra coin, so one without
                // keeps its catalogue-only random stream.
                let list = lm.as_ref().map_or(&[][..], |l| l.at(at));
                let from_lm = !list.is_empty() && rng.gen_bool(cfg.lm_share.clamp(0.0, 1.0));
                let word = if from_lm {
                    list[rng.gen_range(0..list.len())].clone()
                } else {
                    vocab.sample(&mut rng).to_string()
                };
                let edit = if substitute {
                    Edit::Substitute { at, word }
                } else {
                    Edit::Insert { at, word }
                };
                (edit, from_lm)
            };
            let text = edit.apply(&words).join(" ");
            if tried.insert(text.clone()) {
                props.push((edit, text, from_lm));
            }
        }
        if props.is_empty() {
            break;
        }
        proposed += props.len();
        lm_proposed += props.iter().filter(|p| p.2).count();
        let texts: Vec<String> = props.iter().map(|p| p.1.clone()).collect();
        let scored = score_rewrites(
            item,
            &texts,
            &orig_vec,
            cfg.min_similarity,
            victim,
            encode,
            to_item,
        )?;
        evaluated += scored.len();
        let mut round: Option<(usize, f64, Standing)> = None;
        for (i, sim, s) in scored {
            if round.as_ref().is_none_or(|r| better(&s, &r.2)) {
                round = Some((i, sim, s));
            }
        }
        match round {
            Some((i, sim, s)) if better(&s, &best) => {
                words = props[i].0.apply(&words);
                if let Some(l) = lm.as_mut() {
                    l.follow(&props[i].0);
                }
                lm_edits += usize::from(props[i].2);
                edits.push(props[i].0.clone());
                best = s;
                best_sim = sim;
            }
            _ => {}
        }
    }
    Ok(SearchOutcome {
        item,
        original: original.to_string(),
        rewritten: words.join(" "),
        before,
        after: best,
        similarity: best_sim,
        edits,
        evaluated,
        proposed,
        lm_proposed,
        lm_edits,
    })
}
