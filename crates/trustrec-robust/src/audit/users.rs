//! Which users are hit hardest: RLS grouped by the decile of each user's accuracy under the
//! original model (mean reciprocal rank over the user's test instances).

use serde::Serialize;
use trustrec_data::Split;
use trustrec_eval::rls::PairRls;

/// Mean RLS of the users in one accuracy decile.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DecileRow {
    /// 0 = least accurate tenth of the users, 9 = most accurate.
    pub decile: usize,
    pub users: usize,
    /// Mean over the decile's users of their mean reciprocal rank.
    pub mrr: f64,
    pub ao: f64,
    pub rbo: f64,
    pub jaccard: f64,
}

/// Groups test cases (`split.test`, aligned with `ranks` and `pairs`) by user, orders users by
/// accuracy (ties by user id) and averages per decile; every user weighs the same.
pub fn by_decile(split: &Split, ranks: &[f64], pairs: &[PairRls]) -> Vec<DecileRow> {
    // Per user: [count, rr, ao, rbo, jaccard] sums.
    let mut per_user: Vec<(u32, [f64; 5])> = Vec::new();
    for ((case, &rank), p) in split.test.iter().zip(ranks).zip(pairs) {
        if per_user.last().is_none_or(|(u, _)| *u != case.user) {
            per_user.push((case.user, [0.0; 5]));
        }
        let s = &mut per_user.last_mut().expect("pushed above").1;
        for (acc, v) in s.iter_mut().zip([1.0, 1.0 / rank, p.ao, p.rbo, p.jaccard]) {
            *acc += v;
        }
    }
    let mut users: Vec<(u32, [f64; 4])> = per_user
        .into_iter()
        .map(|(u, s)| (u, [s[1] / s[0], s[2] / s[0], s[3] / s[0], s[4] / s[0]]))
        .collect();
    users.sort_by(|a, b| a.1[0].total_cmp(&b.1[0]).then(a.0.cmp(&b.0)));
    let n = users.len();
    (0..10)
        .filter_map(|d| {
            let group = &users[d * n / 10..(d + 1) * n / 10];
            if group.is_empty() {
                return None;
            }
            let mean = |j: usize| group.iter().map(|u| u.1[j]).sum::<f64>() / group.len() as f64;
            Some(DecileRow {
                decile: d,
                users: group.len(),
                mrr: mean(0),
                ao: mean(1),
                rbo: mean(2),
                jaccard: mean(3),
            })
        })
        .collect()
}
