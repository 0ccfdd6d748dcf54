//! Running the `trustrec` binary from the repository root, as a user would.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trustrec"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    c
}

/// Whether the command succeeded, and its stdout followed by its stderr.
pub fn run(c: &mut Command) -> (bool, String) {
    let out = c.output().expect("run trustrec");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

pub fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}
