mod common;

use std::collections::HashSet;

use common::Lcg;
use trustrec_eval::rls::{average_overlap, jaccard_at_k, rbo, try_rbo};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

/// |a[..d] ∩ b[..d]| with prefixes saturating at the list ends.
fn naive_overlap(a: &[u32], b: &[u32], d: usize) -> usize {
    let sa: HashSet<_> = a.iter().take(d).collect();
    b.iter()
        .take(d)
        .collect::<HashSet<_>>()
        .intersection(&sa)
        .count()
}

/// O(D^2) average overlap straight from the definition.
fn naive_ao(a: &[u32], b: &[u32], depth: usize) -> f64 {
    let sum: f64 = (1..=depth)
        .map(|d| naive_overlap(a, b, d) as f64 / d as f64)
        .sum();
    sum / depth as f64
}

/// Webber et al. 2010 eq. 32 written out literally.
fn naive_rbo_ext(a: &[u32], b: &[u32], p: f64) -> f64 {
    let (s_list, l_list) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let (s, l) = (s_list.len(), l_list.len());
    let x = |d: usize| naive_overlap(s_list, l_list, d) as f64;
    let sum1: f64 = (1..=l).map(|d| x(d) / d as f64 * p.powi(d as i32)).sum();
    let sum2: f64 = (s + 1..=l)
        .map(|d| x(s) * (d - s) as f64 / (s * d) as f64 * p.powi(d as i32))
        .sum();
    (1.0 - p) / p * (sum1 + sum2) + ((x(l) - x(s)) / l as f64 + x(s) / s as f64) * p.powi(l as i32)
}

#[test]
fn jaccard_known_values() {
    let a = [1, 2, 3, 4];
    let b = [2, 1, 5, 3];
    // k=3: {1,2,3} vs {2,1,5}: ∩ = {1,2} (2), ∪ = {1,2,3,5} (4) -> 0.5.
    assert_eq!(jaccard_at_k(&a, &b, 3), 0.5);
    // k=4: ∩ = {1,2,3} (3), ∪ = {1,2,3,4,5} (5) -> 0.6.
    assert_eq!(jaccard_at_k(&a, &b, 4), 0.6);
    assert_eq!(jaccard_at_k(&a, &a, 4), 1.0);
    assert_eq!(jaccard_at_k(&a, &[7, 8], 4), 0.0);
    assert_eq!(jaccard_at_k(&[], &[], 4), 1.0);
    assert_eq!(jaccard_at_k(&a, &[], 4), 0.0);
}

#[test]
fn average_overlap_known_values() {
    let a = [1, 2, 3, 4];
    let b = [2, 1, 5, 3];
    // d=1: {1}∩{2} = 0 -> 0
    // d=2: {1,2}∩{2,1} = 2 -> 2/2 = 1
    // d=3: {1,2,3}∩{2,1,5} = 2 -> 2/3
    // d=4: {1,2,3,4}∩{2,1,5,3} = 3 -> 3/4
    // AO = (0 + 1 + 2/3 + 3/4)/4 = (29/12)/4 = 29/48.
    assert!(close(average_overlap(&a, &b, None), 29.0 / 48.0));
    // depth 2: (0 + 1)/2 = 0.5.
    assert_eq!(average_overlap(&a, &b, Some(2)), 0.5);
    // Depth past the lists is clamped to the longer list.
    assert_eq!(
        average_overlap(&a, &b, Some(100)),
        average_overlap(&a, &b, None)
    );
    assert_eq!(average_overlap(&a, &a, None), 1.0);
    assert_eq!(average_overlap(&a, &[5, 6, 7, 8], None), 0.0);
    assert_eq!(average_overlap(&[], &[], None), 1.0);
}

#[test]
fn average_overlap_linear_matches_quadratic() {
    let mut g = Lcg::new(42);
    for case in 0..300 {
        let n = 1 + g.below(200);
        let len = 1 + g.below(n) as usize;
        let a = g.sample(n, len);
        let b = if case % 3 == 0 {
            // Near-identical: a few adjacent swaps.
            let mut b = a.clone();
            for _ in 0..3 {
                let len = b.len();
                let i = g.below(len as u32) as usize;
                b.swap(i, (i + 1) % len);
            }
            b
        } else {
            let len = 1 + g.below(n) as usize;
            g.sample(n, len)
        };
        let depth = a.len().max(b.len());
        // Same summation order, so equal to the last bit.
        assert_eq!(
            average_overlap(&a, &b, None),
            naive_ao(&a, &b, depth),
            "case {case}"
        );
        let d = 1 + g.below(depth as u32) as usize;
        assert_eq!(
            average_overlap(&a, &b, Some(d)),
            naive_ao(&a, &b, d),
            "case {case}"
        );
    }
    // Huge, sparse ids take the hash-map path and give the same answer.
    let a = [u32::MAX, 5, 1 << 30];
    let b = [5, u32::MAX, 9];
    assert_eq!(average_overlap(&a, &b, None), naive_ao(&a, &b, 3));
}

