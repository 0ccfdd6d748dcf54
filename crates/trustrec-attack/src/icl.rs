//! The in-context rewriting attack: prompt an instruction-tuned LLM with the original text, the
//! best rewrites found so far, and the instruction to keep the meaning; sample several rewrites
//! per round, keep those within the similarity floor and length bound, and keep the best of all
//! by the victim's average rank.

use serde::{Deserialize, Serialize};

use crate::search::{Encode, SearchOutcome, ToItem, better, score_rewrites};
use crate::victim::{Standing, Victim};

/// ICL settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IclConfig {
    pub rounds: usize,
    /// Completions sampled per round.
    pub samples: usize,
    /// Best rewrites so far shown in the prompt.
    pub examples: usize,
    pub max_new_tokens: usize,
    pub temperature: f64,
    pub min_similarity: f64,
    pub max_extra_words: usize,
}

impl Default for IclConfig {
    fn default() -> Self {
        Self {
            rounds: 2,
            samples: 4,
            examples: 3,
            max_new_tokens: 32,
            temperature: 0.8,
            min_similarity: 0.8,
            max_extra_words: 3,
        }
    }
}

/// `(system, user, seed) -> reply` of a chat model.
pub type Generate<'a> = dyn FnMut(&str, &str, u64) -> anyhow::Result<String> + 'a;

pub const SYSTEM: &str = "You rewrite product titles for an online store. Keep the meaning: the \
same product, platform and edition. Answer with the new title only.";

/// The user turn: the original, the best rewrites so far, the instruction.
pub fn prompt(original: &str, examples: &[&str]) -> String {
    let mut p = format!("Original title: {original}\n");
    if !examples.is_empty() {
        p.push_str("Rewrites that shoppers liked more, best first:\n");
        for e in examples {
            p.push_str(&format!("- {e}\n"));
        }
    }
    p.push_str("Write one new title for the same product that shoppers will like more. Answer with the title only.");
    p
}

/// First non-empty line of a reply, without list markers, a leading label ending in "title:"
/// (any case, e.g. "The new title:") and quotes.
pub fn clean(reply: &str) -> String {
    let line = reply
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut s = line.trim_start_matches(['-', '*', ' ']).trim();
    if let Some(at) = s.to_ascii_lowercase().find("title:") {
        s = s[at + "title:".len()..].trim();
    }
    s.trim_matches(|c| c == '"' || c == '\'' || c == '`')
        .trim()
        .to_string()
}

/// Runs the ICL attack on `item` (see the module doc). Deterministic for a seed.
#[allow(clippy::too_many_arguments)]
pub fn icl_target(
    item: u32,
    original: &str,
    victim: &Victim,
    cfg: &IclConfig,
    seed: u64,
    generate: &mut Generate,
    encode: &Encode,
    to_item: &ToItem,
) -> anyhow::Result<SearchOutcome> {
    let orig_vec = encode(&[original.to_string()])?;
    let own = victim
        .vector(item)
        .ok_or_else(|| anyhow::anyhow!("item {item} is not a candidate"))?;
    let before = victim.standing(item, own);
    let max_words = original.split_whitespace().count() + cfg.max_extra_words;
    // (standing, similarity, text) of every admissible rewrite, best first.
    let mut found: Vec<(Standing, f64, String)> = Vec::new();
    let (mut proposed, mut evaluated) = (0, 0);
    for round in 0..cfg.rounds {
        let examples: Vec<&str> = found
            .iter()
            .take(cfg.examples)
            .map(|f| f.2.as_str())
            .collect();
        let user = prompt(original, &examples);
        let mut texts = Vec::new();
        for s in 0..cfg.samples {
            let call_seed = seed ^ ((item as u64) << 20) ^ ((round * cfg.samples + s) as u64);
            let text = clean(&generate(SYSTEM, &user, call_seed)?);
            proposed += 1;
            let n = text.split_whitespace().count();
            if n > 0
                && n <= max_words
                && text != original
                && !texts.contains(&text)
                && found.iter().all(|f| f.2 != text)
            {
                texts.push(text);
            }
        }
        if texts.is_empty() {
            continue;
        }
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
        for (i, sim, s) in scored {
            found.push((s, sim, texts[i].clone()));
        }
        found.sort_by(|a, b| a.0.avg_rank.total_cmp(&b.0.avg_rank));
    }
    let (after, similarity, rewritten) = match found.first() {
        Some(f) if better(&f.0, &before) => f.clone(),
        _ => (before, 1.0, original.to_string()),
    };
    let lm_edits = usize::from(rewritten != original);
    Ok(SearchOutcome {
        item,
        original: original.to_string(),
        rewritten,
        before,
        after,
        similarity,
        edits: Vec::new(),
        evaluated,
        proposed,
        lm_proposed: proposed,
        lm_edits,
    })
}
