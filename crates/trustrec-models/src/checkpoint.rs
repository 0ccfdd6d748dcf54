//! Checkpoints: model and optimizer in burn's burnpack format plus a JSON trainer state, each
//! written to a temporary file and renamed, so a crash never leaves a half-written checkpoint.

use std::fs;
use std::path::Path;

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

/// Runs `write` against a fresh temp file beside `path`, then renames it over `path`. The temp
/// file is removed if `write` or the rename fails, so a failed run leaves neither a half-written
/// output nor a stray temp file.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut prefix = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    prefix.push(".tmp");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    // tempfile makes owner-only files; outputs get the mode `fs::write` would give them (0o666
    // less the umask), so results stay readable by whoever could read them before.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("creating a temp file in {}", dir.display()))?;
    write(tmp.path()).with_context(|| format!("writing {}", tmp.path().display()))?;
    tmp.persist(path).map_err(|e| {
        let from = e.file.path().display();
        anyhow::anyhow!("renaming {from} to {}: {}", path.display(), e.error)
    })?;
    Ok(())
}

/// Writes bytes atomically.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic(path, |tmp| Ok(fs::write(tmp, bytes)?))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn atomic_write_replaces_the_file_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("results.json");
        write_bytes_atomic(&p, b"first").unwrap();
        write_bytes_atomic(&p, b"second").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"second");
        assert_eq!(names(dir.path()), vec!["results.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_gives_the_mode_a_plain_write_gives() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.json");
        fs::write(&plain, b"x").unwrap();
        let atomic = dir.path().join("atomic.json");
        write_bytes_atomic(&atomic, b"x").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&atomic), mode(&plain));
    }

    #[test]
    fn failed_atomic_write_keeps_the_old_file_and_removes_its_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("report.md");
        write_bytes_atomic(&p, b"old").unwrap();
        let err = write_atomic(&p, |tmp| {
            fs::write(tmp, b"half")?;
            anyhow::bail!("disk full")
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("disk full"), "{err:#}");
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(names(dir.path()), vec!["report.md"]);
    }

    #[test]
    fn failed_rename_names_the_target_and_removes_the_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("taken");
        fs::create_dir(&p).unwrap();
        fs::write(p.join("inside"), b"x").unwrap();
        let err = write_bytes_atomic(&p, b"x").unwrap_err();
        assert!(format!("{err:#}").contains("renaming"), "{err:#}");
        assert!(format!("{err:#}").contains("taken"), "{err:#}");
        assert_eq!(names(dir.path()), vec!["taken"]);
    }

    #[test]
    fn atomic_write_into_a_missing_folder_names_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("absent").join("x.json");
        let err = write_bytes_atomic(&p, b"x").unwrap_err();
        assert!(format!("{err:#}").contains("absent"), "{err:#}");
    }
}
