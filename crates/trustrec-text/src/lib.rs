//! Text for trustrec: the all-MiniLM-L6-v2 sentence encoder (BERT, 6 layers) run in burn from
//! its safetensors and tokenizer.json, mean pooling over real tokens, L2 normalisation; batched,
//! multi-threaded, with an on-disk cache keyed by text hash.

pub mod cache;
pub mod encoder;
pub mod minilm;

pub use encoder::{SentenceEncoder, models_dir};
pub use minilm::MiniLm;
