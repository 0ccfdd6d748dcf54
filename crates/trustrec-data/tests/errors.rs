//! Every kind of malformed input yields a `DataError` naming file, line and column.

mod common;

use std::path::Path;

use common::write;
use trustrec_data::{ColumnMap, DataError, Format, LoadOptions, Problem, load};

const INTER: &str = "user_id:token\titem_id:token\ttimestamp:float\n";

fn fail(path: &Path, format: Format) -> String {
    fail_with(path, format, &LoadOptions::default())
}

fn fail_with(path: &Path, format: Format, opts: &LoadOptions) -> String {
    match load(path, format, opts) {
        Ok(l) => panic!("{} loaded {} rows", path.display(), l.log.len()),
        Err(e) => e.to_string(),
    }
}

/// Asserts the message names the file, the line and the column.
fn assert_names(msg: &str, file: &str, line: u64, column: &str, what: &str) {
    for want in [file, &format!("line {line}"), &format!("`{column}`"), what] {
        assert!(msg.contains(want), "{msg:?} lacks {want:?}");
    }
}

#[test]
fn missing_column() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "m.inter",
        b"user_id:token\ttimestamp:float\n1\t5\n",
    );
    assert_names(
        &fail(&p, Format::Recbole),
        "m.inter",
        1,
        "item_id",
        "missing column",
    );
    let p = write(d.path(), "y.txt", b"SessionId\tTime\n1\t5\n");
    assert_names(
        &fail(&p, Format::Yoochoose),
        "y.txt",
        1,
        "ItemId",
        "missing column",
    );
    let p = write(d.path(), "c.csv", b"u,i\n1,2\n");
    let opts = LoadOptions {
        csv_columns: Some(ColumnMap {
            user: "u".into(),
            item: "item".into(),
            time: None,
        }),
        ..Default::default()
    };
    assert_names(
        &fail_with(&p, Format::Csv, &opts),
        "c.csv",
        1,
        "item",
        "missing column",
    );
}

#[test]
fn bad_numbers() {
    let d = tempfile::tempdir().unwrap();
    for (name, value, what) in [
        ("a.inter", "abc", "not a number"),
        ("b.inter", "NaN", "NaN or infinite"),
        ("c.inter", "inf", "NaN or infinite"),
        ("e.inter", "", "not a number"),
    ] {
        let text = format!("{INTER}1\t2\t3\n1\t3\t{value}\n");
        let p = write(d.path(), name, text.as_bytes());
        assert_names(&fail(&p, Format::Recbole), name, 3, "timestamp:float", what);
    }
    let p = write(d.path(), "w.tsv", b"0\t1\t2\t0.0\n1\t1\t2\tx\n");
    assert_names(
        &fail(&p, Format::Jodie),
        "w.tsv",
        2,
        "timestamp",
        "not a number",
    );
    let p = write(
        d.path(),
        "g.csv",
        b"session_id;user_id;item_id;timeframe;eventdate\n1;NA;5;12;2016-13-01\n",
    );
    assert_names(
        &fail(&p, Format::Diginetica),
        "g.csv",
        2,
        "eventdate",
        "YYYY-MM-DD",
    );
}

#[test]
fn ragged_rows() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "r.inter",
        format!("{INTER}1\t2\t3\n1\t2\n").as_bytes(),
    );
    assert_names(
        &fail(&p, Format::Recbole),
        "r.inter",
        3,
        "timestamp:float",
        "expected 3 fields, found 2",
    );
    let p = write(
        d.path(),
        "long.inter",
        format!("{INTER}1\t2\t3\t4\n").as_bytes(),
    );
    assert_names(
        &fail(&p, Format::Recbole),
        "long.inter",
        2,
        "field 4",
        "found 4",
    );
    let p = write(d.path(), "j.tsv", b"1\t2\t3\n1\t2\t3\t4\n");
    assert_names(&fail(&p, Format::Jodie), "j.tsv", 2, "field 4", "ragged");
    let p = write(
        d.path(),
        "x.inter",
        b"user_id:token\titem_id_list:token_seq\titem_id:token\n1\t2 3\n",
    );
    assert_names(
        &fail(&p, Format::Llmrank),
        "x.inter",
        2,
        "item_id:token",
        "ragged",
    );
    let p = write(d.path(), "Seq.txt", b"1 2 3\n2\n");
    assert_names(
        &fail(&p, Format::S3rec),
        "Seq.txt",
        2,
        "item 1 (field 2)",
        "ragged",
    );
}

