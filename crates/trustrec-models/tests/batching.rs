//! Sample construction: which targets each training mode covers, and left padding.

mod common;

use std::collections::HashMap;

use common::ml100k_split;
use trustrec_models::batch::{
    Sample, batch_ranges, collate_eval, collate_train, samples_for, training_samples, write_history,
};
use trustrec_models::{TrainConfig, TrainMode};

/// (user, target position) pairs that carry a loss, from the collated batch.
fn covered(split: &trustrec_data::Split, mode: TrainMode, l: usize) -> HashMap<(u32, u32), usize> {
    covered_by(split, &training_samples(split, mode, l), l)
}

fn covered_by(
    split: &trustrec_data::Split,
    samples: &[Sample],
    l: usize,
) -> HashMap<(u32, u32), usize> {
    let mut seen = HashMap::new();
    for s in samples {
        let b = collate_train(split, std::slice::from_ref(s), l, false);
        let seq = split.seqs.items_of(s.user as usize);
        let a = (s.end as usize - 1).saturating_sub(l);
        let pad = l - (s.end as usize - 1 - a);
        for (&p, &t) in b.loss_pos.iter().zip(&b.targets) {
            let pos = a + (p as usize - pad) + 1;
            assert_eq!(
                seq[pos] as i64, t,
                "target must be the item after the input position"
            );
            assert!(
                pos < split.train_len[s.user as usize] as usize,
                "loss on a non-training item"
            );
            *seen.entry((s.user, pos as u32)).or_insert(0) += 1;
        }
    }
    seen
}

#[test]
fn window_overlap_and_prefix_modes_cover_every_training_target_exactly_once() {
    let split = ml100k_split(Some(120));
    let expected: usize = split
        .train_len
        .iter()
        .map(|&n| (n as usize).saturating_sub(1))
        .sum();
    for mode in [TrainMode::Window, TrainMode::Overlap, TrainMode::Prefix] {
        let seen = covered(&split, mode, 20);
        assert_eq!(seen.len(), expected, "{mode:?}");
        assert!(
            seen.values().all(|&c| c == 1),
            "{mode:?}: some target counted twice"
        );
    }
    // Sequence mode: only the last max_len targets of each user.
    let seen = covered(&split, TrainMode::Sequence, 20);
    let expected: usize = split
        .train_len
        .iter()
        .map(|&n| (n as usize).saturating_sub(1).min(20))
        .sum();
    assert_eq!(seen.len(), expected);
}

#[test]
fn overlap_mode_gives_every_target_half_a_window_of_history() {
    let split = ml100k_split(Some(120));
    let l = 20;
    let (mut short_in_window, mut total) = (0, 0);
    for mode in [TrainMode::Window, TrainMode::Overlap] {
        for s in training_samples(&split, mode, l) {
            let b = collate_train(&split, std::slice::from_ref(&s), l, false);
            let a = (s.end as usize - 1).saturating_sub(l);
            let pad = l - (s.end as usize - 1 - a);
            for &p in &b.loss_pos {
                // Inputs the target sees in this window, and those the user has before it.
                let seen = p as usize - pad + 1;
                let available = (a + seen).min(l);
                total += 1;
                if seen < available.min(l / 2) {
                    assert_eq!(
                        mode,
                        TrainMode::Window,
                        "overlap: a target with short context"
                    );
                    short_in_window += 1;
                }
            }
        }
    }
    assert!(
        short_in_window > 0,
        "the window mode shows the problem overlap fixes"
    );
    assert!(total > 0);
}

