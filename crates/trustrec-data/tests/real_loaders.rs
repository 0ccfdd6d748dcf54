//! Every loader on the real shared datasets, checked against known counts.

mod common;

use trustrec_data::{Format, LoadOptions, Loaded, load};

fn load_ok(path: &std::path::Path, format: Format) -> Loaded {
    let loaded = load(path, format, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("loading {}: {e}", path.display()));
    let l = &loaded;
    assert_eq!(l.catalog.titles.len(), l.log.n_items());
    for f in &l.catalog.fields {
        assert_eq!(f.offsets.len(), l.log.n_items() + 1, "field {}", f.name);
    }
    assert_eq!(l.log.users.len(), l.log.items.len());
    assert_eq!(l.log.times.len(), l.log.rows.len());
    assert_eq!(l.source.hash, common::sha256_of(&l.source.files));
    assert_eq!(l.source.format, format);
    loaded
}

fn counts(l: &Loaded) -> (usize, usize, usize) {
    (l.log.len(), l.log.n_users(), l.log.n_items())
}

#[test]
fn real_ml100k_recbole() {
    let d = datasets_or_skip!();
    let dir = d.join("ml-100k");
    let l = load_ok(&dir, Format::Recbole);
    assert_eq!(counts(&l), (100_000, 943, 1_682));
    assert_eq!(
        l.source.files,
        vec![dir.join("ml-100k.inter"), dir.join("ml-100k.item")]
    );
    assert_eq!(
        l.source.hash,
        "00ca7badbed2eef44dab473ae9ee2801fc0e1d415774a8cba3bc1b0350a8124d"
    );
    // First data row: 196 242 3 881250949.
    assert_eq!(l.log.user_ids.original(l.log.users[0]), "196");
    assert_eq!(l.log.item_ids.original(l.log.items[0]), "242");
    assert_eq!(l.log.times[0], 881_250_949.0);
    assert_eq!(l.log.rows[..3], [0, 1, 2]);
    let toy = l.log.item_ids.get("1").unwrap() as usize;
    assert_eq!(l.catalog.titles[toy].as_deref(), Some("Toy Story"));
    assert!(l.catalog.titles.iter().all(Option::is_some));
    let names: Vec<&str> = l.catalog.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["release_year", "class"]);
    let class = &l.catalog.fields[1];
    assert_eq!(class.values.len(), 19);
    assert_eq!(class.flat.len(), 2_893);
    let genres: Vec<&str> = class
        .values_of(toy)
        .iter()
        .map(|&v| class.values.original(v))
        .collect();
    assert_eq!(genres, ["Animation", "Children's", "Comedy"]);
    assert_eq!(l.catalog.fields[0].values.len(), 73);
    // Same result from the .inter file itself.
    let again = load_ok(&dir.join("ml-100k.inter"), Format::Recbole);
    assert_eq!(again.log, l.log);
    let s = l.log.stats();
    assert_eq!((s.min_user_len, s.max_user_len), (20, 737));
    assert!((s.density - 100_000.0 / (943.0 * 1682.0)).abs() < 1e-12);
}

#[test]
fn real_jodie() {
    let d = datasets_or_skip!();
    for (name, want) in [
        ("wikipedia", (157_474, 8_227, 1_000)),
        ("reddit", (134_489, 8_640, 966)),
        ("foursquare", (194_105, 2_321, 5_596)),
    ] {
        let l = load_ok(&d.join(format!("jodie/{name}.tsv")), Format::Jodie);
        assert_eq!(counts(&l), want, "{name}");
        assert_eq!(*l.log.rows.last().unwrap() as usize, want.0 - 1);
    }
    let wiki = load_ok(&d.join("jodie/wikipedia.tsv"), Format::Jodie);
    // Row 2 is `1 1 1 36.000`: the leading index is not the user.
    assert_eq!(wiki.log.user_ids.original(wiki.log.users[1]), "1");
    assert_eq!(wiki.log.times[1], 36.0);
}