#[test]
fn rbo_known_values() {
    let p = 0.9;
    // a = [1,2,3], b = [1,3,2]: X1 = 1, X2 = |{1,2}∩{1,3}| = 1, X3 = 3.
    // RBO_ext = X3/3 p^3 + (1-p)/p (X1/1 p + X2/2 p^2 + X3/3 p^3)
    //         = 0.729 + (1/9)(0.9 + 0.405 + 0.729) = 0.729 + 0.226 = 0.955.
    assert!(close(rbo(&[1, 2, 3], &[1, 3, 2], p, None), 0.955));
    // Cut at depth 2: X2/2 p^2 + (1/9)(0.9 + 0.405) = 0.405 + 0.145 = 0.55.
    assert!(close(rbo(&[1, 2, 3], &[1, 3, 2], p, Some(2)), 0.55));
    // Uneven (eq. 32): L = [1,2,3,4] (l=4), S = [2,5] (s=2).
    // X1 = 0, X2 = 1, X3 = 1, X4 = 1; X_s = 1.
    // sum1 = 0 + (1/2)0.81 + (1/3)0.729 + (1/4)0.6561 = 0.812025
    // sum2 = 1*(3-2)/(2*3) 0.729 + 1*(4-2)/(2*4) 0.6561 = 0.1215 + 0.164025 = 0.285525
    // (1/9)(sum1 + sum2) = 1.09755/9 = 0.12195
    // tail = ((X4 - X2)/4 + X2/2) p^4 = 0.5 * 0.6561 = 0.32805
    // RBO_ext = 0.12195 + 0.32805 = 0.45.
    assert!(close(rbo(&[1, 2, 3, 4], &[2, 5], p, None), 0.45));
    assert!(close(rbo(&[2, 5], &[1, 2, 3, 4], p, None), 0.45));
}

#[test]
fn rbo_extremes_are_exact() {
    let a: Vec<u32> = (0..500).rev().collect();
    for p in [0.5, 0.9, 0.98] {
        assert_eq!(rbo(&a, &a, p, None), 1.0);
        assert_eq!(rbo(&a, &a, p, Some(10)), 1.0);
        assert_eq!(rbo(&a, &[1000, 1001], p, None), 0.0);
        // A list that is a prefix of the other counts as full agreement.
        assert_eq!(rbo(&a[..3], &a, p, None), 1.0);
    }
    assert_eq!(rbo(&[], &[], 0.9, None), 1.0);
    assert_eq!(rbo(&[1], &[], 0.9, None), 0.0);
}

#[test]
fn rbo_matches_eq32_on_random_lists() {
    let mut g = Lcg::new(7);
    for case in 0..200 {
        let n = 2 + g.below(60);
        let (la, lb) = (1 + g.below(n) as usize, 1 + g.below(n) as usize);
        let (a, b) = (g.sample(n, la), g.sample(n, lb));
        let p = [0.5, 0.8, 0.9, 0.95][case % 4];
        let (got, want) = (rbo(&a, &b, p, None), naive_rbo_ext(&a, &b, p));
        assert!((got - want).abs() < 1e-12, "case {case}: {got} vs {want}");
        assert!((0.0..=1.0).contains(&got));
    }
}

#[test]
fn rbo_rejects_bad_p() {
    for p in [0.0, 1.0, -0.5, f64::NAN] {
        assert!(try_rbo(&[1], &[1], p, None).is_err());
        assert!(rbo(&[1], &[1], p, None).is_nan());
    }
}

fn mat(d: &[f32], rows: usize) -> trustrec_eval::MatRef<'_> {
    trustrec_eval::MatRef::new(d, rows, 1).unwrap()
}

#[test]
fn compare_rankings_hand_computed() {
    use trustrec_eval::rls::{PairOptions, compare_rankings};
    // One-dimensional items 1, 2, 3. Query +1 ranks [2, 1, 0]; query -1 ranks [0, 1, 2].
    let items = [1.0f32, 2.0, 3.0];
    let (qa, qb) = ([1.0f32, 1.0], [1.0f32, -1.0]);
    let opts = PairOptions {
        jaccard_k: 2,
        rbo_p: 0.5,
        rbo_depth: None,
    };
    let (it, a, b) = (mat(&items, 3), mat(&qa, 2), mat(&qb, 2));
    let out = compare_rankings(a, it, b, it, &opts).unwrap();
    assert_eq!(out.len(), 2);
    // Row 0: same query, identical lists.
    assert_eq!((out[0].ao, out[0].rbo, out[0].jaccard), (1.0, 1.0, 1.0));
    // Row 1: AO = (0/1 + 1/2 + 3/3) / 3 = 0.5; top-2 {2,1} vs {0,1}: Jaccard 1/3.
    assert!((out[1].ao - 0.5).abs() < 1e-12, "{:?}", out[1]);
    assert!((out[1].jaccard - 1.0 / 3.0).abs() < 1e-12);
    assert!(out[1].rbo < 1.0);
    // Different numbers of test instances are an error, not a panic.
    assert!(compare_rankings(a, it, mat(&qb[..1], 1), it, &opts).is_err());
}
