//! Perturbations: budgets, the three kinds, exact reproducibility, and writing the perturbed
//! log back in JODIE format so that reloading it gives the perturbed events.

use std::path::Path;

use trustrec_data::{Format, InteractionLog};
use trustrec_robust::write::write_perturbed;
use trustrec_robust::{
    Budget, CasperOptions, ItemChoice, Kind, Method, PerturbSpec, ProtocolData, perturb,
};

/// 30 users x 12 rows, items cycling over 25, times increasing with ties across users.
fn log() -> InteractionLog {
    let mut log = InteractionLog::default();
    let mut row = 0;
    for t in 0..12 {
        for u in 0..30 {
            let uid = log.user_ids.get_or_insert(&format!("u{u}"));
            let iid = log
                .item_ids
                .get_or_insert(&format!("i{}", (u * 7 + t * 3) % 25));
            log.push(uid, iid, t as f64, row);
            row += 1;
        }
    }
    log
}

fn spec(method: Method, kind: Kind, budget: Budget, seed: u64) -> PerturbSpec {
    PerturbSpec {
        method,
        kind,
        budget,
        item: ItemChoice::Random,
        casper: CasperOptions::default(),
        seed,
    }
}

#[test]
fn budgets_parse_and_resolve() {
    assert_eq!("10".parse::<Budget>().unwrap(), Budget::Count(10));
    assert_eq!("0.1%".parse::<Budget>().unwrap(), Budget::Fraction(0.001));
    assert_eq!(Budget::Fraction(0.001).resolve(157_474).unwrap(), 157);
    assert_eq!(Budget::Fraction(0.001).resolve(10).unwrap(), 1);
    assert_eq!(Budget::Fraction(0.0).resolve(10).unwrap(), 0);
    for bad in ["abc", "-1", "101%", "x%"] {
        assert!(bad.parse::<Budget>().is_err(), "{bad} should not parse");
    }
    let e = Budget::Count(11).resolve(10).unwrap_err().to_string();
    assert!(e.contains("exceeds the 10 training rows"), "{e}");
}

#[test]
fn kinds_edit_exactly_the_chosen_rows() {
    let data = ProtocolData::new(&log(), 10, 0.1).unwrap();
    let n = data.events.len();
    let del = perturb(
        &data,
        &spec(Method::Random, Kind::Deletion, Budget::Count(5), 3),
    )
    .unwrap();
    assert_eq!(del.chosen.len(), 5);
    assert_eq!(del.events.len(), n - 5);
    let gone: Vec<u32> = del.chosen.iter().map(|c| c.row).collect();
    assert!(del.events.iter().all(|e| !gone.contains(&e.row.unwrap())));

    let rep = perturb(
        &data,
        &spec(Method::Random, Kind::Replacement, Budget::Count(5), 3),
    )
    .unwrap();
    assert_eq!(rep.events.len(), n);
    let changed: Vec<usize> = (0..n)
        .filter(|&i| rep.events[i].item != data.events[i].item)
        .collect();
    assert_eq!(changed.len(), 5, "every replacement changes the item");
    for &i in &changed {
        assert!(
            rep.chosen
                .iter()
                .any(|c| c.row == data.events[i].row.unwrap())
        );
    }

    let ins = perturb(
        &data,
        &spec(Method::Casper, Kind::Insertion, Budget::Count(3), 3),
    )
    .unwrap();
    assert_eq!(ins.events.len(), n + 3);
    for c in &ins.chosen {
        let at = ins
            .events
            .iter()
            .position(|e| e.row == Some(c.row))
            .unwrap();
        let before = ins.events[at - 1];
        assert_eq!(before.row, None);
        assert_eq!(before.user, ins.events[at].user);
        assert_eq!(before.time, ins.events[at].time);
        assert_eq!(
            data.item_ids.original(before.item),
            c.new_item.as_deref().unwrap()
        );
        assert!(!ins.events[at].test);
    }
    // The perturbed data still splits without leakage; test cases are untouched.
    let s = data.split_of(&ins.events).unwrap();
    assert_eq!(s.test.len(), data.split().unwrap().test.len());
}

