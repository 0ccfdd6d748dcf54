//! Every split kind on real data passes the leakage check, with plausible sizes.

mod common;

use trustrec_data::{
    Format, LoadOptions, Split, SplitKind, check_leakage, filter_k_core, load, split,
};

fn checked(log: &trustrec_data::InteractionLog, kind: &str) -> Split {
    let kind: SplitKind = kind.parse().unwrap();
    let s = split(log, &kind).unwrap_or_else(|e| panic!("{kind}: {e}"));
    check_leakage(&s).unwrap();
    assert_eq!(s.seqs.items.len(), log.len());
    assert!(s.n_train() > 0 && !s.valid.is_empty() && !s.test.is_empty());
    s
}

#[test]
fn real_ml100k_all_user_and_time_splits() {
    let d = datasets_or_skip!();
    let log = load(&d.join("ml-100k"), Format::Recbole, &LoadOptions::default())
        .unwrap()
        .log;
    let loo = checked(&log, "leave-one-out");
    // Every ml-100k user has >= 20 ratings.
    assert_eq!((loo.valid.len(), loo.test.len()), (943, 943));
    assert_eq!(loo.n_train(), 100_000 - 2 * 943);
    let ratio = checked(&log, "user-ratio");
    assert!(ratio.test.len() >= 10_000 && ratio.valid.len() >= 10_000);
    let global = checked(&log, "global-time");
    // Quantile cuts: about 10% each (ties at the cut may add a few).
    assert!(
        (10_000..10_200).contains(&global.test.len()),
        "{}",
        global.test.len()
    );
    assert!(
        (9_800..10_200).contains(&global.valid.len()),
        "{}",
        global.valid.len()
    );
    let k = filter_k_core(&log, 5, 5);
    checked(&k, "leave-one-out");
}

#[test]
fn real_jodie_and_s3rec_splits() {
    let d = datasets_or_skip!();
    let wiki = load(
        &d.join("jodie/wikipedia.tsv"),
        Format::Jodie,
        &LoadOptions::default(),
    )
    .unwrap()
    .log;
    for kind in ["leave-one-out", "user-ratio", "global-time"] {
        checked(&wiki, kind);
    }
    let beauty = load(
        &d.join("amazon-beauty/Beauty.txt"),
        Format::S3rec,
        &LoadOptions::default(),
    )
    .unwrap()
    .log;
    let loo = checked(&beauty, "leave-one-out");
    // S3-Rec users all have >= 5 items, so every user is evaluated.
    assert_eq!(loo.test.len(), 22_363);
}

#[test]
fn real_session_date_splits() {
    let d = datasets_or_skip!();
    let digi = load(
        &d.join("sessions/diginetica-sample.csv"),
        Format::Diginetica,
        &LoadOptions::default(),
    )
    .unwrap()
    .log;
    let s = checked(&digi, "session-date");
    // Test sessions: the 26 multi-click sessions dated 2016-06-01 (37 sessions that day).
    let test_sessions: std::collections::BTreeSet<u32> = s.test.iter().map(|c| c.user).collect();
    assert_eq!((test_sessions.len(), s.test.len()), (26, 138));
    assert_eq!(s.valid.len(), 206);
    let last_day = 16_953.0 * 86_400.0; // 2016-06-01
    for &u in &test_sessions {
        assert!(s.seqs.times_of(u as usize)[0] >= last_day);
    }
    let yoo = load(
        &d.join("sessions"),
        Format::Yoochoose,
        &LoadOptions::default(),
    )
    .unwrap()
    .log;
    let s = checked(&yoo, "session-date");
    // The provided test file is the last day; sessions starting then are test sessions.
    let test_file = load(
        &d.join("sessions/yoochoose-clicks-100k_test.txt"),
        Format::Yoochoose,
        &LoadOptions::default(),
    )
    .unwrap()
    .log;
    // 3,416 sessions in the test file; one starts 8 s before the 24 h cut and is valid instead.
    let test_sessions: std::collections::BTreeSet<u32> = s.test.iter().map(|c| c.user).collect();
    assert_eq!((test_sessions.len(), s.test.len()), (3_415, 10_149));
    for c in &s.test {
        let sid = yoo.user_ids.original(c.user);
        assert!(test_file.user_ids.get(sid).is_some(), "session {sid}");
    }
    // Other kinds also work on sessions.
    checked(&yoo, "global-time");
}

#[test]
fn real_llmrank_leave_one_out_matches_files() {
    let d = datasets_or_skip!();
    let dir = d.join("amazon-games-text");
    let l = load(&dir, Format::Llmrank, &LoadOptions::default()).unwrap();
    let s = checked(&l.log, "leave-one-out");
    // Test target = the test file's last column; valid target = the valid file's.
    let test_file = std::fs::read_to_string(dir.join("Games-6k.test.inter")).unwrap();
    let first = test_file.lines().nth(1).unwrap();
    let target = first.rsplit('\t').next().unwrap();
    let case = s
        .test
        .iter()
        .find(|c| l.log.user_ids.original(c.user) == "0")
        .unwrap();
    let got = s.seqs.items_of(case.user as usize)[case.pos as usize];
    assert_eq!(l.log.item_ids.original(got), target);
}
