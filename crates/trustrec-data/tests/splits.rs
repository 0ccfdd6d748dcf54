//! Split semantics on hand-built logs with known answers.

use trustrec_data::{Case, DataError, InteractionLog, Split, SplitKind, check_leakage, split};

/// A log from `(user, item, time)` triples in file order.
fn log_of(rows: &[(&str, &str, f64)]) -> InteractionLog {
    let mut log = InteractionLog::default();
    for (r, &(u, i, t)) in rows.iter().enumerate() {
        let u = log.user_ids.get_or_insert(u);
        let i = log.item_ids.get_or_insert(i);
        log.push(u, i, t, r as u32);
    }
    log
}

fn cases(v: &[(u32, u32)]) -> Vec<Case> {
    v.iter().map(|&(user, pos)| Case { user, pos }).collect()
}

/// a: 5 items (given out of time order), b: 2 items, c: 3 items with a time tie.
fn tiny() -> InteractionLog {
    log_of(&[
        ("a", "i3", 3.0),
        ("a", "i1", 1.0),
        ("b", "i1", 10.0),
        ("a", "i2", 2.0),
        ("c", "i4", 7.0),
        ("a", "i5", 5.0),
        ("c", "i5", 7.0),
        ("a", "i4", 4.0),
        ("b", "i2", 11.0),
        ("c", "i1", 9.0),
    ])
}

#[test]
fn leave_one_out_known_answer() {
    let log = tiny();
    let s = split(&log, &SplitKind::LeaveOneOut).unwrap();
    let item = |i: u32| log.item_ids.original(i);
    let a: Vec<&str> = s.seqs.items_of(0).iter().map(|&i| item(i)).collect();
    assert_eq!(a, ["i1", "i2", "i3", "i4", "i5"]);
    // c: tie at 7.0 keeps file order (i4 before i5).
    let c: Vec<&str> = s.seqs.items_of(2).iter().map(|&i| item(i)).collect();
    assert_eq!(c, ["i4", "i5", "i1"]);
    assert_eq!(s.train_len, [3, 2, 1]);
    assert_eq!(s.valid, cases(&[(0, 3), (2, 1)]));
    assert_eq!(s.test, cases(&[(0, 4), (2, 2)]));
    assert_eq!(s.n_items(), 5);
    // Training: a: i1 i2 i3, b: i1 i2, c: i4.
    let counts = s.train_item_counts();
    let by_name = |n: &str| counts[log.item_ids.get(n).unwrap() as usize];
    assert_eq!(
        [
            by_name("i1"),
            by_name("i2"),
            by_name("i3"),
            by_name("i4"),
            by_name("i5")
        ],
        [2, 2, 1, 1, 0]
    );
    assert_eq!(s.seqs.rows_of(0), [1, 3, 0, 7, 5]);
}

#[test]
fn user_ratio_known_answer() {
    let rows: Vec<(String, String, f64)> = (0..10)
        .map(|t| ("u".to_string(), format!("i{t}"), t as f64))
        .chain((0..3).map(|t| ("v".to_string(), format!("i{t}"), t as f64)))
        .collect();
    let rows: Vec<(&str, &str, f64)> = rows.iter().map(|(u, i, t)| (&**u, &**i, *t)).collect();
    let log = log_of(&rows);
    let s = split(
        &log,
        &SplitKind::UserRatio {
            test: 0.25,
            valid: 0.25,
        },
    )
    .unwrap();
    // u: n=10 -> 3 test, 3 valid, 4 train. v: n=3 -> 1 test, 1 valid, 1 train.
    assert_eq!(s.train_len, [4, 1]);
    assert_eq!(s.valid, cases(&[(0, 4), (0, 5), (0, 6), (1, 1)]));
    assert_eq!(s.test, cases(&[(0, 7), (0, 8), (0, 9), (1, 2)]));
    let d: SplitKind = "user-ratio".parse().unwrap();
    assert_eq!(
        d,
        SplitKind::UserRatio {
            test: 0.1,
            valid: 0.1
        }
    );
}

#[test]
fn global_time_known_answer() {
    // Times 1..=10 spread over two users; cuts at the 80% and 90% quantiles: t_valid=9, t_test=10.
    let log = log_of(&[
        ("a", "x", 1.0),
        ("b", "y", 2.0),
        ("a", "y", 3.0),
        ("b", "x", 4.0),
        ("a", "z", 5.0),
        ("b", "z", 6.0),
        ("a", "w", 7.0),
        ("b", "w", 8.0),
        ("a", "v", 9.0),
        ("b", "v", 10.0),
    ]);
    let s = split(
        &log,
        &SplitKind::GlobalTime {
            test: 0.1,
            valid: 0.1,
        },
    )
    .unwrap();
    assert_eq!(s.train_len, [4, 4]);
    assert_eq!(s.valid, cases(&[(0, 4)]));
    assert_eq!(s.test, cases(&[(1, 4)]));
    check_leakage(&s).unwrap();
}

