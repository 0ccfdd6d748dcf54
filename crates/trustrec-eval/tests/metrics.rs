use trustrec_eval::{EvalError, MetricAccumulator};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn known_ranks_at_10() {
    let mut acc = MetricAccumulator::new(&[10, 1]);
    for r in [1.0, 3.0, 12.0] {
        acc.add_rank(r);
    }
    let m = acc.finish();
    assert_eq!(acc.count(), 3);
    // hit@10: ranks 1 and 3 are <= 10 -> 2/3.
    assert!(close(m["hit@10"], 2.0 / 3.0));
    assert_eq!(m["recall@10"], m["hit@10"]);
    // ndcg@10 = (1/log2(2) + 1/log2(4) + 0)/3 = (1 + 0.5)/3 = 0.5.
    assert!(close(m["ndcg@10"], 0.5));
    // mrr@10 = (1 + 1/3 + 0)/3 = 4/9.
    assert!(close(m["mrr@10"], 4.0 / 9.0));
    // mrr = (1 + 1/3 + 1/12)/3 = (12 + 4 + 1)/36 = 17/36.
    assert!(close(m["mrr"], 17.0 / 36.0));
    // At K=1 only rank 1 counts: hit = ndcg = mrr = 1/3.
    for key in ["hit@1", "recall@1", "ndcg@1", "mrr@1"] {
        assert!(close(m[key], 1.0 / 3.0), "{key}");
    }
    assert_eq!(m.len(), 9); // 4 per cutoff + "mrr"
}

#[test]
fn fractional_mean_ranks() {
    let mut acc = MetricAccumulator::new(&[2, 3]);
    acc.add_rank(2.5);
    let m = acc.finish();
    // 2.5 > 2: a miss at K=2.
    assert_eq!(m["hit@2"], 0.0);
    assert_eq!(m["ndcg@2"], 0.0);
    // 2.5 <= 3: hit; ndcg = 1/log2(3.5); mrr = 1/2.5 = 0.4.
    assert_eq!(m["hit@3"], 1.0);
    assert!(close(m["ndcg@3"], 1.0 / 3.5f64.log2()));
    assert!(close(m["mrr@3"], 0.4));
    assert!(close(m["mrr"], 0.4));
}

#[test]
fn merge_equals_sequential() {
    let ranks = [1.0, 2.0, 5.5, 40.0, 7.0, 1.5];
    let mut all = MetricAccumulator::new(&[5, 20]);
    ranks.iter().for_each(|&r| all.add_rank(r));
    let mut left = MetricAccumulator::new(&[20, 5, 5]);
    let mut right = MetricAccumulator::new(&[5, 20]);
    ranks[..2].iter().for_each(|&r| left.add_rank(r));
    ranks[2..].iter().for_each(|&r| right.add_rank(r));
    left.merge(&right);
    assert_eq!(left.count(), 6);
    for (k, v) in all.finish() {
        assert!(close(v, left.finish()[&k]), "{k}");
    }
    let mut other = MetricAccumulator::new(&[10]);
    assert!(matches!(
        other.try_merge(&left),
        Err(EvalError::KsMismatch { .. })
    ));
    other.merge(&left); // ignored, not a panic
    assert_eq!(other.count(), 0);
}

#[test]
fn bad_ranks_and_cutoffs() {
    let mut acc = MetricAccumulator::new(&[10]);
    assert!(acc.try_add_rank(f64::NAN).is_err());
    assert!(acc.try_add_rank(0.5).is_err());
    assert_eq!(acc.count(), 0);
    // add_rank counts them as misses; +inf is a plain miss.
    acc.add_rank(f64::NAN);
    acc.add_rank(f64::INFINITY);
    acc.add_rank(1.0);
    let m = acc.finish();
    assert!(close(m["hit@10"], 1.0 / 3.0));
    assert!(close(m["mrr"], 1.0 / 3.0));
    assert_eq!(MetricAccumulator::try_new(&[0, 5]), Err(EvalError::ZeroK));
    // Empty accumulator: zeros, not NaN.
    assert_eq!(MetricAccumulator::new(&[5]).finish()["mrr"], 0.0);
}
