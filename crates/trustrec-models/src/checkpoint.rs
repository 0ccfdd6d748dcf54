//! Checkpoints: model and optimizer in burn's burnpack format plus a JSON trainer state, each
//! written to a temporary file and renamed, so a crash never leaves a half-written checkpoint.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use serde::{Deserialize, Serialize};

use crate::model::Recommender;

/// What the loop needs to continue exactly where it stopped.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TrainerState {
    /// Epochs completed.
    pub epochs_done: usize,
    pub best_epoch: Option<usize>,
    pub best_score: f64,
    pub bad_validations: usize,
    /// The epoch log so far (one JSON object per epoch).
    pub history: Vec<serde_json::Value>,
}

/// Runs `write` against a sibling temp path, then renames it over `path`.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let tmp = tmp_path(path);
    write(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}

/// Writes bytes atomically.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic(path, |tmp| Ok(fs::write(tmp, bytes)?))
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}

/// Saves a model's parameters atomically.
pub fn save_model(model: &Recommender, path: &Path) -> anyhow::Result<()> {
    let bytes = model
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    write_bytes_atomic(path, &bytes)
}

/// Loads parameters saved by [`save_model`] into a model of the same architecture.
pub fn load_model(model: Recommender, path: &Path) -> anyhow::Result<Recommender> {
    model
        .try_load_file(path)
        .map_err(|e| anyhow::anyhow!("cannot load checkpoint {}: {e:?}", path.display()))
}

/// Saves model, optimizer and trainer state into `dir` (created if needed).
pub fn save_checkpoint(
    dir: &Path,
    model: &Recommender,
    optim: &ModuleOptimizer,
    state: &TrainerState,
) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    save_model(model, &dir.join("model.bpk"))?;
    let bytes = optim.into_bytes().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    write_bytes_atomic(&dir.join("optim.bpk"), &bytes)?;
    // The state file is written last: its presence marks a complete checkpoint.
    write_bytes_atomic(&dir.join("state.json"), &serde_json::to_vec_pretty(state)?)
}

/// Loads a checkpoint written by [`save_checkpoint`], if `dir` holds one.
pub fn load_checkpoint(
    dir: &Path,
    model: Recommender,
    optim: ModuleOptimizer,
) -> anyhow::Result<Option<(Recommender, ModuleOptimizer, TrainerState)>> {
    let state_path = dir.join("state.json");
    if !state_path.exists() {
        return Ok(None);
    }
    let state: TrainerState = serde_json::from_slice(&fs::read(&state_path)?)
        .with_context(|| format!("parsing {}", state_path.display()))?;
    let model = load_model(model, &dir.join("model.bpk"))?;
    let optim = optim
        .load(dir.join("optim.bpk"))
        .map_err(|e| anyhow::anyhow!("cannot load optimizer state in {}: {e:?}", dir.display()))?;
    Ok(Some((model, optim, state)))
}
