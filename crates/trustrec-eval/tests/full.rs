mod common;

use common::Lcg;
use trustrec_eval::{
    EvalError, EvalRequest, MatRef, MetricAccumulator, TieRule, evaluate_full,
    evaluate_full_blocked, rank_of, scores_nt, scores_nt_into,
};

struct Data {
    n: usize,
    m: usize,
    d: usize,
    q: Vec<f32>,
    it: Vec<f32>,
    bias: Vec<f32>,
    targets: Vec<u32>,
    excluded: Vec<Vec<u32>>,
}

/// `val` must produce values whose dot products are exact in f32.
fn data(seed: u64, n: usize, m: usize, d: usize, val: impl Fn(&mut Lcg) -> f32) -> Data {
    let mut g = Lcg::new(seed);
    let q = (0..n * d).map(|_| val(&mut g)).collect();
    let it = (0..m * d).map(|_| val(&mut g)).collect();
    let bias = (0..m).map(|_| val(&mut g)).collect();
    let targets = (0..n).map(|_| g.below(m as u32)).collect();
    let excluded = (0..n)
        .map(|_| {
            let len = g.below(10) as usize;
            (0..len).map(|_| g.below(m as u32)).collect()
        })
        .collect();
    Data {
        n,
        m,
        d,
        q,
        it,
        bias,
        targets,
        excluded,
    }
}

impl Data {
    fn req<'a>(&'a self, bias: bool, tie: TieRule, ks: &'a [usize]) -> EvalRequest<'a> {
        EvalRequest {
            queries: MatRef {
                data: &self.q,
                rows: self.n,
                cols: self.d,
            },
            items: MatRef {
                data: &self.it,
                rows: self.m,
                cols: self.d,
            },
            bias: bias.then_some(&self.bias[..]),
            targets: &self.targets,
            excluded: Some(&self.excluded),
            tie,
            ks,
        }
    }

    /// Reference: one plain dot-product loop per row, then `rank_of`.
    fn naive_ranks(&self, bias: bool, tie: TieRule) -> Vec<f64> {
        (0..self.n)
            .map(|r| {
                let qr = &self.q[r * self.d..(r + 1) * self.d];
                let scores: Vec<f32> = (0..self.m)
                    .map(|j| {
                        let ij = &self.it[j * self.d..(j + 1) * self.d];
                        let dot: f32 = qr.iter().zip(ij).map(|(a, b)| a * b).sum();
                        dot + if bias { self.bias[j] } else { 0.0 }
                    })
                    .collect();
                rank_of(&scores, self.targets[r], &self.excluded[r], tie).unwrap()
            })
            .collect()
    }
}

const KS: [usize; 3] = [1, 10, 50];

fn check_against_naive(dt: &Data, bias: bool) {
    for tie in [TieRule::Optimistic, TieRule::Pessimistic, TieRule::Mean] {
        let want = dt.naive_ranks(bias, tie);
        let mut acc = MetricAccumulator::new(&KS);
        want.iter().for_each(|&r| acc.add_rank(r));
        let want_m = acc.finish();
        let req = dt.req(bias, tie, &KS);
        let (m, ranks) = evaluate_full(&req).unwrap();
        assert_eq!(ranks, want, "{tie} default blocks");
        assert_eq!(m, want_m, "{tie}");
        // Block sizes that split rows unevenly (600 = 2*256 + 88, etc.).
        for block in [1, 7, 256, dt.n + 5] {
            let (m2, r2) = evaluate_full_blocked(&req, block).unwrap();
            assert_eq!(r2, want, "{tie} block {block}");
            assert_eq!(m2, want_m, "{tie} block {block}");
        }
    }
}

#[test]
fn matches_naive_with_heavy_ties() {
    // Integers in -2..=2 with d = 6: many exactly tied scores.
    let dt = data(1, 600, 150, 6, |g| g.int(2));
    check_against_naive(&dt, false);
    check_against_naive(&dt, true);
}

#[test]
fn matches_naive_with_bias_d64() {
    // Multiples of 1/64 in [-1, 1]: products are multiples of 2^-12 and
    // |sums| <= 65, which fits f32's 24-bit mantissa, so every summation
    // order is exact.
    let dt = data(2, 600, 300, 64, |g| (g.unit() * 64.0).round() / 64.0);
    check_against_naive(&dt, true);
}

#[test]
fn zero_dim_and_empty_queries() {
    // d = 0: every score is just the bias. Bias [3, 1, 2], target 2 -> rank 2.
    let bias = [3.0, 1.0, 2.0];
    let req = EvalRequest {
        queries: MatRef {
            data: &[],
            rows: 1,
            cols: 0,
        },
        items: MatRef {
            data: &[],
            rows: 3,
            cols: 0,
        },
        bias: Some(&bias),
        targets: &[2],
        excluded: None,
        tie: TieRule::Optimistic,
        ks: &[1],
    };
    assert_eq!(evaluate_full(&req).unwrap().1, [2.0]);
    let empty = EvalRequest {
        queries: MatRef {
            data: &[],
            rows: 0,
            cols: 0,
        },
        targets: &[],
        ..req
    };
    let (m, ranks) = evaluate_full(&empty).unwrap();
    assert!(ranks.is_empty());
    assert_eq!(m["hit@1"], 0.0);
}

