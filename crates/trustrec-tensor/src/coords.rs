//! Coordinate files: one observed cell per line, `i j k ... value`, tab- or comma-separated
//! (decided by the first line). Indices are arbitrary tokens mapped densely per mode in order
//! of first appearance, unless a shape is declared, in which case they must be integers inside
//! it. Lines starting with `#` are comments.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail, ensure};

use crate::sparse::SparseTensor;

/// Reads `path`; `shape` declares the mode sizes (indices are then 0-based integers).
pub fn read_coords(path: &Path, shape: Option<&[usize]>) -> anyhow::Result<SparseTensor> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse_coords_in(path, &text, shape)
}

/// [`parse_coords`] on the text of `path` (already read, e.g. to hash it); errors name the file.
pub fn parse_coords_in(
    path: &Path,
    text: &str,
    shape: Option<&[usize]>,
) -> anyhow::Result<SparseTensor> {
    parse_coords(text, shape).with_context(|| format!("in {}", path.display()))
}

/// Parses coordinate text (see the module doc); errors name the line and the field.
pub fn parse_coords(text: &str, shape: Option<&[usize]>) -> anyhow::Result<SparseTensor> {
    let delim = match text
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        Some(l) if l.contains('\t') => b'\t',
        Some(_) => b',',
        None => bail!("no cell lines"),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut order = shape.map(<[usize]>::len);
    let mut maps: Vec<HashMap<String, u32>> = Vec::new();
    let mut labels: Vec<Vec<String>> = Vec::new();
    let mut idx = Vec::new();
    let mut values = Vec::new();
    let mut first_line: HashMap<Vec<u32>, u64> = HashMap::new();
    for record in reader.records() {
        let record = record.context("malformed line")?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let n = *order.get_or_insert(record.len().saturating_sub(1));
        ensure!(
            n >= 3,
            "line {line}: {} fields; a cell needs >= 3 indices and a value",
            record.len()
        );
        ensure!(
            record.len() == n + 1,
            "line {line}: {} fields, expected {} ({n} indices and a value)",
            record.len(),
            n + 1
        );
        if maps.is_empty() {
            maps = vec![HashMap::new(); n];
            labels = vec![Vec::new(); n];
        }
        let mut cell = Vec::with_capacity(n);
        for m in 0..n {
            let tok = &record[m];
            ensure!(!tok.is_empty(), "line {line}, field {}: empty index", m + 1);
            let i = match shape {
                Some(s) => {
                    let i: u64 = tok.parse().with_context(|| {
                        format!(
                            "line {line}, field {}: index '{tok}' is not a non-negative integer",
                            m + 1
                        )
                    })?;
                    ensure!(
                        (i as usize) < s[m],
                        "line {line}, field {}: index {i} is outside the declared size {} of mode {m}",
                        m + 1,
                        s[m]
                    );
                    i as u32
                }
                None => {
                    let next = maps[m].len() as u32;
                    *maps[m].entry(tok.to_string()).or_insert_with(|| {
                        labels[m].push(tok.to_string());
                        next
                    })
                }
            };
            cell.push(i);
        }
        let tok = &record[n];
        let v: f32 = tok.parse().with_context(|| {
            format!(
                "line {line}, field {} (value): '{tok}' is not a number",
                n + 1
            )
        })?;
        ensure!(
            v.is_finite(),
            "line {line}, field {} (value): {tok} is not a finite number",
            n + 1
        );
        if let Some(prev) = first_line.insert(cell.clone(), line) {
            bail!("line {line}: cell {cell:?} was already given on line {prev}");
        }
        idx.extend_from_slice(&cell);
        values.push(v);
    }
    ensure!(!values.is_empty(), "no cell lines");
    let dims = match shape {
        Some(s) => s.to_vec(),
        None => labels.iter().map(Vec::len).collect(),
    };
    let mut t = SparseTensor::new(dims, idx, values)?;
    if shape.is_none() {
        t.labels = Some(labels);
    }
    Ok(t)
}
