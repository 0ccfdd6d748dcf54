//! LLMRank text datasets: `user_id item_id_list:token_seq item_id` lines (history + target)
//! and a `.item` title file. Each line becomes the user's full sequence, time = position.

use std::path::{Path, PathBuf};

use super::recbole::{base, dialect, read_items};
use super::source::Sources;
use super::table::Table;
use super::{LoadOptions, files_with_suffix, pick_one};
use crate::{DataError, InteractionLog, ItemCatalog};

/// The `.inter` file to read: the test file holds the valid sequence plus one item, so it is
/// preferred over the valid file.
fn inter_file(path: &Path) -> Result<PathBuf, DataError> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    for suffix in [".test.inter", ".valid.inter", ".inter"] {
        let found = files_with_suffix(path, suffix)?;
        if !found.is_empty() {
            return pick_one(path, suffix, found);
        }
    }
    pick_one(path, ".inter", Vec::new())
}

/// The `.item` file next to `inter` whose stem prefixes its name (longest wins), else the only
/// `.item` file in the directory.
fn item_file(inter: &Path) -> Result<Option<PathBuf>, DataError> {
    let dir = match inter.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = inter
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let items = files_with_suffix(&dir, ".item")?;
    let stem_len = |p: &PathBuf| {
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        name.starts_with(&stem).then_some(stem.len())
    };
    let best = items
        .iter()
        .filter_map(|p| Some((stem_len(p)?, p)))
        .max_by_key(|(n, _)| *n);
    Ok(match (best, items.len()) {
        (Some((_, p)), _) => Some(p.clone()),
        (None, 1) => items.into_iter().next(),
        _ => None,
    })
}

pub(crate) fn load(
    path: &Path,
    opts: &LoadOptions,
    sources: &mut Sources,
) -> Result<(InteractionLog, Option<ItemCatalog>), DataError> {
    let inter = inter_file(path)?;
    let mut log = read_inter(&inter, opts, sources)?;
    let catalog = match item_file(&inter)? {
        Some(item) => read_items(&item, opts, sources, &mut log, "title")?,
        None => ItemCatalog::empty(log.n_items()),
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
    let hist = t.column("item_id_list", |n| base(n) == "item_id_list")?;
    let target = t.column("item_id", |n| base(n) == "item_id")?;
    let width = t.names.len();
    let mut log = InteractionLog::default();
    // Next position per user, so a user spread over several lines keeps increasing times.
    let mut next_pos: Vec<u32> = Vec::new();
    while t.next_row()? {
        t.check_width(width)?;
        let row = t.row_u32()?;
        let user = log.user_ids.get_or_insert(t.id(u)?);
        if next_pos.len() <= user as usize {
            next_pos.resize(user as usize + 1, 0);
        }
        let last = t.id(target)?;
        for item in t.str(hist)?.split_ascii_whitespace().chain([last]) {
            let item = log.item_ids.get_or_insert(item);
            let pos = &mut next_pos[user as usize];
            log.push(user, item, f64::from(*pos), row);
            *pos += 1;
        }
    }
    t.ensure_rows()?;
    Ok(log)
}