#[test]
fn errors() {
    let dt = data(3, 20, 10, 4, |g| g.int(2));
    let ks = [5];
    let base = dt.req(true, TieRule::Mean, &ks);
    let shape = |r: &EvalRequest| matches!(evaluate_full(r), Err(EvalError::ShapeMismatch { .. }));

    let bad_cols = MatRef {
        data: &dt.it[..30],
        rows: 10,
        cols: 3,
    };
    assert!(shape(&EvalRequest {
        items: bad_cols,
        ..base
    }));
    let bad_len = MatRef {
        data: &dt.q[..79],
        rows: 20,
        cols: 4,
    };
    assert!(shape(&EvalRequest {
        queries: bad_len,
        ..base
    }));
    assert!(shape(&EvalRequest {
        bias: Some(&dt.bias[..9]),
        ..base
    }));
    assert!(shape(&EvalRequest {
        targets: &dt.targets[..19],
        ..base
    }));
    assert!(shape(&EvalRequest {
        excluded: Some(&dt.excluded[..3]),
        ..base
    }));

    let zero_k = EvalRequest {
        ks: &[5, 0],
        ..base
    };
    assert_eq!(evaluate_full(&zero_k), Err(EvalError::ZeroK));

    let mut targets = dt.targets.clone();
    targets[4] = 10;
    let err = evaluate_full(&EvalRequest {
        targets: &targets,
        ..base
    })
    .unwrap_err();
    let source = Box::new(EvalError::TargetOutOfRange {
        target: 10,
        n_items: 10,
    });
    assert_eq!(err, EvalError::AtRow { row: 4, source });
    assert_eq!(
        err.to_string(),
        "row 4: target item 10 out of range for 10 items"
    );

    let mut ex = dt.excluded.clone();
    ex[7] = vec![99];
    let err = evaluate_full(&EvalRequest {
        excluded: Some(&ex),
        ..base
    })
    .unwrap_err();
    assert!(matches!(err, EvalError::AtRow { row: 7, .. }), "{err}");

    // A NaN item score poisons every row that compares against it.
    let mut items = dt.it.clone();
    items[3 * 4] = f32::NAN;
    let nan_items = MatRef {
        data: &items,
        rows: 10,
        cols: 4,
    };
    let err = evaluate_full(&EvalRequest {
        items: nan_items,
        excluded: None,
        ..base
    })
    .unwrap_err();
    match err {
        EvalError::AtRow { row: 0, source } => {
            assert_eq!(*source, EvalError::NanScore { item: 3 })
        }
        e => panic!("unexpected {e}"),
    }
}

#[test]
fn matref_helpers() {
    let data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let m = MatRef::new(&data, 2, 3).unwrap();
    assert_eq!(m.row(1), Some(&data[3..]));
    assert_eq!(m.row(2), None);
    assert!(MatRef::new(&data, 4, 2).is_err());
    assert!(MatRef::new(&data, usize::MAX, 2).is_err());
}

#[test]
fn scores_overwrite_stale_buffers() {
    // Buffers are reused without zeroing (sgemm with beta = 0 never reads them): stale NaN
    // must not leak into the scores, whatever the buffer held or how long it was.
    let a = [1.0, 2.0, 0.0, -1.0, 3.0, 1.0];
    let b = [2.0, 1.0, 1.0, 0.0, 1.0, -2.0];
    let (qa, qb) = (
        MatRef::new(&a, 2, 3).unwrap(),
        MatRef::new(&b, 2, 3).unwrap(),
    );
    let want = [4.0, 2.0, 2.0, 1.0];
    let mut buf = vec![f32::NAN; 11];
    scores_nt(qa, qb, &mut buf).unwrap();
    assert_eq!(buf, want);
    let mut out = [f32::NAN; 4];
    scores_nt_into(qa, qb, &mut out).unwrap();
    assert_eq!(out, want);
    assert!(matches!(
        scores_nt_into(qa, qb, &mut [0.0; 3]),
        Err(EvalError::ShapeMismatch { .. })
    ));
    // d = 0: every score is 0.
    let empty = MatRef::new(&[], 2, 0).unwrap();
    let mut out = [f32::NAN; 4];
    scores_nt_into(empty, empty, &mut out).unwrap();
    assert_eq!(out, [0.0; 4]);
    let mut buf = vec![f32::NAN; 4];
    scores_nt(empty, empty, &mut buf).unwrap();
    assert_eq!(buf, [0.0; 4]);
}
