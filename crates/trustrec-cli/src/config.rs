//! The run configuration: one TOML file (`--config`) whose fields CLI flags override.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use trustrec_models::{ModelConfig, TrainConfig};

/// Where the data comes from and how it is split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    pub path: PathBuf,
    pub format: String,
    pub split: String,
    /// Drop users / items with fewer interactions (k-core, iterated to a fixpoint).
    pub min_user: usize,
    pub min_item: usize,
    /// For `--format csv`: column names (or 0-based indices) of user, item and time.
    pub columns: Option<[String; 3]>,
    /// Extra item metadata (RecBole / LLMRank `.item`, S3-Rec `item2attributes.json`).
    pub items: Option<PathBuf>,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("data/ml-100k"),
            format: "recbole".into(),
            split: "leave-one-out".into(),
            min_user: 0,
            min_item: 0,
            columns: None,
            items: None,
        }
    }
}

/// Everything one run needs; written back to `DIR/config.toml` so a run can be re-evaluated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    pub seed: u64,
    pub data: DataConfig,
    pub model: ModelConfig,
    pub train: TrainConfig,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            seed: 2020,
            data: DataConfig::default(),
            model: ModelConfig::default(),
            train: TrainConfig::default(),
        }
    }
}

impl RunConfig {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))
    }

    pub fn to_toml(&self) -> anyhow::Result<String> {
        Ok(toml::to_string_pretty(self)?)
    }
}
