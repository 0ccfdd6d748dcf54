//! Loading every supported format into one [`InteractionLog`] + [`ItemCatalog`].

mod csvfmt;
mod jodie;
mod llmrank;
mod recbole;
mod s3rec;
mod sessions;
mod source;
mod table;
mod text;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{DataError, Format, InteractionLog, ItemCatalog};
use source::Sources;

pub use text::unescape_html;

/// Options that only some formats use; `Default` suits every built-in format.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadOptions {
    /// Column mapping; required by [`Format::Csv`], ignored otherwise.
    pub csv_columns: Option<ColumnMap>,
    /// Field delimiter override for table formats (csv defaults to `,`); ignored by s3rec.
    pub delimiter: Option<u8>,
    /// Whether a csv file has a header row (default `true`); ignored by other formats.
    pub has_header: Option<bool>,
    /// An extra item-metadata file keyed by the log's original item ids: a RecBole / LLMRank
    /// `.item` file or an S3-Rec `item2attributes.json`. Its fields are added to the format's
    /// own (same-named fields are replaced) and it is part of the data hash.
    pub items: Option<PathBuf>,
}

/// Which columns of a [`Format::Csv`] file hold user, item and (optional) time: header names, or
/// 0-based indices written as strings when the file has no header. Without a time column the
/// data row index is the timestamp.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMap {
    pub user: String,
    pub item: String,
    pub time: Option<String>,
}

/// A loaded dataset.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub log: InteractionLog,
    /// Metadata keyed by the log's dense item ids (`titles.len() == log.n_items()`).
    pub catalog: ItemCatalog,
    pub source: SourceInfo,
}

/// Where the data came from, for reproducibility records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// Files read, in order.
    pub files: Vec<PathBuf>,
    /// Lower-case hex SHA-256 of all raw bytes of `files`, concatenated in order.
    pub hash: String,
    pub format: Format,
}

/// Loads `path` as `format`.
///
/// * recbole: the `.inter` file or a directory holding `<name>.inter` (+ optional `<name>.item`
///   with titles and `token`/`token_seq` attributes; numeric columns are skipped). A missing
///   `timestamp` column makes the data row index the time.
/// * jodie: `[row_index] user item timestamp` (3 or 4 columns, decided by the first row).
/// * diginetica: time = `eventdate` (UTC midnight, seconds) + `timeframe` / 1000; user = session.
/// * yoochoose: a file, or a directory whose `*.txt` files are read `*train*` first; user = session.
/// * s3rec: the sequence file; time = position in the user's line. `<stem>_item2attributes.json`
///   next to it (stem = text before the first `.` or `_`) fills one attribute field.
/// * llmrank: a directory (the `*.test.inter` file is preferred over `*.valid.inter`, since its
///   sequences are one item longer) or an `.inter` file; time = position in the sequence; titles
///   from the `.item` file.
/// * csv: see [`ColumnMap`].
///
/// Titles have common HTML entities decoded ([`unescape_html`]). Items found only in metadata
/// files get dense ids after all log items.
pub fn load(path: &Path, format: Format, opts: &LoadOptions) -> Result<Loaded, DataError> {
    let mut sources = Sources::default();
    let (log, catalog) = match format {
        Format::Recbole => recbole::load(path, opts, &mut sources)?,
        Format::Jodie => (jodie::load(path, opts, &mut sources)?, None),
        Format::Diginetica => (sessions::load_diginetica(path, opts, &mut sources)?, None),
        Format::Yoochoose => (sessions::load_yoochoose(path, opts, &mut sources)?, None),
        Format::S3rec => s3rec::load(path, &mut sources)?,
        Format::Llmrank => llmrank::load(path, opts, &mut sources)?,
        Format::Csv => (csvfmt::load(path, opts, &mut sources)?, None),
    };
    let mut log = log;
    let mut catalog = catalog.unwrap_or_else(|| ItemCatalog::empty(log.n_items()));
    if let Some(items) = &opts.items {
        let extra = if items.extension().is_some_and(|e| e == "json") {
            s3rec::read_attributes(items, &mut sources, &mut log)?
        } else {
            recbole::read_items(items, opts, &mut sources, &mut log, "title")?
        };
        catalog = catalog.merge(extra, log.n_items());
    }
    debug_assert_eq!(catalog.titles.len(), log.n_items());
    Ok(Loaded {
        log,
        catalog,
        source: sources.finish(format),
    })
}

/// Files in `dir` whose name ends with `suffix`, sorted by name.
fn files_with_suffix(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>, DataError> {
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))?;
    let mut out = Vec::new();
    for e in entries {
        let p = e.map_err(|e| DataError::io(dir, e))?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(suffix) && p.is_file() {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Exactly one file from `candidates`, or an error explaining what was found.
fn pick_one(dir: &Path, what: &str, candidates: Vec<PathBuf>) -> Result<PathBuf, DataError> {
    match candidates.len() {
        1 => Ok(candidates.into_iter().next().unwrap_or_default()),
        0 => Err(DataError::InvalidOption(format!(
            "{}: no {what} file found",
            dir.display()
        ))),
        _ => Err(DataError::InvalidOption(format!(
            "{}: several {what} files ({}); pass one file instead of the directory",
            dir.display(),
            candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
