//! S3-Rec sequence files: one line per user, `user item item ...` in time order, no timestamps
//! (the position in the line is the time), plus an optional `<stem>_item2attributes.json`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Deserialize;

use super::source::Sources;
use crate::catalog::FieldBuilder;
use crate::error::Problem;
use crate::{DataError, InteractionLog, ItemCatalog};

pub(crate) fn load(
    path: &Path,
    sources: &mut Sources,
) -> Result<(InteractionLog, Option<ItemCatalog>), DataError> {
    let mut log = read_sequences(path, sources)?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let attrs = path.with_file_name(format!("{stem}_item2attributes.json"));
    let catalog = if attrs.is_file() {
        read_attributes(&attrs, sources, &mut log)?
    } else {
        ItemCatalog::empty(log.n_items())
    };
    Ok((log, Some(catalog)))
}

fn read_sequences(path: &Path, sources: &mut Sources) -> Result<InteractionLog, DataError> {
    let mut reader = BufReader::new(sources.open(path)?);
    let mut buf = Vec::new();
    let mut log = InteractionLog::default();
    let (mut line_no, mut row) = (0u64, 0u32);
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| DataError::io(path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let line = std::str::from_utf8(&buf)
            .map_err(|e| DataError::at(path, line_no, utf8_field(&buf, e), Problem::NotUtf8))?;
        let mut tokens = line.split_ascii_whitespace();
        let Some(user) = tokens.next() else { continue };
        let user = log.user_ids.get_or_insert(user);
        let mut pos = 0u32;
        for item in tokens {
            let item = log.item_ids.get_or_insert(item);
            log.push(user, item, f64::from(pos), row);
            pos += 1;
        }
        if pos == 0 {
            let problem = Problem::Ragged {
                expected: 2,
                found: 1,
            };
            return Err(DataError::at(path, line_no, "item 1 (field 2)", problem));
        }
        row += 1;
    }
    if log.is_empty() {
        return Err(DataError::at(
            path,
            line_no.max(1),
            "user",
            Problem::EmptyFile,
        ));
    }
    Ok(log)
}

/// Names the whitespace-separated field holding the first invalid byte.
fn utf8_field(buf: &[u8], e: std::str::Utf8Error) -> String {
    let before = &buf[..e.valid_up_to()];
    let mut field = 0;
    let mut in_token = false;
    for &b in before {
        let ws = b.is_ascii_whitespace();
        if !ws && !in_token {
            field += 1;
        }
        in_token = !ws;
    }
    if !in_token {
        field += 1;
    }
    if field == 1 {
        "user (field 1)".to_string()
    } else {
        format!("item {} (field {field})", field - 1)
    }
}

/// Attribute ids may be written as numbers or strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum AttrValue {
    Int(i64),
    Float(f64),
    Str(String),
}

impl AttrValue {
    fn text(&self) -> String {
        match self {
            AttrValue::Int(v) => v.to_string(),
            AttrValue::Float(v) => v.to_string(),
            AttrValue::Str(v) => v.clone(),
        }
    }
}

/// Loads `{item: [attribute ids]}` into one multi-valued field named `attributes`. Items absent
/// from the log are appended in key order (JSON keys sorted as strings).
pub(crate) fn read_attributes(
    path: &Path,
    sources: &mut Sources,
    log: &mut InteractionLog,
) -> Result<ItemCatalog, DataError> {
    let mut reader = sources.open(path)?;
    let parsed: Result<BTreeMap<String, Vec<AttrValue>>, _> =
        serde_json::from_reader(BufReader::new(&mut reader));
    let map = parsed.map_err(|e| {
        let column = format!("column {}", e.column());
        DataError::at(
            path,
            e.line() as u64,
            column,
            Problem::Syntax(e.to_string()),
        )
    })?;
    reader.drain().map_err(|e| DataError::io(path, e))?;
    let mut field = FieldBuilder::new("attributes");
    for (item, values) in &map {
        let id = log.item_ids.get_or_insert(item);
        let texts: Vec<String> = values.iter().map(AttrValue::text).collect();
        field.set(id, texts.iter().map(String::as_str));
    }
    Ok(ItemCatalog {
        titles: vec![None; log.n_items()],
        fields: vec![field.finish(log.n_items())],
    })
}