#[test]
fn same_spec_same_perturbation_and_casper_is_best_first() {
    let data = ProtocolData::new(&log(), 10, 0.1).unwrap();
    for method in [Method::Random, Method::Casper] {
        let s = spec(method, Kind::Replacement, Budget::Fraction(0.02), 9);
        let (a, b) = (perturb(&data, &s).unwrap(), perturb(&data, &s).unwrap());
        assert_eq!(a.events, b.events);
        let rows =
            |p: &trustrec_robust::Perturbation| p.chosen.iter().map(|c| c.row).collect::<Vec<_>>();
        assert_eq!(rows(&a), rows(&b));
        assert!(a.chosen.iter().all(|c| !data.events[c.event as usize].test));
        if method == Method::Casper {
            let scores: Vec<u32> = a.chosen.iter().map(|c| c.score.unwrap()).collect();
            assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        }
    }
    let r1 = perturb(
        &data,
        &spec(Method::Random, Kind::Deletion, Budget::Count(8), 1),
    )
    .unwrap();
    let r2 = perturb(
        &data,
        &spec(Method::Random, Kind::Deletion, Budget::Count(8), 2),
    )
    .unwrap();
    assert_ne!(
        r1.events, r2.events,
        "different seeds choose different rows"
    );
}

#[test]
fn least_popular_replacement_uses_the_rarest_training_item() {
    let data = ProtocolData::new(&log(), 10, 0.1).unwrap();
    let counts = data.train_item_counts();
    let mut s = spec(Method::Random, Kind::Replacement, Budget::Count(4), 5);
    s.item = ItemChoice::LeastPopular;
    let p = perturb(&data, &s).unwrap();
    let mut by_pop: Vec<u32> = (0..counts.len() as u32)
        .filter(|&i| counts[i as usize] > 0)
        .collect();
    by_pop.sort_by_key(|&i| (counts[i as usize], i));
    let name = |i: u32| data.item_ids.original(i).to_string();
    for c in &p.chosen {
        let want = if c.item == name(by_pop[0]) {
            by_pop[1]
        } else {
            by_pop[0]
        };
        assert_eq!(c.new_item.as_deref(), Some(name(want).as_str()));
    }
}

