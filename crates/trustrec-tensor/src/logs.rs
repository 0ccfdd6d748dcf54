//! User x item x time-bin tensors built from interaction logs (ml-100k, the jodie logs).

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, bail, ensure};
use trustrec_data::Loaded;

use crate::sparse::SparseTensor;

/// What a cell holds.
#[derive(Clone, Debug, PartialEq)]
pub enum CellValue {
    /// Number of interactions in the cell.
    Count,
    /// `ln(1 + count)`: counts are heavy-tailed in activity logs.
    LogCount,
    /// Mean of a numeric column of the source file (e.g. `rating` of a RecBole `.inter`).
    Column(String),
}

impl FromStr for CellValue {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        Ok(match s {
            "count" => Self::Count,
            "log-count" => Self::LogCount,
            "" => bail!("empty cell value (expected count, log-count or a column name)"),
            col => Self::Column(col.to_string()),
        })
    }
}

/// Parses a time-bin width: `day`, `week`, `month` (30 days) or a number of seconds.
pub fn parse_bin(s: &str) -> anyhow::Result<f64> {
    let v = match s {
        "day" => 86_400.0,
        "week" => 7.0 * 86_400.0,
        "month" => 30.0 * 86_400.0,
        other => other
            .parse::<f64>()
            .with_context(|| format!("time bin '{other}' is not day, week, month or seconds"))?,
    };
    ensure!(
        v > 0.0 && v.is_finite(),
        "time bin must be > 0 seconds, got {s}"
    );
    Ok(v)
}

/// Builds user x item x time-bin from `loaded` (bins of `bin_seconds` from the earliest time).
/// A column value is read from the first source file by header name (RecBole `name:type`
/// headers match on `name`), aligned through the log's data-row numbers.
pub fn log_tensor(
    loaded: &Loaded,
    bin_seconds: f64,
    value: &CellValue,
) -> anyhow::Result<SparseTensor> {
    let log = &loaded.log;
    ensure!(!log.is_empty(), "the log has no interactions");
    let column = match value {
        CellValue::Column(name) => {
            let file = loaded
                .source
                .files
                .first()
                .context("the source names no file")?;
            Some(read_column(file, name)?)
        }
        _ => None,
    };
    let t0 = log.times.iter().copied().fold(f64::INFINITY, f64::min);
    let bins: Vec<u32> = log
        .times
        .iter()
        .map(|&t| ((t - t0) / bin_seconds).floor() as u32)
        .collect();
    let n_bins = bins.iter().copied().max().unwrap_or(0) as usize + 1;
    // (sum, count) per cell, in first-seen order so the result does not depend on hashing.
    let mut cells: HashMap<(u32, u32, u32), usize> = HashMap::new();
    let mut acc: Vec<((u32, u32, u32), f64, u32)> = Vec::new();
    for (r, &bin) in bins.iter().enumerate() {
        let key = (log.users[r], log.items[r], bin);
        let v = match &column {
            Some(col) => {
                let row = log.rows[r] as usize;
                *col.get(row)
                    .with_context(|| format!("data row {row} has no value"))?
            }
            None => 1.0,
        };
        let slot = *cells.entry(key).or_insert_with(|| {
            acc.push((key, 0.0, 0));
            acc.len() - 1
        });
        acc[slot].1 += v;
        acc[slot].2 += 1;
    }
    let mut idx = Vec::with_capacity(acc.len() * 3);
    let mut values = Vec::with_capacity(acc.len());
    for ((u, i, b), sum, count) in acc {
        idx.extend_from_slice(&[u, i, b]);
        values.push(match value {
            CellValue::Count => count as f32,
            CellValue::LogCount => (count as f32).ln_1p(),
            CellValue::Column(_) => (sum / count as f64) as f32,
        });
    }
    let shape = vec![log.n_users(), log.n_items(), n_bins];
    let mut t = SparseTensor::new(shape, idx, values)?;
    t.labels = Some(vec![
        log.user_ids.iter().map(str::to_string).collect(),
        log.item_ids.iter().map(str::to_string).collect(),
        (0..n_bins)
            .map(|b| format!("{}", t0 + b as f64 * bin_seconds))
            .collect(),
    ]);
    Ok(t)
}

/// The numeric column `name` of a delimited file with a header (tab if the header has a tab).
fn read_column(path: &Path, name: &str) -> anyhow::Result<Vec<f64>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let header = text.lines().next().unwrap_or("");
    let delim = if header.contains('\t') { b'\t' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delim)
        .from_reader(text.as_bytes());
    let heads = reader.headers()?.clone();
    let col = heads
        .iter()
        .position(|h| h == name || h.split(':').next() == Some(name))
        .with_context(|| {
            format!(
                "{}: no column '{name}' (columns: {})",
                path.display(),
                heads.iter().collect::<Vec<_>>().join(", ")
            )
        })?;
    let mut out = Vec::new();
    for (r, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{}: data row {r}", path.display()))?;
        let tok = record.get(col).unwrap_or("");
        let v: f64 = tok.trim().parse().with_context(|| {
            format!(
                "{}, line {}, field '{name}': '{tok}' is not a number",
                path.display(),
                r + 2
            )
        })?;
        ensure!(
            v.is_finite(),
            "{}, line {}, field '{name}': {tok} is not finite",
            path.display(),
            r + 2
        );
        out.push(v);
    }
    Ok(out)
}
