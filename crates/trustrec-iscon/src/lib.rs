//! ISCON (Oh et al., CIKM 2022): implicit session contexts for next-item recommendation.
//!
//! Pipeline (see `shared/specs/session-models.md`): [`sessions`] applies the protocol,
//! [`graph`] + [`sage`] (GraphSAGE) or [`embed`] (DeepWalk) embed the session-item multigraph, [`kmeans`] turns training-session
//! embeddings into contexts, and [`nets`] + [`fit`] train the context predictor and the item
//! predictor (with and without contexts). [`pipeline::run_seed`] runs it all for one seed.

pub mod embed;
pub mod examples;
pub mod fit;
pub mod graph;
pub mod kmeans;
pub mod nets;
pub mod pipeline;
pub mod sage;
pub mod sessions;
pub mod tasks;

pub use pipeline::{IsconConfig, NodeEmbedding, SeedOutput, run_seed};
pub use sessions::{IsconData, ProtocolConfig, ProtocolStats, Role};
