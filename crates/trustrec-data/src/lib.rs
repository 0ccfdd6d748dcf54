//! Interaction logs, item catalogs, id maps, filters, sessions and leak-free splits.
//!
//! Everything is columnar (flat `Vec`s of integers and floats with offset arrays) so that tens
//! of millions of interactions fit in a few hundred MB, and every malformed input is reported as
//! a [`DataError`] naming file, line and column instead of panicking.

mod catalog;
mod error;
mod filter;
mod format;
mod idmap;
mod load;
mod log;
mod seq;
mod split;

pub use catalog::{AttributeField, ItemCatalog};
pub use error::{DataError, Problem};
pub use filter::{dedup_consecutive, filter_k_core, filter_min_count};
pub use format::Format;
pub use idmap::IdMap;
pub use load::{ColumnMap, LoadOptions, Loaded, SourceInfo, load, unescape_html};
pub use log::{InteractionLog, LogStats};
pub use seq::{Sequences, group_by_key, sessionize_by_gap};
pub use split::{Case, Split, SplitKind, check_leakage, split};
