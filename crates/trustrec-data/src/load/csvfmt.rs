//! Generic delimited files with a user-supplied [`ColumnMap`].

use std::path::Path;

use super::source::Sources;
use super::table::{Dialect, Table};
use super::{ColumnMap, LoadOptions};
use crate::{DataError, InteractionLog};

pub(crate) fn load(
    path: &Path,
    opts: &LoadOptions,
    sources: &mut Sources,
) -> Result<InteractionLog, DataError> {
    let cols: &ColumnMap = opts.csv_columns.as_ref().ok_or_else(|| {
        DataError::InvalidOption(format!(
            "{}: format csv needs csv_columns (user, item and optional time column)",
            path.display()
        ))
    })?;
    let has_header = opts.has_header.unwrap_or(true);
    let dialect = Dialect {
        delimiter: opts.delimiter.unwrap_or(b','),
        quoting: true,
        has_header,
    };
    let mut t = Table::open(sources, path, dialect)?;
    let resolve = |t: &Table, name: &str| -> Result<usize, DataError> {
        if has_header {
            t.column(name, |n| n == name)
        } else {
            name.trim().parse().map_err(|_| {
                DataError::InvalidOption(format!(
                    "{}: without a header, csv columns must be 0-based indices, got {name:?}",
                    path.display()
                ))
            })
        }
    };
    let u = resolve(&t, &cols.user)?;
    let i = resolve(&t, &cols.item)?;
    let time = cols.time.as_deref().map(|c| resolve(&t, c)).transpose()?;
    let mut width = t.names.len();
    let mut log = InteractionLog::default();
    while t.next_row()? {
        if width == 0 {
            // No header: the first row fixes the width and names columns by index.
            width = t.width();
            t.names = (0..width).map(|c| c.to_string()).collect();
        }
        t.check_width(width)?;
        t.push_interaction(&mut log, u, i, time)?;
    }
    t.ensure_rows()?;
    Ok(log)
}
