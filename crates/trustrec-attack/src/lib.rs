//! Text rewriting attacks on text-aware recommenders (ATR, CIKM 2024) and what a platform needs
//! to measure them: a victim view that ranks a target among candidates for many users in
//! O(log n) per user, a word-edit search attack under a semantic-similarity floor, and text
//! quality metrics (BLEU, length).
//!
//! Framework-free: the victim's item space and the sentence encoder come in as closures, so the
//! same search runs against any text-aware model.

pub mod bleu;
pub mod detect;
pub mod icl;
pub mod protocol;
pub mod search;
pub mod victim;

pub use icl::{IclConfig, icl_target};
pub use protocol::{Protocol, choose_protocol};
pub use search::{Edit, LmProposals, SearchConfig, SearchOutcome, Vocabulary, search_target};
pub use victim::Victim;
