//! Interaction times reach TiSASRec: interval matrices, their alignment with the inputs in
//! training and evaluation batches, and the model's (and only its) sensitivity to them.

mod common;

use common::{ml100k_split, small_model, small_train};
use trustrec_models::batch::{collate_eval, collate_eval_times, collate_train, training_samples};
use trustrec_models::input::{SeqInput, interval_matrix};
use trustrec_models::score::{embed_cases, query_states, recommend};
use trustrec_models::{CheckpointOptions, Device, ModelKind, TrainMode, Trainer, init_model};

fn intervals(items: &[i64], times: &[f64], span: usize) -> Vec<Vec<i64>> {
    let mut out = vec![0; items.len() * items.len()];
    interval_matrix(items, times, span, &mut out);
    out.chunks(items.len()).map(<[i64]>::to_vec).collect()
}

#[test]
fn interval_matrix_scales_by_the_smallest_gap_and_clips() {
    // Smallest non-zero gap 10, so r = |t_i - t_j| / 10.
    let items = [1, 2, 3, 4];
    let times = [0.0, 10.0, 30.0, 30.0];
    let want = [[0, 1, 3, 3], [1, 0, 2, 2], [3, 2, 0, 0], [3, 2, 0, 0]];
    assert_eq!(intervals(&items, &times, 256), want);
    let clipped = [[0, 1, 2, 2], [1, 0, 2, 2], [2, 2, 0, 0], [2, 2, 0, 0]];
    assert_eq!(intervals(&items, &times, 2), clipped);
    // Affine changes of the clock change nothing (the scale is per sequence).
    let shifted: Vec<f64> = times.iter().map(|t| 3.0 * t + 7.0).collect();
    assert_eq!(intervals(&items, &shifted, 256), want);
    // Left padding: its rows and columns are 0 whatever its times, the gap ignores them.
    let r = intervals(
        &[0, 0, 1, 2, 3, 4],
        &[99.0, 1.0, 0.0, 10.0, 30.0, 30.0],
        256,
    );
    assert!(r[..2].iter().all(|row| row.iter().all(|&v| v == 0)));
    for (i, w) in want.iter().enumerate() {
        assert_eq!(r[i + 2][..2], [0, 0]);
        assert_eq!(r[i + 2][2..], w[..]);
    }
    // Flooring, and no non-zero gap at all (scale 1).
    assert_eq!(intervals(&[1, 2, 3], &[0.0, 3.0, 7.0], 9)[2], [2, 1, 0]);
    assert_eq!(intervals(&[1, 2], &[5.0, 5.0], 9), [[0, 0], [0, 0]]);
    // The tensor SeqInput carries is the same matrix per row.
    let d = Device::flex();
    let input = SeqInput::new(&[0, 0, 1, 2, 3, 4, 1, 2], 2, 4, &d).with_times(
        &[0, 0, 1, 2, 3, 4, 1, 2],
        &[0.0, 0.0, 0.0, 10.0, 0.0, 10.0, 30.0, 30.0],
        2,
        &d,
    );
    let got: Vec<i64> = input.intervals.unwrap().try_into_vec_as().unwrap();
    #[rustfmt::skip]
    let want = [0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 1,  0, 0, 1, 0,
                0, 1, 2, 2,  1, 0, 2, 2,  2, 2, 0, 0,  2, 2, 0, 0];
    assert_eq!(got, want);
}

#[test]
fn batches_carry_the_times_of_their_input_positions() {
    let split = ml100k_split(Some(60));
    let l = 20;
    for mode in [TrainMode::Window, TrainMode::Prefix] {
        let samples = training_samples(&split, mode, l);
        assert!(collate_train(&split, &samples, l, false).times.is_none());
        let b = collate_train(&split, &samples, l, true);
        let times = b.times.unwrap();
        for (row, s) in samples.iter().enumerate() {
            let end = s.end as usize;
            let a = (end - 1).saturating_sub(l);
            let pad = l - (end - 1 - a);
            let r = &times[row * l..(row + 1) * l];
            assert!(r[..pad].iter().all(|&t| t == 0.0));
            assert_eq!(r[pad..], split.seqs.times_of(s.user as usize)[a..end - 1]);
        }
    }
    let items = collate_eval(&split, &split.test, l);
    let times = collate_eval_times(&split, &split.test, l);
    for (row, c) in split.test.iter().enumerate() {
        let (u, p) = (c.user as usize, c.pos as usize);
        let n = p.min(l);
        assert_eq!(
            times[row * l..(row + 1) * l][l - n..],
            split.seqs.times_of(u)[p - n..p]
        );
        assert!(items[row * l..row * l + l - n].iter().all(|&i| i == 0));
    }
}

/// Replaces every time by its position in the user's sequence: different intervals, same items.
fn regular_times(split: &trustrec_data::Split) -> trustrec_data::Split {
    let mut s = split.clone();
    for w in s.seqs.offsets.clone().windows(2) {
        for (k, t) in s.seqs.times[w[0]..w[1]].iter_mut().enumerate() {
            *t = k as f64;
        }
    }
    s
}

#[test]
fn only_tisasrec_depends_on_the_timestamps() {
    let split = ml100k_split(Some(80));
    let other = regular_times(&split);
    let d = Device::flex();
    let l = 20;
    let cases = &split.test[..40];
    let items = collate_eval(&split, cases, l);
    let (t1, t2) = (
        collate_eval_times(&split, cases, l),
        collate_eval_times(&other, cases, l),
    );
    assert_ne!(t1, t2);
    for kind in [ModelKind::SasRec, ModelKind::TiSasRec] {
        let m = small_model(kind);
        let model = init_model(&m, split.n_items(), None, 3, &d).unwrap();
        let q = |t: &[f64]| query_states(&model, &items, Some(t), l, 16, &d).unwrap().0;
        let same = q(&t1) == q(&t2);
        assert_eq!(same, kind == ModelKind::SasRec, "{kind}: states vs times");
        // The evaluation path reads the split's times.
        let e = |s| embed_cases(&model, s, cases, l, 16, &d).unwrap().queries;
        assert_eq!(e(&split) == e(&other), kind == ModelKind::SasRec, "{kind}");
        // Free-form histories without times are histories with equal times.
        let hist: Vec<Vec<u32>> = vec![split.seqs.items_of(0)[..10].to_vec()];
        let flat = vec![vec![5.0; 10]];
        let r = |t| recommend(&model, &hist, t, 10, false, l, &d).unwrap();
        assert_eq!(r(None), r(Some(&flat)), "{kind}");
        // And training: same seed, different times, different losses only for TiSASRec.
        let t = small_train(1);
        let fit = |s| {
            Trainer {
                model_cfg: &m,
                train_cfg: &t,
                seed: 1,
                n_items: None,
                features: None,
                device: d.clone(),
                checkpoint: CheckpointOptions::default(),
                progress: false,
                on_epoch: None,
            }
            .fit(s)
            .unwrap()
            .epochs[0]["loss"]
                .as_f64()
                .unwrap()
        };
        assert_eq!(
            fit(&split) == fit(&other),
            kind == ModelKind::SasRec,
            "{kind}"
        );
    }
}
