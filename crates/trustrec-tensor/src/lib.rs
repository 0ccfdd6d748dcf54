//! Tensor completion for trustrec: sparse N-way tensors (COO) from `.npy` arrays, coordinate
//! files and interaction logs; neural completion models (CoSTCo-style and MLP) and CP-ALS; and
//! DAIN, influence-guided data augmentation (Oh et al., CIKM 2021), with its baselines.
//!
//! Specification: `shared/specs/tensor-completion.md`.

pub mod augment;
pub mod coords;
pub mod cp;
pub mod fit;
pub mod logs;
pub mod net;
pub mod npy;
pub mod sparse;
pub mod split;

pub use augment::{Aggregate, Augment, AugmentConfig, Importance};
pub use fit::{FitConfig, Fitted, ModelKind};
pub use sparse::SparseTensor;
pub use split::CellSplit;
