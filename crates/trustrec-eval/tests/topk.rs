mod common;

use common::Lcg;
use trustrec_eval::{EvalError, MatRef, ranked_list, top_k, top_k_row};

/// Reference: full sort by (score desc, id asc) after removing excluded.
fn full_sort(scores: &[f32], excluded: &[u32]) -> Vec<u32> {
    let mut ids: Vec<u32> = (0..scores.len() as u32)
        .filter(|i| !excluded.contains(i))
        .collect();
    ids.sort_by(|&a, &b| {
        scores[b as usize]
            .partial_cmp(&scores[a as usize])
            .unwrap()
            .then(a.cmp(&b))
    });
    ids
}

#[test]
fn hand_examples() {
    let s = [0.2, 0.9, 0.5, 0.9, 0.1];
    // Order: 1 and 3 tie at 0.9 (lower id first), then 2, 0, 4.
    assert_eq!(ranked_list(&s, &[]), [1, 3, 2, 0, 4]);
    assert_eq!(top_k_row(&s, &[], 3), [1, 3, 2]);
    assert_eq!(top_k_row(&s, &[1, 1, 42], 2), [3, 2]);
    assert_eq!(top_k_row(&s, &[], 10), [1, 3, 2, 0, 4]);
    assert!(top_k_row(&s, &[], 0).is_empty());
    // NaN ranks last in the row-level helpers.
    assert_eq!(ranked_list(&[f32::NAN, 1.0, 2.0], &[]), [2, 1, 0]);
}

#[test]
fn row_topk_matches_full_sort() {
    let mut g = Lcg::new(11);
    for _ in 0..200 {
        let m = 1 + g.below(60) as usize;
        let s: Vec<f32> = (0..m).map(|_| g.int(3)).collect();
        let ex: Vec<u32> = (0..g.below(8)).map(|_| g.below(m as u32)).collect();
        let want = full_sort(&s, &ex);
        assert_eq!(ranked_list(&s, &ex), want);
        let k = 1 + g.below(m as u32 + 3) as usize;
        assert_eq!(top_k_row(&s, &ex, k), want[..k.min(want.len())]);
    }
}

#[test]
fn batched_topk_matches_full_sort() {
    let (n, m, d) = (300, 80, 5);
    let mut g = Lcg::new(12);
    let q: Vec<f32> = (0..n * d).map(|_| g.int(2)).collect();
    let it: Vec<f32> = (0..m * d).map(|_| g.int(2)).collect();
    let bias: Vec<f32> = (0..m).map(|_| g.int(1)).collect();
    let ex: Vec<Vec<u32>> = (0..n).map(|_| g.sample(m as u32, 5)).collect();
    let qm = MatRef {
        data: &q,
        rows: n,
        cols: d,
    };
    let im = MatRef {
        data: &it,
        rows: m,
        cols: d,
    };
    let got = top_k(qm, im, Some(&bias), Some(&ex), 10).unwrap();
    for r in 0..n {
        let scores: Vec<f32> = (0..m)
            .map(|j| {
                let dot: f32 = (0..d).map(|c| q[r * d + c] * it[j * d + c]).sum();
                dot + bias[j]
            })
            .collect();
        assert_eq!(got[r], full_sort(&scores, &ex[r])[..10], "row {r}");
    }
}

#[test]
fn errors() {
    let q = [1.0, 0.0];
    let it = [1.0, 2.0, f32::NAN, 0.0];
    let qm = MatRef {
        data: &q,
        rows: 1,
        cols: 2,
    };
    let im = MatRef {
        data: &it,
        rows: 2,
        cols: 2,
    };
    assert_eq!(top_k(qm, im, None, None, 0), Err(EvalError::ZeroK));
    // Item 1 scores NaN (NaN * 1 + 0 * 0).
    assert!(matches!(
        top_k(qm, im, None, None, 1),
        Err(EvalError::AtRow { row: 0, .. })
    ));
    // ...unless it is excluded.
    assert_eq!(top_k(qm, im, None, Some(&[vec![1]]), 5), Ok(vec![vec![0]]));
    assert!(matches!(
        top_k(qm, im, Some(&[1.0]), None, 1),
        Err(EvalError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        top_k(qm, im, None, Some(&[vec![2]]), 1),
        Err(EvalError::AtRow { row: 0, .. })
    ));
    let short = MatRef {
        data: &it[..3],
        rows: 2,
        cols: 2,
    };
    assert!(top_k(qm, short, None, None, 1).is_err());
}
