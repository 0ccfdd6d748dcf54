//! Shared helpers for integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The shared real datasets, or `None` (with a printed reason) when they are not present.
pub fn datasets() -> Option<PathBuf> {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/datasets"
    ));
    if p.is_dir() {
        Some(p.to_path_buf())
    } else {
        eprintln!("skipping: ../shared/datasets not found");
        None
    }
}

/// Lower-case hex SHA-256 of the concatenated bytes of `files`.
pub fn sha256_of(files: &[PathBuf]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(std::fs::read(f).unwrap());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `bytes` to `name` inside `dir` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Resolves the datasets folder or returns from the calling test.
#[macro_export]
macro_rules! datasets_or_skip {
    () => {
        match common::datasets() {
            Some(p) => p,
            None => return,
        }
    };
}
