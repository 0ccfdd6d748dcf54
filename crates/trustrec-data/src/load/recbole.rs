//! RecBole atomic files: `name:type` headers, tab-separated, `.inter` + optional `.item`.

use std::path::{Path, PathBuf};

use super::source::Sources;
use super::table::{Dialect, Table};
use super::{LoadOptions, files_with_suffix, pick_one};
use crate::catalog::FieldBuilder;
use crate::{DataError, InteractionLog, ItemCatalog};

/// Field name without its `:type` suffix.
pub(crate) fn base(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}

/// The `:type` suffix, if any.
fn kind(name: &str) -> Option<&str> {
    name.split_once(':').map(|(_, t)| t)
}

pub(crate) fn dialect(opts: &LoadOptions) -> Dialect {
    Dialect {
        delimiter: opts.delimiter.unwrap_or(b'\t'),
        quoting: false,
        has_header: true,
    }
}

/// Resolves a directory to its `.inter` file (preferring `<dir name>.inter`).
fn inter_file(path: &Path) -> Result<PathBuf, DataError> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    let mut found = files_with_suffix(path, ".inter")?;
    if found.len() > 1 {
        let own = path
            .file_name()
            .map(|n| format!("{}.inter", n.to_string_lossy()));
        found.retain(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()) == own);
    }
    pick_one(path, ".inter", found)
}

pub(crate) fn load(
    path: &Path,
    opts: &LoadOptions,
    sources: &mut Sources,
) -> Result<(InteractionLog, Option<ItemCatalog>), DataError> {
    let inter = inter_file(path)?;
    let mut log = read_inter(&inter, opts, sources)?;
    let name = inter
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let item = inter.with_file_name(format!("{}.item", name.trim_end_matches(".inter")));
    let catalog = if item.is_file() {
        read_items(&item, opts, sources, &mut log, "title")?
    } else {
        ItemCatalog::empty(log.n_items())
    };
    Ok((log, Some(catalog)))
}

fn read_inter(
    path: &Path,
    opts: &LoadOptions,
    sources: &mut Sources,
) -> Result<InteractionLog, DataError> {
    let mut t = Table::open(sources, path, dialect(opts))?;
    let u = t.column("user_id", |n| base(n) == "user_id")?;
    let i = t.column("item_id", |n| base(n) == "item_id")?;
    let time = t.find(|n| base(n) == "timestamp");
    let width = t.names.len();
    let mut log = InteractionLog::default();
    while t.next_row()? {
        t.check_width(width)?;
        t.push_interaction(&mut log, u, i, time)?;
    }
    t.ensure_rows()?;
    Ok(log)
}

/// Reads an item file: the first column whose name contains `title_hint` gives titles, other
/// `token` / `token_seq` (or untyped) columns become attribute fields; numeric columns are skipped.
pub(crate) fn read_items(
    path: &Path,
    opts: &LoadOptions,
    sources: &mut Sources,
    log: &mut InteractionLog,
    title_hint: &str,
) -> Result<ItemCatalog, DataError> {
    let mut t = Table::open(sources, path, dialect(opts))?;
    let id_col = t.column("item_id", |n| base(n) == "item_id")?;
    let title_col = t.find(|n| base(n).to_ascii_lowercase().contains(title_hint));
    let attrs: Vec<(usize, bool)> = (0..t.names.len())
        .filter(|&c| c != id_col && Some(c) != title_col)
        .filter_map(|c| match kind(&t.names[c]) {
            None | Some("token") => Some((c, false)),
            Some("token_seq") => Some((c, true)),
            _ => None,
        })
        .collect();
    let mut builders: Vec<FieldBuilder> = attrs
        .iter()
        .map(|&(c, _)| FieldBuilder::new(base(&t.names[c])))
        .collect();
    let mut titles: Vec<Option<String>> = Vec::new();
    let width = t.names.len();
    while t.next_row()? {
        t.check_width(width)?;
        let item = log.item_ids.get_or_insert(t.id(id_col)?) as usize;
        if let Some(c) = title_col {
            let title = t.str(c)?;
            if titles.len() <= item {
                titles.resize(item + 1, None);
            }
            titles[item] = (!title.is_empty()).then(|| super::text::unescape_html(title));
        }
        for (b, &(c, multi)) in builders.iter_mut().zip(&attrs) {
            let v = t.str(c)?;
            if multi {
                b.set(item as u32, v.split_ascii_whitespace());
            } else {
                b.set(item as u32, Some(v).filter(|v| !v.is_empty()).into_iter());
            }
        }
    }
    t.ensure_rows()?;
    let n = log.n_items();
    titles.resize(n, None);
    Ok(ItemCatalog {
        titles,
        fields: builders.into_iter().map(|b| b.finish(n)).collect(),
    })
}