/// Overlap windows end every `stride` targets: each target is still covered once and sees at
/// least `max_len - stride + 1` inputs where the user has them; stride 1 shows every target all
/// the history it has, as `Prefix` does.
#[test]
fn overlap_stride_sets_the_history_every_target_sees() {
    let split = ml100k_split(Some(120));
    let l = 20;
    let expected = covered(&split, TrainMode::Prefix, l);
    for stride in [1, 5, 20] {
        let cfg = TrainConfig {
            mode: TrainMode::Overlap,
            stride: Some(stride),
            ..TrainConfig::default()
        };
        let samples = samples_for(&split, &cfg, l);
        assert_eq!(covered_by(&split, &samples, l), expected, "stride {stride}");
        let mut least = usize::MAX;
        for s in &samples {
            let b = collate_train(&split, std::slice::from_ref(s), l, false);
            let a = (s.end as usize - 1).saturating_sub(l);
            let pad = l - (s.end as usize - 1 - a);
            for &p in &b.loss_pos {
                let seen = p as usize - pad + 1;
                let available = (a + seen).min(l);
                assert!(seen >= available.min(l - stride + 1), "stride {stride}");
                least = least.min(seen + l - available);
            }
        }
        // Some target of a long user sees exactly the guaranteed minimum.
        assert_eq!(least, l - stride + 1, "stride {stride}");
    }
    // The default stride is half a window.
    let half = TrainConfig {
        mode: TrainMode::Overlap,
        ..TrainConfig::default()
    };
    assert_eq!(
        samples_for(&split, &half, l),
        training_samples(&split, TrainMode::Overlap, l)
    );
}

