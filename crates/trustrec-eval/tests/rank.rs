use trustrec_eval::{EvalError, TieRule, rank_in_pieces, rank_of};

const ALL: [TieRule; 3] = [TieRule::Optimistic, TieRule::Pessimistic, TieRule::Mean];

fn ranks(scores: &[f32], target: u32, excluded: &[u32]) -> Vec<f64> {
    ALL.iter()
        .map(|&t| rank_of(scores, target, excluded, t).unwrap())
        .collect()
}

#[test]
fn ties_under_all_rules() {
    // Target 0 scores 0.5. Strictly higher: items 1, 5 (0.9) -> 2.
    // Tied (excluding the target): items 2, 4 -> 2.
    // optimistic = 1 + 2 = 3; pessimistic = 1 + 2 + 2 = 5; mean = 4.
    let s = [0.5, 0.9, 0.5, 0.1, 0.5, 0.9];
    assert_eq!(ranks(&s, 0, &[]), [3.0, 5.0, 4.0]);
    // Target 3 (0.1) is last: 5 higher, no ties -> 6 under every rule.
    assert_eq!(ranks(&s, 3, &[]), [6.0, 6.0, 6.0]);
    // Target 1 (0.9): nothing higher, one tie (item 5) -> 1, 2, 1.5.
    assert_eq!(ranks(&s, 1, &[]), [1.0, 2.0, 1.5]);
}

#[test]
fn all_equal_scores() {
    // 4 items all tied: optimistic 1, pessimistic 1 + 3 = 4, mean 2.5.
    assert_eq!(ranks(&[1.0; 4], 2, &[]), [1.0, 4.0, 2.5]);
    // -0.0 == 0.0, so they tie.
    assert_eq!(ranks(&[0.0, -0.0], 0, &[]), [1.0, 2.0, 1.5]);
}

#[test]
fn excluded_items_are_ignored() {
    let s = [0.5, 0.9, 0.5, 0.1, 0.5, 0.9];
    // Exclude 1 (higher) and 2 (tie); the duplicate 2 counts once and the
    // target 0 is never excluded. Left: higher {5}, ties {4}
    // -> optimistic 2, pessimistic 3, mean 2.5.
    assert_eq!(ranks(&s, 0, &[1, 2, 2, 0]), [2.0, 3.0, 2.5]);
    // Excluding lower items changes nothing: still 3, 5, 4.
    assert_eq!(ranks(&s, 0, &[3]), [3.0, 5.0, 4.0]);
}

#[test]
fn infinities_compare_normally() {
    let s = [f32::INFINITY, 1.0, f32::NEG_INFINITY];
    assert_eq!(ranks(&s, 1, &[]), [2.0, 2.0, 2.0]);
    assert_eq!(ranks(&s, 2, &[]), [3.0, 3.0, 3.0]);
}

#[test]
fn nan_only_matters_where_compared() {
    let s = [f32::NAN, 0.3, 0.7];
    // Item 0 is excluded, so its NaN is never compared: rank of 1 is 2.
    assert_eq!(rank_of(&s, 1, &[0], TieRule::Optimistic), Ok(2.0));
    assert_eq!(
        rank_of(&s, 1, &[], TieRule::Optimistic),
        Err(EvalError::NanScore { item: 0 })
    );
    // A NaN target is an error even if listed as excluded.
    assert_eq!(
        rank_of(&s, 0, &[0], TieRule::Mean),
        Err(EvalError::NanScore { item: 0 })
    );
}

#[test]
fn bad_ids_are_errors() {
    let s = [0.1, 0.2];
    assert_eq!(
        rank_of(&s, 2, &[], TieRule::Optimistic),
        Err(EvalError::TargetOutOfRange {
            target: 2,
            n_items: 2
        })
    );
    assert_eq!(
        rank_of(&s, 0, &[7], TieRule::Optimistic),
        Err(EvalError::ExcludedOutOfRange {
            item: 7,
            n_items: 2
        })
    );
    assert!(rank_of(&[], 0, &[], TieRule::Optimistic).is_err());
}

#[test]
fn tie_rule_parsing() {
    assert_eq!("optimistic".parse(), Ok(TieRule::Optimistic));
    assert_eq!(" Pessimistic ".parse(), Ok(TieRule::Pessimistic));
    assert_eq!("mean".parse(), Ok(TieRule::Mean));
    assert!("median".parse::<TieRule>().is_err());
    assert_eq!(TieRule::default(), TieRule::Optimistic);
    assert_eq!(TieRule::Mean.to_string(), "mean");
}

#[test]
fn a_row_in_pieces_ranks_like_the_whole_row() {
    // Ties, an excluded tie, an excluded higher item, a NaN (excluded, then not) and empty
    // pieces: every split of the row must give rank_of's answer, errors included.
    let s = [0.5, 0.9, 0.5, 0.1, f32::NAN, 0.5, 0.9, -1.0];
    let cases: [(u32, &[u32]); 5] = [
        (0, &[4]),
        (2, &[1, 4, 5, 5]),
        (3, &[4, 0]),
        (6, &[4]),
        (0, &[]),
    ];
    let mut mask = Vec::new();
    for (target, excluded) in cases {
        for cuts in [vec![], vec![0, 3], vec![1, 1, 5], vec![2, 4, 6, 7, 8]] {
            let mut pieces = Vec::new();
            let mut from = 0;
            for &c in cuts.iter().chain([&s.len()]) {
                pieces.push(&s[from..c]);
                from = c;
            }
            for tie in ALL {
                assert_eq!(
                    rank_in_pieces(&pieces, target, excluded, tie, &mut mask),
                    rank_of(&s, target, excluded, tie),
                    "target {target}, excluded {excluded:?}, cuts {cuts:?}"
                );
                assert!(mask.iter().all(|&m| !m), "mask left clean");
            }
        }
    }
    assert_eq!(
        rank_in_pieces(&[&s[..3], &s[3..]], 8, &[], TieRule::Mean, &mut mask),
        Err(EvalError::TargetOutOfRange {
            target: 8,
            n_items: 8
        })
    );
}
