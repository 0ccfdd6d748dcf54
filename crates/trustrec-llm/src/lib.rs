//! A small instruction-tuned chat model (SmolLM2-135M-Instruct, GGUF 4-bit, llama architecture)
//! run on CPU through candle-transformers' quantized llama. The tokenizer is rebuilt from the
//! GGUF's own vocabulary and merges (byte-level BPE), so the one model file is all it needs.

use std::path::Path;

use anyhow::{Context, anyhow, ensure};
use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use candle_transformers::models::quantized_llama::ModelWeights;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::{AddedToken, Tokenizer};

/// A loaded chat model.
pub struct ChatLm {
    model: ModelWeights,
    tokenizer: Tokenizer,
    device: Device,
    end: u32,
    /// Per token id: the word it spells when it starts a word mid-sentence (`Ġword`) and when
    /// it starts the reply (`word`); `None` for pieces, punctuation and specials.
    after_space: Vec<Option<String>>,
    at_start: Vec<Option<String>>,
    /// Longest prompt + completion in tokens.
    pub max_context: usize,
}

fn strings(ct: &gguf_file::Content, key: &str) -> anyhow::Result<Vec<String>> {
    ct.metadata
        .get(key)
        .with_context(|| format!("the GGUF has no '{key}'"))?
        .to_vec()
        .map_err(|e| anyhow!("'{key}': {e}"))?
        .iter()
        .map(|v| v.to_string().cloned().map_err(|e| anyhow!("'{key}': {e}")))
        .collect()
}

impl ChatLm {
    /// Loads a GGUF chat model with a `gpt2` (byte-level BPE) tokenizer and ChatML turns.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let mut file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let ct = gguf_file::Content::read(&mut file)
            .map_err(|e| anyhow!("{}: not a GGUF file: {e}", path.display()))?;
        let tokens = strings(&ct, "tokenizer.ggml.tokens")?;
        let merges: Vec<(String, String)> = strings(&ct, "tokenizer.ggml.merges")?
            .into_iter()
            .filter_map(|m| {
                m.split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
            })
            .collect();
        let vocab: Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let bpe = BPE::builder()
            .vocab_and_merges(vocab.clone(), merges)
            .build()
            .map_err(|e| anyhow!("building the tokenizer: {e}"))?;
        let mut tokenizer = Tokenizer::new(bpe);
        tokenizer.with_pre_tokenizer(Some(ByteLevel::new(false, true, true)));
        tokenizer.with_decoder(Some(ByteLevelDecoder::default()));
        let special: Vec<AddedToken> = tokens
            .iter()
            .filter(|t| t.starts_with("<|") && t.ends_with("|>"))
            .map(|t| AddedToken::from(t.clone(), true))
            .collect();
        tokenizer.add_special_tokens(&special);
        let end = *vocab
            .get("<|im_end|>")
            .context("the vocabulary has no <|im_end|>")?;
        let word = |t: &str| {
            (t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
                .then(|| t.to_string())
        };
        let after_space = tokens
            .iter()
            .map(|t| t.strip_prefix('Ġ').and_then(word))
            .collect();
        let at_start = tokens.iter().map(|t| word(t)).collect();
        let device = Device::Cpu;
        let model = ModelWeights::from_gguf(ct, &mut file, &device)
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        Ok(Self {
            model,
            tokenizer,
            device,
            end,
            after_space,
            at_start,
            max_context: 2048,
        })
    }

    /// Reads `words` as the assistant's reply to `user` (system prompt `system`), one token at a
    /// time, and returns at every word boundary (before word 0, ..., after the last word) the
    /// `top_k` single-token words the model finds likeliest next, plus the mean negative
    /// log-likelihood per token of the words. Deterministic (no sampling). Batching texts does
    /// not help here: candle's CPU quantized matmul costs the same per row (measured).
    pub fn read(
        &mut self,
        system: &str,
        user: &str,
        words: &[String],
        top_k: usize,
    ) -> anyhow::Result<Reading> {
        let prompt = format!(
            "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
        );
        let ids = self.encode(&prompt)?;
        let mut pieces = Vec::with_capacity(words.len());
        for (j, w) in words.iter().enumerate() {
            pieces.push(self.encode(&if j == 0 { w.clone() } else { format!(" {w}") })?);
        }
        let total = ids.len() + pieces.iter().map(Vec::len).sum::<usize>();
        ensure!(
            total <= self.max_context,
            "the text has {total} tokens with its prompt; the limit is {}",
            self.max_context
        );
        let mut logits = self.logits(&ids, 0)?;
        let mut pos = ids.len();
        let mut next = Vec::with_capacity(words.len() + 1);
        let (mut nll, mut tokens) = (0.0f64, 0usize);
        for j in 0..=words.len() {
            let table = if j == 0 {
                &self.at_start
            } else {
                &self.after_space
            };
            next.push(top_words(&logits, table, top_k));
            let Some(piece) = pieces.get(j) else { break };
            for &tok in piece {
                nll -= log_softmax_at(&logits, tok as usize);
                tokens += 1;
                logits = self.logits(&[tok], pos)?;
                pos += 1;
            }
        }
        Ok(Reading {
            next,
            mean_nll: nll / tokens.max(1) as f64,
            tokens,
        })
    }

