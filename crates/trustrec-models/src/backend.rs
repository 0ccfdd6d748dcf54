//! The one place that chooses the compute backend.
//!
//! burn 0.22 selects the backend at run time through its `Device`, so the "one type alias" of the
//! design is this enum plus [`DEFAULT_BACKEND`]: switching backends for the whole toolkit is a
//! one-line change here, and users can still override it with `--backend`.

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

/// Compute backends trustrec can train on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// burn's `flex` CPU backend (successor of ndarray).
    Flex,
    /// burn's ndarray CPU backend (deprecated in burn 0.22, removed in 0.23).
    NdArray,
    /// CUDA GPUs (needs the `cuda` cargo feature).
    Cuda,
}

/// The backend used when none is requested. Chosen by `trustrec bench backends` (docs/design.md).
pub const DEFAULT_BACKEND: BackendKind = BackendKind::Flex;

impl Default for BackendKind {
    fn default() -> Self {
        DEFAULT_BACKEND
    }
}

impl FromStr for BackendKind {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "flex" => Ok(Self::Flex),
            "ndarray" => Ok(Self::NdArray),
            "cuda" => Ok(Self::Cuda),
            other => anyhow::bail!("unknown backend '{other}' (expected flex, ndarray or cuda)"),
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Flex => "flex",
            Self::NdArray => "ndarray",
            Self::Cuda => "cuda",
        })
    }
}

/// The plain (inference) device of a backend; `.autodiff()` on it gives the training device.
pub fn device(kind: BackendKind) -> anyhow::Result<Device> {
    match kind {
        #[cfg(feature = "flex")]
        BackendKind::Flex => Ok(Device::flex()),
        // Deprecated in burn 0.22; kept only so `bench backends` can compare against it.
        #[cfg(feature = "ndarray")]
        #[allow(deprecated)]
        BackendKind::NdArray => Ok(Device::ndarray()),
        #[cfg(feature = "cuda")]
        BackendKind::Cuda => Ok(Device::cuda(0)),
        #[allow(unreachable_patterns)]
        other => {
            anyhow::bail!("backend '{other}' is not compiled in; rebuild with `--features {other}`")
        }
    }
}