#[test]
fn session_date_known_answer() {
    let day = 86_400.0;
    let log = log_of(&[
        ("s1", "x", 0.0),
        ("s1", "y", 10.0),
        ("s2", "x", 1.5 * day),
        ("s2", "y", 1.5 * day + 5.0),
        ("s3", "y", 2.5 * day),
        ("s3", "z", 2.5 * day + 5.0),
        ("s3", "x", 2.5 * day + 9.0),
        ("s4", "z", 3.0 * day),
        ("s4", "x", 3.0 * day + 10.0),
        ("s5", "x", 3.0 * day + 20.0),
    ]);
    // End = 3d+20: test sessions start >= 2d+20, valid ones >= 1d+20; s5 has one click only.
    let s = split(&log, &"session-date".parse().unwrap()).unwrap();
    assert_eq!(s.train_len, [2, 0, 0, 0, 0]);
    assert_eq!(s.valid, cases(&[(1, 1)]));
    assert_eq!(s.test, cases(&[(2, 1), (2, 2), (3, 1)]));
}

#[test]
fn empty_parts_are_errors() {
    // Nobody has 3 interactions: no valid/test cases at all.
    let log = log_of(&[("a", "x", 1.0), ("a", "y", 2.0), ("b", "x", 1.0)]);
    let e = split(&log, &SplitKind::LeaveOneOut).unwrap_err();
    assert!(
        matches!(e, DataError::EmptySplit { part: "valid", .. }),
        "{e}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("valid") && msg.contains("leave-one-out"),
        "{msg}"
    );
    // Every session starts in the last day: no training data.
    let log = log_of(&[
        ("s", "x", 1.0),
        ("s", "y", 2.0),
        ("t", "x", 3.0),
        ("t", "y", 4.0),
    ]);
    let e = split(
        &log,
        &SplitKind::SessionDate {
            test_days: 1.0,
            valid_days: 1.0,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("train set is empty"), "{e}");
    let e = split(&InteractionLog::default(), &SplitKind::LeaveOneOut).unwrap_err();
    assert!(matches!(e, DataError::EmptySplit { part: "train", .. }));
    // Bad parameters are rejected before splitting.
    let bad = SplitKind::UserRatio {
        test: 0.6,
        valid: 0.5,
    };
    assert!(matches!(
        split(&tiny(), &bad),
        Err(DataError::InvalidOption(_))
    ));
}

#[test]
fn leakage_checker_catches_tampering() {
    let good: Split = split(&tiny(), &SplitKind::LeaveOneOut).unwrap();
    // Target inside the training prefix.
    let mut s = good.clone();
    s.test[0].pos = 1;
    assert!(matches!(
        check_leakage(&s),
        Err(DataError::Leakage {
            user: 0,
            pos: 1,
            ..
        })
    ));
    // Valid after test for the same user.
    let mut s = good.clone();
    s.valid[0].pos = 4;
    s.test[0].pos = 3;
    assert!(check_leakage(&s).is_err());
    // Training data later than the target.
    let mut s = good.clone();
    s.train_len[0] = 5;
    assert!(check_leakage(&s).is_err());
    // Out of range.
    let mut s = good;
    s.test[0].pos = 99;
    assert!(
        check_leakage(&s)
            .unwrap_err()
            .to_string()
            .contains("out of range")
    );
}

#[test]
fn split_kind_names() {
    for (s, k) in [
        ("leave-one-out", SplitKind::LeaveOneOut),
        (
            "global-time",
            SplitKind::GlobalTime {
                test: 0.1,
                valid: 0.1,
            },
        ),
        (
            "session-date",
            SplitKind::SessionDate {
                test_days: 1.0,
                valid_days: 1.0,
            },
        ),
        (
            "user-ratio:0.2,0.1",
            SplitKind::UserRatio {
                test: 0.2,
                valid: 0.1,
            },
        ),
    ] {
        let parsed: SplitKind = s.parse().unwrap();
        assert_eq!(parsed, k);
        assert_eq!(parsed.to_string().parse::<SplitKind>().unwrap(), k);
    }
    let e = "random".parse::<SplitKind>().unwrap_err().to_string();
    assert!(
        e.contains("leave-one-out") && e.contains("session-date"),
        "{e}"
    );
}
