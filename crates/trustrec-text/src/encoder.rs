//! Texts to sentence vectors: tokenizer.json + [`MiniLm`], in length-sorted batches run in
//! parallel, with a progress bar, and a [`cache::EmbeddingCache`] so a text is encoded once.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use tokenizers::{Tokenizer, TruncationParams};

use crate::cache::EmbeddingCache;
use crate::minilm::MiniLm;

/// Where `../shared/scripts/get-models.sh` puts models: `$TRUSTREC_MODELS`, or
/// `~/.cache/trustrec/models`.
pub fn models_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("TRUSTREC_MODELS") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache/trustrec/models")
}

/// The all-MiniLM-L6-v2 sentence encoder.
pub struct SentenceEncoder {
    tokenizer: Tokenizer,
    model: MiniLm,
    /// Texts per forward pass.
    pub batch: usize,
}

/// Longest input in tokens, as sentence-transformers' `max_seq_length` for this model.
pub const MAX_TOKENS: usize = 256;

impl SentenceEncoder {
    /// Loads `dir` (holding model.safetensors and tokenizer.json). The shipped tokenizer pads
    /// every text to 128 tokens; padding is switched off and truncation set to [`MAX_TOKENS`].
    pub fn load(dir: &Path, device: &burn::tensor::Device) -> anyhow::Result<Self> {
        let tok_path = dir.join("tokenizer.json");
        let mut tokenizer =
            Tokenizer::from_file(&tok_path).map_err(|e| anyhow!("{}: {e}", tok_path.display()))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| anyhow!("{}: {e}", tok_path.display()))?;
        let model = MiniLm::load(dir, device)
            .with_context(|| format!("loading the sentence encoder from {}", dir.display()))?;
        Ok(Self {
            tokenizer,
            model,
            batch: 64,
        })
    }

    /// The vector width (384).
    pub fn dim(&self) -> usize {
        self.model.hidden
    }

    /// Token ids of `text` ([CLS] ... [SEP]).
    pub fn token_ids(&self, text: &str) -> anyhow::Result<Vec<u32>> {
        let enc = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| anyhow!("tokenising {text:?}: {e}"))?;
        Ok(enc.get_ids().to_vec())
    }

    /// One vector per text, `dim()` floats each, in the order of `texts`.
    pub fn encode(&self, texts: &[String]) -> anyhow::Result<Vec<f32>> {
        let ids: Vec<Vec<u32>> = texts
            .par_iter()
            .map(|t| self.token_ids(t))
            .collect::<anyhow::Result<_>>()?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let chunks: Vec<&[usize]> = order.chunks(self.batch.max(1)).collect();
        let bar = if texts.len() > 1000 {
            ProgressBar::new(texts.len() as u64)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("encoding texts {bar:40} {pos}/{len} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let parts: Vec<Vec<f32>> = chunks
            .par_iter()
            .map(|chunk| {
                let seqs: Vec<Vec<u32>> = chunk.iter().map(|&i| ids[i].clone()).collect();
                let v = self.model.embed(&seqs);
                bar.inc(chunk.len() as u64);
                v
            })
            .collect::<anyhow::Result<_>>()?;
        bar.finish_and_clear();
        let d = self.dim();
        let mut out = vec![0f32; texts.len() * d];
        for (chunk, vecs) in chunks.iter().zip(parts) {
            for (&i, v) in chunk.iter().zip(vecs.chunks(d)) {
                out[i * d..(i + 1) * d].copy_from_slice(v);
            }
        }
        Ok(out)
    }

    /// Like [`encode`](Self::encode), reading and extending `cache`.
    pub fn encode_cached(
        &self,
        texts: &[String],
        cache: &mut EmbeddingCache,
    ) -> anyhow::Result<Vec<f32>> {
        let d = self.dim();
        let missing: Vec<String> = {
            let mut seen = std::collections::HashSet::new();
            texts
                .iter()
                .filter(|t| cache.get(t).is_none() && seen.insert(t.as_str()))
                .cloned()
                .collect()
        };
        if !missing.is_empty() {
            let fresh = self.encode(&missing)?;
            for (t, v) in missing.iter().zip(fresh.chunks(d)) {
                cache.insert(t, v.to_vec());
            }
            cache.save()?;
        }
        let mut out = Vec::with_capacity(texts.len() * d);
        for t in texts {
            out.extend_from_slice(cache.get(t).context("a cached vector went missing")?);
        }
        Ok(out)
    }
}
