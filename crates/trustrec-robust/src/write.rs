//! Writes a perturbed log back in its input format, editing the original lines so that every
//! untouched row stays byte-identical (timestamps keep their text, ids their spelling).

use std::fs;
use std::path::Path;

use anyhow::{Context, bail, ensure};
use trustrec_data::Format;
use trustrec_models::checkpoint::write_bytes_atomic;

use crate::perturb::{Kind, Perturbation};

/// Writes `p` applied to `input` (a `format` file) to `out`, atomically.
///
/// JODIE rows (`[index] user item timestamp`): a deletion drops the line, a replacement rewrites
/// the item field, an insertion writes a copy of the line with the new item just before it (same
/// timestamp: the stable time sort keeps it first). A leading index column is renumbered.
pub fn write_perturbed(
    input: &Path,
    format: Format,
    p: &Perturbation,
    out: &Path,
) -> anyhow::Result<()> {
    if format != Format::Jodie {
        bail!("writing a perturbed log is implemented for the jodie format only, not {format:?}");
    }
    let text = fs::read_to_string(input).with_context(|| format!("reading {}", input.display()))?;
    let mut edit: Vec<Option<Option<&str>>> = Vec::new();
    let rows: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    edit.resize(rows.len(), None);
    for c in &p.chosen {
        let slot = edit
            .get_mut(c.row as usize)
            .with_context(|| format!("{}: no data row {}", input.display(), c.row))?;
        *slot = Some(c.new_item.as_deref());
    }
    let mut out_text = String::with_capacity(text.len() + 64 * p.chosen.len());
    let mut index = 0usize;
    let mut emit = |line: &str, item: Option<&str>, at: usize| -> anyhow::Result<()> {
        let mut fields: Vec<&str> = line.split('\t').collect();
        ensure!(
            fields.len() == 3 || fields.len() == 4,
            "{} line {}: expected 3 or 4 tab-separated fields, found {}",
            input.display(),
            at + 1,
            fields.len()
        );
        let idx = index.to_string();
        if fields.len() == 4 {
            fields[0] = &idx;
        }
        if let Some(item) = item {
            let k = fields.len() - 2;
            fields[k] = item;
        }
        out_text.push_str(&fields.join("\t"));
        out_text.push('\n');
        index += 1;
        Ok(())
    };
    for (r, (line, ed)) in rows.iter().zip(&edit).enumerate() {
        let line = line.trim_end_matches('\r');
        match (ed, p.kind) {
            (None, _) => emit(line, None, r)?,
            (Some(_), Kind::Deletion) => {}
            (Some(new), Kind::Replacement) => emit(line, *new, r)?,
            (Some(new), Kind::Insertion) => {
                emit(line, *new, r)?;
                emit(line, None, r)?;
            }
        }
    }
    write_bytes_atomic(out, out_text.as_bytes())
}
