//! JODIE temporal logs: `[row_index] user item timestamp`, tab-separated, no header. Wikipedia
//! carries the leading row index, reddit/foursquare do not; the first row decides.

use std::path::Path;

use super::LoadOptions;
use super::source::Sources;
use super::table::{Dialect, Table};
use crate::error::Problem;
use crate::{DataError, InteractionLog};

pub(crate) fn load(
    path: &Path,
    opts: &LoadOptions,
    sources: &mut Sources,
) -> Result<InteractionLog, DataError> {
    let dialect = Dialect {
        delimiter: opts.delimiter.unwrap_or(b'\t'),
        quoting: false,
        has_header: false,
    };
    let mut t = Table::open(sources, path, dialect)?;
    let mut log = InteractionLog::default();
    let mut width = 0;
    while t.next_row()? {
        if width == 0 {
            width = t.width();
            t.names = match width {
                3 => vec!["user", "item", "timestamp"],
                4 => vec!["row_index", "user", "item", "timestamp"],
                _ => {
                    return Err(t.err_here(
                        width.min(3),
                        Problem::Ragged {
                            expected: 3,
                            found: width,
                        },
                    ));
                }
            }
            .into_iter()
            .map(String::from)
            .collect();
        }
        t.check_width(width)?;
        let c = width - 3;
        let user = log.user_ids.get_or_insert(t.id(c)?);
        let item = log.item_ids.get_or_insert(t.id(c + 1)?);
        let time = t.f64(c + 2)?;
        log.push(user, item, time, t.row_u32()?);
    }
    t.ensure_rows()?;
    Ok(log)
}
