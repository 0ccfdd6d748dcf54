//! Sentence vectors on disk, keyed by the SHA-256 of the text: records of
//! `[32-byte hash][dim little-endian f32]` after a small header naming the model and width.
//! Written atomically (temp file + rename).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, ensure};
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"TRTXTV01";

/// Vectors of one model, loaded from and saved to one file.
pub struct EmbeddingCache {
    path: PathBuf,
    dim: usize,
    map: HashMap<[u8; 32], Vec<f32>>,
    dirty: bool,
}

fn key(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

impl EmbeddingCache {
    /// Opens `path` (a missing file is an empty cache) for vectors of width `dim`.
    pub fn open(path: &Path, dim: usize) -> anyhow::Result<Self> {
        let mut map = HashMap::new();
        if path.exists() {
            let b = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            ensure!(
                b.len() >= 16 && &b[..8] == MAGIC,
                "{}: not an embedding cache",
                path.display()
            );
            let stored = u64::from_le_bytes(b[8..16].try_into()?) as usize;
            ensure!(
                stored == dim,
                "{}: vectors of width {stored}, expected {dim}",
                path.display()
            );
            let rec = 32 + 4 * dim;
            ensure!((b.len() - 16) % rec == 0, "{}: truncated", path.display());
            for r in b[16..].chunks_exact(rec) {
                let k: [u8; 32] = r[..32].try_into()?;
                let v = r[32..]
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                map.insert(k, v);
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            dim,
            map,
            dirty: false,
        })
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get(&self, text: &str) -> Option<&[f32]> {
        self.map.get(&key(text)).map(Vec::as_slice)
    }

    pub fn insert(&mut self, text: &str, v: Vec<f32>) {
        debug_assert_eq!(v.len(), self.dim);
        self.map.insert(key(text), v);
        self.dirty = true;
    }

    /// Writes the cache if it changed (records sorted by key, so the file is deterministic).
    pub fn save(&mut self) -> anyhow::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let mut keys: Vec<&[u8; 32]> = self.map.keys().collect();
        keys.sort_unstable();
        let mut b = Vec::with_capacity(16 + keys.len() * (32 + 4 * self.dim));
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&(self.dim as u64).to_le_bytes());
        for k in keys {
            b.extend_from_slice(k);
            for x in &self.map[k] {
                b.extend_from_slice(&x.to_le_bytes());
            }
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        trustrec_models::checkpoint::write_bytes_atomic(&self.path, &b)?;
        self.dirty = false;
        Ok(())
    }
}
