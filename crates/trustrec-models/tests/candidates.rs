//! HierSRec's fast candidate ranking against a brute-force reference: the one-pass category
//! choice against a full sort, and the category-ordered, grouped scoring against ranking each
//! query's gathered candidates one by one (integer-valued vectors, so every kernel is exact and
//! ties really are ties).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use trustrec_eval::{MatRef, TieRule, rank_of};
use trustrec_models::candidates::{
    CandidateCases, CategoryChooser, CategoryIndex, choose, choose_categories,
};

/// Categories by descending logit (total order, ties to the smaller id), items until `budget`.
fn reference_choice(logits: &[f32], by_cat: &[Vec<u32>], budget: usize) -> Vec<u32> {
    let mut order: Vec<u32> = (0..logits.len() as u32).collect();
    order.sort_by(|&a, &b| {
        logits[b as usize]
            .total_cmp(&logits[a as usize])
            .then(a.cmp(&b))
    });
    let mut out = Vec::new();
    for c in order {
        for &i in &by_cat[c as usize] {
            if out.len() == budget {
                return out;
            }
            out.push(i);
        }
    }
    out
}

/// `n_cat` categories of random sizes (some empty) over items numbered in shuffled order.
fn random_categories(rng: &mut ChaCha8Rng, n_cat: usize, max_size: usize) -> Vec<Vec<u32>> {
    let sizes: Vec<usize> = (0..n_cat).map(|_| rng.gen_range(0..=max_size)).collect();
    let mut items: Vec<u32> = (0..sizes.iter().sum::<usize>() as u32).collect();
    for i in (1..items.len()).rev() {
        items.swap(i, rng.gen_range(0..=i));
    }
    let mut it = items.into_iter();
    sizes
        .iter()
        .map(|&s| it.by_ref().take(s).collect())
        .collect()
}

#[test]
fn category_choice_equals_a_full_sort() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (mut cand, mut picked, mut reused) = (Vec::new(), Vec::new(), CategoryChooser::default());
    for case in 0..400 {
        let n_cat = rng.gen_range(1..300);
        let by_cat = random_categories(&mut rng, n_cat, 12);
        let n_items: usize = by_cat.iter().map(Vec::len).sum();
        // Few distinct logits, so ties are common; some cases carry NaN (both signs), infinities
        // and -0.0 / 0.0.
        let mut logits: Vec<f32> = (0..n_cat)
            .map(|_| rng.gen_range(-4..=4) as f32 / 2.0)
            .collect();
        if case % 7 == 0 {
            logits[rng.gen_range(0..n_cat)] = f32::NAN;
            logits[rng.gen_range(0..n_cat)] = -0.0;
        }
        if case % 5 == 0 {
            logits[rng.gen_range(0..n_cat)] = -f32::NAN;
            logits[rng.gen_range(0..n_cat)] = f32::INFINITY;
            logits[rng.gen_range(0..n_cat)] = f32::NEG_INFINITY;
        }
        let budget = rng.gen_range(1..=n_items.max(1) + 3);
        choose(&logits, &by_cat, budget, &mut cand);
        assert_eq!(
            cand,
            reference_choice(&logits, &by_cat, budget),
            "case {case}"
        );
        assert_eq!(cand.len(), budget.min(n_items));
        // One chooser kept across all cases (as ranking does) leaks nothing between them.
        let mut alone = Vec::new();
        choose_categories(&logits, |c| by_cat[c as usize].len(), budget, &mut alone);
        reused.choose(&logits, |c| by_cat[c as usize].len(), budget, &mut picked);
        assert_eq!(picked, alone, "case {case}");
    }
}

#[test]
fn chosen_categories_carry_their_cut() {
    let by_cat = [vec![0, 1, 2], vec![3], vec![4, 5, 6, 7]];
    let mut picked = Vec::new();
    let size = |c: u32| by_cat[c as usize].len();
    choose_categories(&[0.2, 0.9, 0.5], size, 6, &mut picked);
    assert_eq!(picked, [(1, 1), (2, 4), (0, 1)]);
    choose_categories(&[0.2, 0.9, 0.5], size, 100, &mut picked);
    assert_eq!(
        picked,
        [(1, 1), (2, 4), (0, 3)],
        "a budget above the catalogue takes all"
    );
    choose_categories(&[0.2, 0.9, 0.5], size, 0, &mut picked);
    assert!(picked.is_empty(), "a zero budget takes nothing");
}