fn write_jodie(dir: &Path, with_index: bool) -> std::path::PathBuf {
    let mut text = String::new();
    let l = log();
    for r in 0..l.len() {
        if with_index {
            text.push_str(&format!("{r}\t"));
        }
        text.push_str(&format!(
            "{}\t{}\t{:.3}\n",
            l.user_ids.original(l.users[r]),
            l.item_ids.original(l.items[r]),
            l.times[r]
        ));
    }
    let p = dir.join("log.tsv");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn written_log_reloads_to_the_perturbed_events() {
    let dir = tempfile::tempdir().unwrap();
    for with_index in [true, false] {
        let input = write_jodie(dir.path(), with_index);
        let loaded = trustrec_data::load(&input, Format::Jodie, &Default::default()).unwrap();
        let data = ProtocolData::new(&loaded.log, 10, 0.1).unwrap();
        for kind in [Kind::Deletion, Kind::Replacement, Kind::Insertion] {
            let p = perturb(&data, &spec(Method::Casper, kind, Budget::Count(4), 2)).unwrap();
            let out = dir.path().join(format!("out-{kind}-{with_index}.tsv"));
            write_perturbed(&input, Format::Jodie, &p, &out).unwrap();
            let again = trustrec_data::load(&out, Format::Jodie, &Default::default()).unwrap();
            let redata = ProtocolData::new(&again.log, 10, 0.1).unwrap();
            let key = |d: &ProtocolData, e: &trustrec_robust::Event| {
                (
                    d.user_ids.original(e.user).to_string(),
                    d.item_ids.original(e.item).to_string(),
                    e.time,
                    e.test,
                )
            };
            let want: Vec<_> = p.events.iter().map(|e| key(&data, e)).collect();
            let got: Vec<_> = redata.events.iter().map(|e| key(&redata, e)).collect();
            assert_eq!(got, want, "{kind} with_index={with_index}");
            if with_index {
                let text = std::fs::read_to_string(&out).unwrap();
                let idx: Vec<usize> = text
                    .lines()
                    .map(|l| l.split('\t').next().unwrap().parse().unwrap())
                    .collect();
                assert_eq!(
                    idx,
                    (0..idx.len()).collect::<Vec<_>>(),
                    "index column renumbered"
                );
            }
        }
    }
}

#[test]
fn simulated_epochs_are_fresh_reproducible_and_unmark_edited_rows() {
    use trustrec_robust::simulate::simulated_split;
    let data = ProtocolData::new(&log(), 10, 0.1).unwrap();
    let n_train = data.n_train();
    let mut kinds = Vec::new();
    for epoch in 0..12 {
        let (a, kind) = simulated_split(&data, &data.events, 0.02, 4, epoch).unwrap();
        let (b, _) = simulated_split(&data, &data.events, 0.02, 4, epoch).unwrap();
        assert_eq!(a, b, "same (seed, epoch), same split");
        kinds.push(kind);
        let unmarked = a.seqs.rows.iter().filter(|&&r| r == u32::MAX).count();
        let train: usize = a.train_len.iter().map(|&n| n as usize).sum();
        let k = (0.02 * n_train as f64).round() as usize;
        match kind {
            Kind::Deletion => assert_eq!((train, unmarked), (n_train - k, 0)),
            // Replaced rows lose their row id (no reference list applies to them).
            Kind::Replacement => assert_eq!((train, unmarked), (n_train, k)),
            Kind::Insertion => assert_eq!((train, unmarked), (n_train + k, k)),
        }
        assert_eq!(a.test.len(), data.split().unwrap().test.len());
    }
    for kind in [Kind::Deletion, Kind::Replacement, Kind::Insertion] {
        assert!(
            kinds.contains(&kind),
            "12 epochs should draw every kind: {kinds:?}"
        );
    }
}

/// FINEST-A (original data) and FINEST-B (one row deleted) must see the same simulated
/// perturbations: the picks are keyed by the interaction, not by its position in the list.
#[test]
fn simulated_picks_do_not_shift_when_a_row_is_deleted() {
    use std::collections::BTreeSet;
    use trustrec_robust::simulate::simulated_split;
    let data = ProtocolData::new(&log(), 10, 0.1).unwrap();
    let gone = data.events[data.train_indices()[3] as usize].row.unwrap();
    let mut perturbed = data.events.clone();
    perturbed.retain(|e| e.row != Some(gone));
    let rows = |s: &trustrec_data::Split| -> BTreeSet<u32> {
        s.seqs
            .rows
            .iter()
            .copied()
            .filter(|&r| r != u32::MAX)
            .collect()
    };
    let all: BTreeSet<u32> = data.events.iter().filter_map(|e| e.row).collect();
    let mut checked = 0;
    for epoch in 0..12 {
        let (a, kind) = simulated_split(&data, &data.events, 0.05, 9, epoch).unwrap();
        if kind != Kind::Deletion {
            continue;
        }
        let (b, _) = simulated_split(&data, &perturbed, 0.05, 9, epoch).unwrap();
        let removed_a: BTreeSet<u32> = all.difference(&rows(&a)).copied().collect();
        let mut removed_b: BTreeSet<u32> = all.difference(&rows(&b)).copied().collect();
        removed_b.remove(&gone);
        let differ = removed_a.symmetric_difference(&removed_b).count();
        assert!(!removed_a.is_empty());
        assert!(
            differ <= 2,
            "epoch {epoch}: {differ} picks differ of {}",
            removed_a.len()
        );
        checked += 1;
    }
    assert!(checked > 0, "no deletion epoch drawn");
}
