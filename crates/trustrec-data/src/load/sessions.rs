//! Session-based click logs (Diginetica, YooChoose): the session id is the "user".

use std::path::{Path, PathBuf};

use super::source::Sources;
use super::table::{Dialect, Table};
use super::{LoadOptions, files_with_suffix};
use crate::error::Problem;
use crate::{DataError, InteractionLog};

/// Header name normalised so `session_id`, `sessionId` and `SessionId` all match.
fn norm(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Diginetica `session_id;user_id;item_id;timeframe;eventdate`; time = seconds of the event
/// date (UTC midnight) + `timeframe` ms / 1000, so within-session order and dates both survive.
pub(crate) fn load_diginetica(
    path: &Path,
    opts: &LoadOptions,
    sources: &mut Sources,
) -> Result<InteractionLog, DataError> {
    let dialect = Dialect {
        delimiter: opts.delimiter.unwrap_or(b';'),
        quoting: true,
        has_header: true,
    };
    let mut t = Table::open(sources, path, dialect)?;
    let s = t.column("session_id", |n| norm(n) == "sessionid")?;
    let i = t.column("item_id", |n| norm(n) == "itemid")?;
    let tf = t.column("timeframe", |n| norm(n) == "timeframe")?;
    let d = t.column("eventdate", |n| norm(n) == "eventdate")?;
    let width = t.names.len();
    let mut log = InteractionLog::default();
    while t.next_row()? {
        t.check_width(width)?;
        let user = log.user_ids.get_or_insert(t.id(s)?);
        let item = log.item_ids.get_or_insert(t.id(i)?);
        let date = t.str(d)?;
        let day = parse_date(date).ok_or_else(|| t.err_here(d, Problem::BadDate(date.into())))?;
        let time = day as f64 * 86_400.0 + t.f64(tf)? / 1000.0;
        log.push(user, item, time, t.row_u32()?);
    }
    t.ensure_rows()?;
    Ok(log)
}

/// YooChoose `SessionId ItemId Time` (unix seconds). A directory loads all its `*.txt` files,
/// `*train*` ones first, with `rows` counting on across files.
pub(crate) fn load_yoochoose(
    path: &Path,
    opts: &LoadOptions,
    sources: &mut Sources,
) -> Result<InteractionLog, DataError> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut f = files_with_suffix(path, ".txt")?;
        f.sort_by_key(|p| !p.to_string_lossy().contains("train"));
        if f.is_empty() {
            return Err(DataError::InvalidOption(format!(
                "{}: no .txt files",
                path.display()
            )));
        }
        f
    } else {
        vec![path.to_path_buf()]
    };
    let dialect = Dialect {
        delimiter: opts.delimiter.unwrap_or(b'\t'),
        quoting: false,
        has_header: true,
    };
    let mut log = InteractionLog::default();
    let mut offset = 0u32;
    for file in &files {
        let mut t = Table::open(sources, file, dialect)?;
        let s = t.column("SessionId", |n| norm(n) == "sessionid")?;
        let i = t.column("ItemId", |n| norm(n) == "itemid")?;
        let tc = t.column("Time", |n| norm(n) == "time" || norm(n) == "timestamp")?;
        let width = t.names.len();
        while t.next_row()? {
            t.check_width(width)?;
            let user = log.user_ids.get_or_insert(t.id(s)?);
            let item = log.item_ids.get_or_insert(t.id(i)?);
            let time = t.f64(tc)?;
            let row = offset.checked_add(t.row_u32()?).ok_or_else(|| {
                DataError::InvalidOption(format!("{}: too many rows", file.display()))
            })?;
            log.push(user, item, time, row);
        }
        t.ensure_rows()?;
        offset += t.rows as u32;
    }
    Ok(log)
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian).
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=days_in_month).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2016-05-09"), Some(16_930));
        assert_eq!(parse_date("2000-03-01"), Some(11_017));
        assert_eq!(parse_date("2016-02-30"), None);
        assert_eq!(parse_date("2016-5"), None);
        assert_eq!(parse_date("x"), None);
    }
}