#[test]
fn grouped_candidate_ranking_equals_ranking_each_query_alone() {
    // With and without seen items masked.
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (dim, n_cat, n_queries) = (20, 60, 700);
    // Sizes 0..=40: both narrow slabs (dot products) and wide ones (sgemm) occur.
    let by_cat = random_categories(&mut rng, n_cat, 40);
    let n_items: usize = by_cat.iter().map(Vec::len).sum();
    let small = |rng: &mut ChaCha8Rng, n: usize| -> Vec<f32> {
        (0..n).map(|_| rng.gen_range(-2..=2) as f32).collect()
    };
    let items = small(&mut rng, n_items * dim);
    let queries = small(&mut rng, n_queries * dim);
    let logits = small(&mut rng, n_queries * n_cat);
    let targets: Vec<u32> = (0..n_queries)
        .map(|_| rng.gen_range(0..n_items as u32))
        .collect();
    // Seen items to mask: random ones, sometimes the target itself (never masked) or repeats.
    let seen: Vec<Vec<u32>> = (0..n_queries)
        .map(|r| {
            let mut s: Vec<u32> = (0..rng.gen_range(0..30))
                .map(|_| rng.gen_range(0..n_items as u32))
                .collect();
            if r % 9 == 0 {
                s.push(targets[r]);
            }
            s
        })
        .collect();
    // Without and with a popular head: items every case ranks, taken out of their categories.
    let head: Vec<u32> = (0..n_items as u32).rev().step_by(5).take(9).collect();
    for head in [&[][..], &head[..]] {
        check_grouped_ranking(&by_cat, head, &items, &queries, &logits, &targets, &seen);
    }
}

#[allow(clippy::too_many_arguments)]
fn check_grouped_ranking(
    by_cat: &[Vec<u32>],
    head: &[u32],
    items: &[f32],
    queries: &[f32],
    logits: &[f32],
    targets: &[u32],
    seen: &[Vec<u32>],
) {
    let (n_queries, n_cat) = (targets.len(), by_cat.len());
    let dim = queries.len() / n_queries;
    let n_items: usize = by_cat.iter().map(Vec::len).sum();
    let index = CategoryIndex::with_head(by_cat, head, items, dim);
    let rest: Vec<Vec<u32>> = by_cat
        .iter()
        .map(|l| l.iter().copied().filter(|i| !head.contains(i)).collect())
        .collect();
    let q = MatRef::new(queries, n_queries, dim).unwrap();
    for (budget, masked) in [
        (1, false),
        (37, true),
        (n_items / 4, false),
        (n_items / 4, true),
    ]
    .into_iter()
    .chain([(n_items, false), (n_items, true)])
    {
        let budget = budget.max(head.len() + 1);
        let excluded = masked.then_some(seen);
        for tie in [TieRule::Optimistic, TieRule::Pessimistic, TieRule::Mean] {
            let cases = CandidateCases {
                queries: q,
                logits: MatRef::new(logits, n_queries, n_cat).unwrap(),
                targets,
                excluded,
            };
            let ranks = index.rank(&cases, budget, tie).unwrap();
            let (mut covered, mut moved) = (0, 0);
            for r in 0..n_queries {
                let lg = &logits[r * n_cat..][..n_cat];
                let mut cand = head.to_vec();
                cand.extend(reference_choice(lg, &rest, budget - head.len()));
                let qr = &queries[r * dim..][..dim];
                let scores: Vec<f32> = cand
                    .iter()
                    .map(|&i| {
                        let v = &items[i as usize * dim..][..dim];
                        qr.iter().zip(v).map(|(a, b)| a * b).sum()
                    })
                    .collect();
                // Positions of the seen items among the candidates.
                let skip: Vec<u32> = excluded.map_or(Vec::new(), |e| {
                    e[r].iter()
                        .filter_map(|&i| cand.iter().position(|&c| c == i))
                        .map(|p| p as u32)
                        .collect()
                });
                let pos = cand.iter().position(|&i| i == targets[r]);
                let want = pos.map(|p| rank_of(&scores, p as u32, &skip, tie).unwrap());
                let unmasked = pos.map(|p| rank_of(&scores, p as u32, &[], tie).unwrap());
                moved += usize::from(want != unmasked);
                assert_eq!(
                    ranks[r],
                    want,
                    "head {}, budget {budget}, mask {masked}, {tie}, query {r}",
                    head.len()
                );
                covered += usize::from(want.is_some());
            }
            assert!(
                budget < 37 || covered > 0,
                "budget {budget}: nothing covered, too weak"
            );
            if budget == n_items {
                assert_eq!(covered, n_queries);
            }
            assert_eq!(
                masked && budget > 1,
                moved > 0,
                "budget {budget}: masking moved {moved}"
            );
        }
    }
}