#[test]
fn histories_are_left_padded_with_shifted_ids() {
    let mut row = [9i64; 5];
    write_history(&mut row, &[4, 0, 2]);
    assert_eq!(row, [0, 0, 5, 1, 3]);
    write_history(&mut row, &[1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(row, [4, 5, 6, 7, 8], "only the last max_len items are kept");
    let split = ml100k_split(Some(10));
    let inputs = collate_eval(&split, &split.test, 50);
    for (c, row) in split.test.iter().zip(inputs.chunks(50)) {
        let seq = split.seqs.items_of(c.user as usize);
        assert_eq!(
            row[49],
            seq[c.pos as usize - 1] as i64 + 1,
            "last input is the item before the target"
        );
    }
}

/// Batches cut by targets hold at least the requested count (bar the last), cover every sample
/// once in order, and count exactly the loss positions collation produces.
#[test]
fn batches_cut_by_targets_hold_the_requested_loss_positions() {
    let split = ml100k_split(Some(120));
    let l = 50;
    for mode in [TrainMode::Window, TrainMode::Overlap, TrainMode::Prefix] {
        let samples = training_samples(&split, mode, l);
        let ranges = batch_ranges(&samples, l, 32, Some(256));
        assert_eq!(ranges.first().map(|r| r.start), Some(0));
        assert_eq!(ranges.last().map(|r| r.end), Some(samples.len()));
        for (i, r) in ranges.iter().enumerate() {
            let b = collate_train(&split, &samples[r.clone()], l, false);
            let counted: usize = samples[r.clone()].iter().map(|s| s.n_targets(l)).sum();
            assert_eq!(counted, b.targets.len(), "{mode:?} batch {i}");
            if i + 1 < ranges.len() {
                assert!(counted >= 256, "{mode:?} batch {i} holds {counted}");
                // Minimal: without its last sample the batch would be short.
                let last = samples[r.end - 1].n_targets(l);
                assert!(counted - last < 256, "{mode:?} batch {i} overfull");
                assert_eq!(ranges[i + 1].start, r.end);
            }
        }
    }
    // Prefix samples carry one target each: 256-sample batches, as in RecBole.
    let prefix = training_samples(&split, TrainMode::Prefix, l);
    let ranges = batch_ranges(&prefix, l, 32, Some(256));
    assert!(ranges[..ranges.len() - 1].iter().all(|r| r.len() == 256));
    // Without a target count: fixed sample counts, the last batch short.
    let s = |end| Sample {
        user: 0,
        end,
        n_loss: 50,
        every: 1,
        phase: 0,
    };
    let few = [s(3), s(60), s(2), s(10), s(5)];
    assert_eq!(batch_ranges(&few, l, 2, None), vec![0..2, 2..4, 4..5]);
    // Targets: 2, 50, 1, 9, 4 -> cut once 50 are held.
    assert_eq!(batch_ranges(&few, l, 2, Some(50)), vec![0..2, 2..5]);
    assert_eq!(batch_ranges(&few, l, 2, Some(10)), vec![0..2, 2..4, 4..5]);
}

#[test]
fn a_zero_stride_or_spread_is_rejected_by_name() {
    let cfg = TrainConfig {
        stride: Some(0),
        ..TrainConfig::default()
    };
    let err = cfg.validate().unwrap_err().to_string();
    assert!(err.contains("train.stride"), "{err}");
    let cfg = TrainConfig {
        spread: Some(0),
        ..TrainConfig::default()
    };
    let err = cfg.validate().unwrap_err().to_string();
    assert!(err.contains("train.spread"), "{err}");
}

/// Spread K: the same targets, each once, with the same inputs as without it; each copy of a
/// window carries every K-th of its targets, and batches of N targets hold ~K times as many
/// windows.
#[test]
fn spread_copies_split_each_windows_targets_without_changing_them() {
    let split = ml100k_split(Some(120));
    let l = 20;
    for mode in [TrainMode::Window, TrainMode::Overlap] {
        let plain = TrainConfig {
            mode,
            ..TrainConfig::default()
        };
        let base = samples_for(&split, &plain, l);
        let expected = covered_by(&split, &base, l);
        for k in [1, 3, 4] {
            let cfg = TrainConfig {
                spread: Some(k),
                ..plain.clone()
            };
            let samples = samples_for(&split, &cfg, l);
            assert_eq!(covered_by(&split, &samples, l), expected, "{mode:?} k {k}");
            for s in &samples {
                let b = collate_train(&split, std::slice::from_ref(s), l, false);
                assert_eq!(b.targets.len(), s.n_targets(l), "{mode:?} k {k}");
                assert!(!b.targets.is_empty(), "{mode:?} k {k}: empty copy kept");
                // Loss positions are K apart.
                assert!(b.loss_pos.windows(2).all(|w| w[1] - w[0] == k as i64));
                // Inputs are the uncopied window's.
                let whole = Sample {
                    every: 1,
                    phase: 0,
                    ..*s
                };
                let w = collate_train(&split, std::slice::from_ref(&whole), l, false);
                assert_eq!(b.inputs, w.inputs);
            }
            let windows = |v: &[Sample]| batch_ranges(v, l, 32, Some(256)).len();
            if k > 1 {
                assert!(samples.len() > base.len() * (k - 1), "{mode:?} k {k}");
                // Same targets per batch, so about the same number of batches.
                let (a, b) = (windows(&base), windows(&samples));
                assert!(
                    b.abs_diff(a) * 20 <= a,
                    "{mode:?} k {k}: {a} vs {b} batches"
                );
            } else {
                assert_eq!(samples, base);
            }
        }
    }
    // By hand: 7 targets in three copies carry 3, 2 and 2 of them.
    let s = Sample {
        user: 0,
        end: 8,
        n_loss: 20,
        every: 3,
        phase: 0,
    };
    let n: Vec<usize> = (0..3)
        .map(|phase| Sample { phase, ..s }.n_targets(l))
        .collect();
    assert_eq!(n, [3, 2, 2]);
}

/// Jitter: each epoch covers every target exactly once, the cuts move between epochs, and
/// with a full newest window they are `Window`'s.
#[test]
fn jitter_moves_the_cuts_but_covers_every_target_once() {
    use rand::SeedableRng;
    let split = ml100k_split(Some(120));
    let l = 20;
    let cfg = TrainConfig {
        mode: TrainMode::Jitter,
        ..TrainConfig::default()
    };
    let expected = covered(&split, TrainMode::Window, l);
    assert_eq!(
        samples_for(&split, &cfg, l),
        training_samples(&split, TrainMode::Window, l)
    );
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let a = trustrec_models::batch::epoch_samples(&split, &cfg, l, &mut rng);
    let b = trustrec_models::batch::epoch_samples(&split, &cfg, l, &mut rng);
    assert_ne!(a, b, "cuts must move between epochs");
    for s in [&a, &b] {
        assert_eq!(covered_by(&split, s, l), expected);
    }
    // Users that fit one window keep it whole; long ones get a newest window of 1..=l targets.
    for s in &a {
        let n = split.train_len[s.user as usize];
        if n <= l as u32 + 1 {
            assert_eq!((s.end, s.n_loss), (n, l as u32));
        } else if s.end == n {
            assert!((1..=l as u32).contains(&s.n_loss));
        }
    }
    assert!(a.iter().any(|s| s.n_loss < l as u32));
    let mut again = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    assert_eq!(
        trustrec_models::batch::epoch_samples(&split, &cfg, l, &mut again),
        a,
        "same seed, same cuts"
    );
}
