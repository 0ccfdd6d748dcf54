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
        let device = Device::Cpu;
        let model = ModelWeights::from_gguf(ct, &mut file, &device)
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        Ok(Self {
            model,
            tokenizer,
            device,
            end,
            max_context: 2048,
        })
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