#[test]
fn empty_files() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "empty.inter", b"");
    assert_names(
        &fail(&p, Format::Recbole),
        "empty.inter",
        1,
        "(header)",
        "no data rows",
    );
    let p = write(d.path(), "hdr.inter", INTER.as_bytes());
    assert_names(
        &fail(&p, Format::Recbole),
        "hdr.inter",
        2,
        "user_id:token",
        "no data rows",
    );
    let p = write(d.path(), "e.tsv", b"");
    assert_names(
        &fail(&p, Format::Jodie),
        "e.tsv",
        1,
        "(none)",
        "no data rows",
    );
    let p = write(d.path(), "E.txt", b"\n\n");
    assert_names(&fail(&p, Format::S3rec), "E.txt", 2, "user", "no data rows");
}

#[test]
fn duplicate_header() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "dup.inter",
        b"user_id:token\titem_id:token\tuser_id:token\n1\t2\t3\n",
    );
    assert_names(
        &fail(&p, Format::Recbole),
        "dup.inter",
        1,
        "user_id:token",
        "duplicate header",
    );
}

#[test]
fn non_utf8() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "bad.inter",
        b"user_id:token\titem_id:token\n1\t2\n\xff\xfe\t3\n",
    );
    assert_names(
        &fail(&p, Format::Recbole),
        "bad.inter",
        3,
        "user_id:token",
        "UTF-8",
    );
    let p = write(d.path(), "hdr.inter", b"user_id:token\t\xffitem\n1\t2\n");
    assert_names(
        &fail(&p, Format::Recbole),
        "hdr.inter",
        1,
        "field 2",
        "UTF-8",
    );
    let p = write(d.path(), "S.txt", b"1 2 3\n2 4 \xff5\n");
    assert_names(
        &fail(&p, Format::S3rec),
        "S.txt",
        2,
        "item 2 (field 3)",
        "UTF-8",
    );
}

#[test]
fn bad_json_attributes() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "B.txt", b"1 2 3\n");
    write(
        d.path(),
        "B_item2attributes.json",
        b"{\"2\": [1, 2],\n \"3\": 7}\n",
    );
    let msg = fail(&d.path().join("B.txt"), Format::S3rec);
    assert_names(
        &msg,
        "B_item2attributes.json",
        2,
        "column 8",
        "syntax error",
    );
}

#[test]
fn unknown_format_lists_valid_names() {
    let e = "parquet".parse::<Format>().unwrap_err();
    assert!(matches!(e, DataError::UnknownFormat { .. }));
    let msg = e.to_string();
    for name in [
        "parquet",
        "recbole",
        "jodie",
        "diginetica",
        "yoochoose",
        "s3rec",
        "llmrank",
        "csv",
    ] {
        assert!(msg.contains(name), "{msg}");
    }
    for f in Format::ALL {
        assert_eq!(f.to_string().parse::<Format>().unwrap(), f);
    }
}

#[test]
fn missing_file_and_missing_options() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("nope.inter");
    let msg = fail(&p, Format::Recbole);
    assert!(
        msg.contains("nope.inter") && msg.contains("cannot read"),
        "{msg}"
    );
    let p = write(d.path(), "c.csv", b"u,i\n1,2\n");
    assert!(fail(&p, Format::Csv).contains("csv_columns"));
}

#[test]
fn problem_is_structured() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "n.inter",
        format!("{INTER}1\t2\tnan\n").as_bytes(),
    );
    match load(&p, Format::Recbole, &LoadOptions::default()).unwrap_err() {
        DataError::Malformed {
            file,
            line,
            column,
            problem,
        } => {
            assert_eq!(file, p);
            assert_eq!(line, 2);
            assert_eq!(column, "timestamp:float");
            assert_eq!(problem, Problem::NonFinite("nan".into()));
        }
        e => panic!("unexpected {e}"),
    }
}