#[test]
fn real_diginetica() {
    let d = datasets_or_skip!();
    let l = load_ok(
        &d.join("sessions/diginetica-sample.csv"),
        Format::Diginetica,
    );
    // The README says 12,390 views; the file holds 12,391 data rows (no trailing newline).
    assert_eq!(counts(&l), (12_391, 2_986, 7_139));
    // 2016-05-09 = day 16,930; timeframe 526,309 ms.
    assert_eq!(l.log.times[0], 16_930.0 * 86_400.0 + 526.309);
}

#[test]
fn real_yoochoose() {
    let d = datasets_or_skip!();
    let train = load_ok(
        &d.join("sessions/yoochoose-clicks-100k_train_full.txt"),
        Format::Yoochoose,
    );
    assert_eq!(counts(&train), (70_278, 17_794, 2_933));
    let test = load_ok(
        &d.join("sessions/yoochoose-clicks-100k_test.txt"),
        Format::Yoochoose,
    );
    assert_eq!(counts(&test), (13_568, 3_416, 1_771));
    let both = load_ok(&d.join("sessions"), Format::Yoochoose);
    assert_eq!(counts(&both), (83_846, 21_210, 2_933));
    assert!(both.source.files[0].ends_with("yoochoose-clicks-100k_train_full.txt"));
    assert_eq!(both.log.rows[70_278], 70_278);
}

#[test]
fn real_beauty_s3rec() {
    let d = datasets_or_skip!();
    let l = load_ok(&d.join("amazon-beauty/Beauty.txt"), Format::S3rec);
    assert_eq!(counts(&l), (198_502, 22_363, 12_101));
    assert_eq!(l.source.files.len(), 2);
    let attrs = &l.catalog.fields[0];
    assert_eq!(attrs.name, "attributes");
    assert_eq!(attrs.values.len(), 637);
    // {"4": [1, 2, 3], ...}
    let item4 = l.log.item_ids.get("4").unwrap() as usize;
    let vals: Vec<&str> = attrs
        .values_of(item4)
        .iter()
        .map(|&v| attrs.values.original(v))
        .collect();
    assert_eq!(vals, ["1", "2", "3"]);
    // Line 1 is `1 1 2 3 4 5`: positions are times, the line index is the row.
    assert_eq!(l.log.times[..5], [0.0, 1.0, 2.0, 3.0, 4.0]);
    assert_eq!(l.log.rows[4..6], [0, 1]);
}

#[test]
fn real_games_llmrank() {
    let d = datasets_or_skip!();
    let dir = d.join("amazon-games-text");
    let l = load_ok(&dir, Format::Llmrank);
    assert_eq!(counts(&l), (440_264, 50_546, 16_859));
    assert_eq!(
        l.source.files,
        vec![dir.join("Games-6k.test.inter"), dir.join("Games.item")]
    );
    let item0 = l.log.item_ids.get("0").unwrap() as usize;
    assert_eq!(
        l.catalog.titles[item0].as_deref(),
        Some("Fire Emblem: The Sacred Stones")
    );
    assert!(l.catalog.titles.iter().all(Option::is_some));
    assert!(
        !l.catalog
            .titles
            .iter()
            .flatten()
            .any(|t| t.contains("&amp;"))
    );
    // User 0: history 0..=13 then target 14.
    let seqs = trustrec_data::Sequences::from_log(&l.log);
    let u0 = l.log.user_ids.get("0").unwrap() as usize;
    let orig: Vec<&str> = seqs
        .items_of(u0)
        .iter()
        .map(|&i| l.log.item_ids.original(i))
        .collect();
    let want: Vec<String> = (0..=14).map(|i| i.to_string()).collect();
    assert_eq!(orig, want);
    // The valid file gives one item less per user.
    let valid = load_ok(&dir.join("Games-6k.valid.inter"), Format::Llmrank);
    assert_eq!(valid.log.len(), 440_264 - 50_546);
    assert_eq!(valid.source.files[1], dir.join("Games.item"));
}
