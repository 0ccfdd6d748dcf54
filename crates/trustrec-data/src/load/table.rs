//! Streaming delimited-table reader shared by the loaders: one reused `ByteRecord`, and every
//! failure turned into a [`DataError`] that names file, line and column.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use csv::{ByteRecord, ReaderBuilder};

use super::source::{HashingReader, Sources};
use crate::DataError;
use crate::error::Problem;

/// How to read one table file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dialect {
    pub delimiter: u8,
    /// RFC 4180 quotes; off for TSV sources whose titles contain stray `"`.
    pub quoting: bool,
    pub has_header: bool,
}

/// An open table positioned before its first data row.
pub(crate) struct Table<'h> {
    path: PathBuf,
    rdr: csv::Reader<HashingReader<'h>>,
    rec: ByteRecord,
    /// Column names for messages: the header, or names the caller sets.
    pub names: Vec<String>,
    first_data_line: u64,
    /// Data rows read so far.
    pub rows: u64,
}

impl<'h> Table<'h> {
    /// Opens `path` and, when the dialect has a header, reads and checks it.
    pub(crate) fn open(
        sources: &'h mut Sources,
        path: &Path,
        dialect: Dialect,
    ) -> Result<Self, DataError> {
        let reader = sources.open(path)?;
        let rdr = ReaderBuilder::new()
            .delimiter(dialect.delimiter)
            .quoting(dialect.quoting)
            .has_headers(false)
            .flexible(true)
            .from_reader(reader);
        let mut t = Table {
            path: path.to_path_buf(),
            rdr,
            rec: ByteRecord::new(),
            names: Vec::new(),
            first_data_line: 1,
            rows: 0,
        };
        if dialect.has_header {
            t.read_header()?;
        }
        Ok(t)
    }

    fn read_header(&mut self) -> Result<(), DataError> {
        if !self.read_record()? {
            return Err(self.err(1, "(header)", Problem::EmptyFile));
        }
        let mut seen = HashSet::new();
        for i in 0..self.rec.len() {
            let name = std::str::from_utf8(&self.rec[i])
                .map_err(|_| self.err(1, format!("field {}", i + 1), Problem::NotUtf8))?
                .trim_start_matches('\u{feff}')
                .trim()
                .to_string();
            if !seen.insert(name.clone()) {
                return Err(self.err(1, name, Problem::DuplicateHeader));
            }
            self.names.push(name);
        }
        self.first_data_line = self.line() + 1;
        Ok(())
    }

    fn read_record(&mut self) -> Result<bool, DataError> {
        self.rdr.read_byte_record(&mut self.rec).map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            match e.into_kind() {
                csv::ErrorKind::Io(io) => DataError::io(&self.path, io),
                other => DataError::at(
                    &self.path,
                    line,
                    "(record)",
                    Problem::Syntax(format!("{other:?}")),
                ),
            }
        })
    }

    /// Advances to the next data row; `false` at end of file.
    pub(crate) fn next_row(&mut self) -> Result<bool, DataError> {
        let more = self.read_record()?;
        if more {
            self.rows += 1;
        } else {
            self.rdr
                .get_mut()
                .drain()
                .map_err(|e| DataError::io(&self.path, e))?;
        }
        Ok(more)
    }

    /// Errors with [`Problem::EmptyFile`] when no data row was read.
    pub(crate) fn ensure_rows(&self) -> Result<(), DataError> {
        if self.rows > 0 {
            return Ok(());
        }
        let col = self.names.first().map_or("(none)", String::as_str);
        Err(self.err(self.first_data_line, col, Problem::EmptyFile))
    }

    /// 1-based line of the current row.
    pub(crate) fn line(&self) -> u64 {
        self.rec.position().map_or(0, |p| p.line())
    }

    /// Number of fields in the current row.
    pub(crate) fn width(&self) -> usize {
        self.rec.len()
    }

    /// 0-based data row index of the current row, checked to fit the `rows` column.
    pub(crate) fn row_u32(&self) -> Result<u32, DataError> {
        u32::try_from(self.rows - 1).map_err(|_| {
            DataError::InvalidOption(format!("{}: too many rows", self.path.display()))
        })
    }

    /// Appends the current row to `log` as one interaction: user and item ids from columns `u`
    /// and `i`, time from column `time` (its row index when there is none, which keeps file
    /// order under the stable time sort).
    pub(crate) fn push_interaction(
        &self,
        log: &mut crate::InteractionLog,
        u: usize,
        i: usize,
        time: Option<usize>,
    ) -> Result<(), DataError> {
        let row = self.row_u32()?;
        let user = log.user_ids.get_or_insert(self.id(u)?);
        let item = log.item_ids.get_or_insert(self.id(i)?);
        let ts = match time {
            Some(c) => self.f64(c)?,
            None => f64::from(row),
        };
        log.push(user, item, ts, row);
        Ok(())
    }

    /// Display name of column `i`.
    pub(crate) fn name(&self, i: usize) -> String {
        self.names
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("field {}", i + 1))
    }

    /// Error at the current row.
    pub(crate) fn err_here(&self, col: usize, problem: Problem) -> DataError {
        self.err(self.line(), self.name(col), problem)
    }

    pub(crate) fn err(&self, line: u64, col: impl Into<String>, problem: Problem) -> DataError {
        DataError::at(&self.path, line, col, problem)
    }

    /// Requires exactly `n` fields in the current row.
    pub(crate) fn check_width(&self, n: usize) -> Result<(), DataError> {
        let found = self.width();
        if found == n {
            return Ok(());
        }
        let col = if found < n { found } else { n };
        Err(self.err_here(col, Problem::Ragged { expected: n, found }))
    }

    /// Field `i` as UTF-8 text (trimmed of surrounding spaces and `\r`).
    pub(crate) fn str(&self, i: usize) -> Result<&str, DataError> {
        let raw = self.rec.get(i).ok_or_else(|| {
            self.err_here(
                i,
                Problem::Ragged {
                    expected: self.names.len().max(i + 1),
                    found: self.width(),
                },
            )
        })?;
        std::str::from_utf8(raw)
            .map(str::trim)
            .map_err(|_| self.err_here(i, Problem::NotUtf8))
    }

    /// Field `i` as a non-empty id.
    pub(crate) fn id(&self, i: usize) -> Result<&str, DataError> {
        let s = self.str(i)?;
        if s.is_empty() {
            return Err(self.err_here(i, Problem::EmptyField));
        }
        Ok(s)
    }

    /// Field `i` as a finite number.
    pub(crate) fn f64(&self, i: usize) -> Result<f64, DataError> {
        let s = self.str(i)?;
        parse_finite(s).map_err(|p| self.err_here(i, p))
    }

    /// Index of the header column whose name satisfies `pred`, or a missing-column error
    /// naming `wanted`.
    pub(crate) fn column(
        &self,
        wanted: &str,
        pred: impl Fn(&str) -> bool,
    ) -> Result<usize, DataError> {
        self.find(pred)
            .ok_or_else(|| self.err(1, wanted, Problem::MissingColumn))
    }

    /// Index of the header column whose name satisfies `pred`.
    pub(crate) fn find(&self, pred: impl Fn(&str) -> bool) -> Option<usize> {
        self.names.iter().position(|n| pred(n))
    }
}

/// Parses a finite `f64`, rejecting NaN and infinities that would break time ordering.
pub(crate) fn parse_finite(s: &str) -> Result<f64, Problem> {
    let v: f64 = s.parse().map_err(|_| Problem::BadNumber(s.to_string()))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Problem::NonFinite(s.to_string()))
    }
}