    /// Next-token logits after feeding `ids` at position `pos` (0 starts a new text).
    fn logits(&mut self, ids: &[u32], pos: usize) -> anyhow::Result<Vec<f32>> {
        let c = |e: candle_core::Error| anyhow!("reading: {e}");
        let x = Tensor::new(ids, &self.device)
            .and_then(|t| t.unsqueeze(0))
            .map_err(c)?;
        self.model
            .forward(&x, pos)
            .and_then(|l| l.squeeze(0)?.to_vec1())
            .map_err(c)
    }

    /// Token ids of `text` (special tokens such as `<|im_start|>` kept whole).
    pub fn encode(&self, text: &str) -> anyhow::Result<Vec<u32>> {
        Ok(self
            .tokenizer
            .encode(text, false)
            .map_err(|e| anyhow!("tokenising: {e}"))?
            .get_ids()
            .to_vec())
    }

    /// The assistant's reply to `user` after `system`, at most `max_new` tokens; temperature 0
    /// is greedy. Same seed, same reply.
    pub fn chat(
        &mut self,
        system: &str,
        user: &str,
        max_new: usize,
        temperature: f64,
        seed: u64,
    ) -> anyhow::Result<String> {
        let prompt = format!(
            "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
        );
        let ids = self.encode(&prompt)?;
        ensure!(
            ids.len() + max_new <= self.max_context,
            "the prompt has {} tokens; with {max_new} new ones that exceeds {}",
            ids.len(),
            self.max_context
        );
        let sampling = if temperature <= 0.0 {
            Sampling::ArgMax
        } else {
            Sampling::TopP {
                p: 0.9,
                temperature,
            }
        };
        let mut sampler = LogitsProcessor::from_sampling(seed, sampling);
        let c = |e: candle_core::Error| anyhow!("generation: {e}");
        let input = Tensor::new(ids.as_slice(), &self.device)
            .map_err(c)?
            .unsqueeze(0)
            .map_err(c)?;
        let mut logits = self
            .model
            .forward(&input, 0)
            .map_err(c)?
            .squeeze(0)
            .map_err(c)?;
        let mut out = Vec::new();
        for i in 0..max_new {
            let next = sampler.sample(&logits).map_err(c)?;
            if next == self.end {
                break;
            }
            out.push(next);
            let x = Tensor::new(&[next], &self.device)
                .map_err(c)?
                .unsqueeze(0)
                .map_err(c)?;
            logits = self
                .model
                .forward(&x, ids.len() + i)
                .map_err(c)?
                .squeeze(0)
                .map_err(c)?;
        }
        self.tokenizer
            .decode(&out, true)
            .map_err(|e| anyhow!("decoding: {e}"))
    }
}

/// What [`ChatLm::read`] saw in a text.
#[derive(Clone, Debug)]
pub struct Reading {
    /// `next[j]`: the likeliest single-token words to stand at word position `j`, best first.
    pub next: Vec<Vec<String>>,
    /// Mean negative log-likelihood (nats) per token of the text.
    pub mean_nll: f64,
    /// Tokens of the text (prompt excluded).
    pub tokens: usize,
}

/// The `k` highest-logit tokens that spell a word in `table`, as words, best first.
fn top_words(logits: &[f32], table: &[Option<String>], k: usize) -> Vec<String> {
    let mut ranked: Vec<(f32, &str)> = logits
        .iter()
        .zip(table)
        .filter_map(|(&l, w)| w.as_deref().map(|w| (l, w)))
        .collect();
    let k = k.min(ranked.len());
    if k == 0 {
        return Vec::new();
    }
    ranked.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
    ranked.truncate(k);
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    ranked.into_iter().map(|(_, w)| w.to_string()).collect()
}

/// `log softmax(logits)[i]`, computed stably in f64.
fn log_softmax_at(logits: &[f32], i: usize) -> f64 {
    let m = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let z: f64 = logits.iter().map(|&l| (l as f64 - m).exp()).sum();
    logits[i] as f64 - m - z.ln()
}
