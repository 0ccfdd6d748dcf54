//! Loader behaviour on small temporary files: csv options, directories, catalogs, hashing.

mod common;

use common::write;
use trustrec_data::{ColumnMap, Format, LoadOptions, load};

fn cols(user: &str, item: &str, time: Option<&str>) -> LoadOptions {
    LoadOptions {
        csv_columns: Some(ColumnMap {
            user: user.into(),
            item: item.into(),
            time: time.map(String::from),
        }),
        ..Default::default()
    }
}

#[test]
fn csv_with_header_quotes_and_hash() {
    let d = tempfile::tempdir().unwrap();
    let bytes = b"when,who,what\n5,\"a,1\",x\n3,b,y\n";
    let p = write(d.path(), "log.csv", bytes);
    let l = load(&p, Format::Csv, &cols("who", "what", Some("when"))).unwrap();
    assert_eq!(l.log.len(), 2);
    assert_eq!(l.log.user_ids.original(0), "a,1");
    assert_eq!(l.log.times, [5.0, 3.0]);
    assert_eq!(l.source.files, [p]);
    assert_eq!(l.source.hash, common::sha256_of(&l.source.files));
    assert_eq!(l.source.hash.len(), 64);
}

#[test]
fn csv_without_header_by_index_and_custom_delimiter() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "log.psv", b"u1|i1\nu2|i1\nu1|i2\n");
    let mut opts = cols("0", "1", None);
    opts.delimiter = Some(b'|');
    opts.has_header = Some(false);
    let l = load(&p, Format::Csv, &opts).unwrap();
    assert_eq!((l.log.len(), l.log.n_users(), l.log.n_items()), (3, 2, 2));
    // Without a time column, the data row is the time.
    assert_eq!(l.log.times, [0.0, 1.0, 2.0]);
    let bad = write(d.path(), "bad.psv", b"u1|i1\nu2\n");
    let msg = load(&bad, Format::Csv, &opts).unwrap_err().to_string();
    assert!(
        msg.contains("bad.psv") && msg.contains("line 2") && msg.contains("`1`"),
        "{msg}"
    );
}

#[test]
fn recbole_directory_with_catalog_only_items() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("toy");
    std::fs::create_dir(&dir).unwrap();
    write(
        &dir,
        "toy.inter",
        b"user_id:token\titem_id:token\trating:float\n1\tb\t5\n2\ta\t3\n",
    );
    write(
        &dir,
        "toy.item",
        b"item_id:token\tmovie_title:token_seq\tgenre:token_seq\tprice:float\n\
          a\tThe A &amp; B\tx y\t1.5\nz\tOnly In Catalog\ty\t2\n",
    );
    let l = load(&dir, Format::Recbole, &LoadOptions::default()).unwrap();
    // No timestamp column: rows are times.
    assert_eq!(l.log.times, [0.0, 1.0]);
    // b, a from the log, then z appended from the catalog.
    assert_eq!(l.log.item_ids.iter().collect::<Vec<_>>(), ["b", "a", "z"]);
    assert_eq!(
        l.catalog.titles,
        [
            None,
            Some("The A & B".into()),
            Some("Only In Catalog".into())
        ]
    );
    assert_eq!(l.catalog.fields.len(), 1, "float column skipped");
    let g = &l.catalog.fields[0];
    assert_eq!(g.name, "genre");
    assert_eq!(g.offsets, [0, 0, 2, 3]);
    assert_eq!(
        g.values_of(2)
            .iter()
            .map(|&v| g.values.original(v))
            .collect::<Vec<_>>(),
        ["y"]
    );
    assert_eq!(l.source.files.len(), 2);
    assert_eq!(l.source.hash, common::sha256_of(&l.source.files));
}

#[test]
fn llmrank_prefers_test_file_and_continues_positions() {
    let d = tempfile::tempdir().unwrap();
    let h = "user_id:token\titem_id_list:token_seq\titem_id:token\n";
    write(
        d.path(),
        "T-1k.valid.inter",
        format!("{h}u\ta b\tc\n").as_bytes(),
    );
    write(
        d.path(),
        "T-1k.test.inter",
        format!("{h}u\ta b c\td\nv\t\te\n").as_bytes(),
    );
    write(
        d.path(),
        "T.item",
        b"item_id:token\ttitle:token_seq\nd\tDee\n",
    );
    let l = load(d.path(), Format::Llmrank, &LoadOptions::default()).unwrap();
    assert!(l.source.files[0].ends_with("T-1k.test.inter"));
    assert_eq!(l.log.len(), 5);
    assert_eq!(l.log.times, [0.0, 1.0, 2.0, 3.0, 0.0]);
    assert_eq!(l.log.rows, [0, 0, 0, 0, 1]);
    let dee = l.log.item_ids.get("d").unwrap() as usize;
    assert_eq!(l.catalog.titles[dee].as_deref(), Some("Dee"));
}

#[test]
fn jodie_handles_crlf_and_both_widths() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "f.tsv", b"1\t2\t3\r\n1\t4\t5\r\n");
    let l = load(&p, Format::Jodie, &LoadOptions::default()).unwrap();
    assert_eq!(l.log.times, [3.0, 5.0]);
    assert_eq!(l.log.item_ids.original(1), "4");
}

#[test]
fn header_bom_is_ignored() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "bom.csv", "\u{feff}u,i\n1,2\n".as_bytes());
    let l = load(&p, Format::Csv, &cols("u", "i", None)).unwrap();
    assert_eq!(l.log.len(), 1);
}
