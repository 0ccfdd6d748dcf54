//! Behaviour of the shared training loop on real (embedded ml-100k) data: the loss goes down,
//! the same seed gives the same numbers, checkpoints round-trip exactly and resume is exact.

mod common;

use common::{KINDS, ml100k_split, small_model, small_train};
use trustrec_models::checkpoint::{load_model, save_model};
use trustrec_models::score::{EvalOptions, evaluate_cases};
use trustrec_models::{
    CheckpointOptions, Device, FitOutput, ModelConfig, ModelKind, TrainConfig, Trainer, init_model,
};

fn fit(
    split: &trustrec_data::Split,
    m: &ModelConfig,
    t: &TrainConfig,
    seed: u64,
    ck: CheckpointOptions,
) -> FitOutput {
    Trainer {
        checkpoint: ck,
        ..common::trainer(m, t, seed)
    }
    .fit(split)
    .expect("fit")
}

fn losses(out: &FitOutput) -> Vec<f64> {
    out.epochs
        .iter()
        .map(|e| e["loss"].as_f64().unwrap())
        .collect()
}

fn opts(m: &ModelConfig) -> EvalOptions {
    EvalOptions {
        ks: vec![10],
        tie: Default::default(),
        mask_seen: false,
        max_len: m.max_len,
        chunk: 64,
    }
}

#[test]
fn loss_decreases_for_every_model() {
    let split = ml100k_split(Some(150));
    for kind in KINDS {
        let m = small_model(kind);
        let out = fit(&split, &m, &small_train(4), 1, CheckpointOptions::default());
        let l = losses(&out);
        assert!(l[3] < l[0] - 0.05, "{kind}: loss did not decrease: {l:?}");
        assert!(out.best_valid.is_some());
    }
}

#[test]
fn same_seed_same_numbers_different_seed_different_numbers() {
    let split = ml100k_split(Some(100));
    for kind in [ModelKind::SasRec, ModelKind::TiSasRec] {
        let m = small_model(kind);
        let t = small_train(2);
        let a = fit(&split, &m, &t, 5, CheckpointOptions::default());
        let b = fit(&split, &m, &t, 5, CheckpointOptions::default());
        let c = fit(&split, &m, &t, 6, CheckpointOptions::default());
        assert_eq!(losses(&a), losses(&b), "{kind}");
        assert_eq!(a.best_valid, b.best_valid, "{kind}");
        assert_ne!(losses(&a), losses(&c), "{kind}");
        // Same seed, same initial weights.
        let d = Device::flex();
        let w = |s| {
            trustrec_models::score::embed_cases(
                &init_model(&m, split.n_items(), None, s, &d).unwrap(),
                &split,
                &split.test[..5],
                m.max_len,
                8,
                &d,
            )
            .unwrap()
            .items
        };
        assert_eq!(w(9), w(9), "{kind}");
        assert_ne!(w(9), w(10), "{kind}");
    }
}

#[test]
fn checkpoint_round_trip_gives_identical_scores() {
    let split = ml100k_split(Some(100));
    let dir = tempfile::tempdir().unwrap();
    for kind in KINDS {
        let m = small_model(kind);
        let out = fit(&split, &m, &small_train(1), 2, CheckpointOptions::default());
        let path = dir.path().join(format!("{kind}.bpk"));
        save_model(&out.model, &path).unwrap();
        let d = Device::flex();
        let loaded = load_model(
            init_model(&m, split.n_items(), None, 99, &d).unwrap(),
            &path,
        )
        .unwrap();
        let (m1, r1) = evaluate_cases(&out.model, &split, &split.test, &opts(&m), &d).unwrap();
        let (m2, r2) = evaluate_cases(&loaded, &split, &split.test, &opts(&m), &d).unwrap();
        assert_eq!(m1, m2, "{kind}");
        assert_eq!(r1, r2, "{kind}");
    }
}

#[test]
fn resume_replays_an_uninterrupted_run_exactly() {
    let split = ml100k_split(Some(80));
    let m = small_model(ModelKind::SasRec);
    let dir = tempfile::tempdir().unwrap();
    let ck = CheckpointOptions {
        dir: Some(dir.path().to_path_buf()),
        resume: true,
    };
    let _ = fit(&split, &m, &small_train(2), 3, ck.clone());
    assert!(dir.path().join("last/state.json").exists());
    // The resumed run trains only epochs 2 and 3 and reports all four.
    let mut trained = Vec::new();
    let resumed = Trainer {
        checkpoint: ck,
        on_epoch: Some(Box::new(|line| {
            trained.push(line["epoch"].as_u64().unwrap())
        })),
        ..common::trainer(&m, &small_train(4), 3)
    }
    .fit(&split)
    .expect("fit");
    assert_eq!(trained, [2, 3]);
    let straight = fit(&split, &m, &small_train(4), 3, CheckpointOptions::default());
    assert_eq!(losses(&resumed), losses(&straight));
    assert_eq!(resumed.best_valid, straight.best_valid);
}

#[test]
fn zero_lr_early_stops_with_patience() {
    let split = ml100k_split(Some(60));
    let m = small_model(ModelKind::Gru4Rec);
    let t = TrainConfig {
        epochs: 20,
        patience: 2,
        lr: 1e-12,
        ..small_train(20)
    };
    let out = fit(&split, &m, &t, 1, CheckpointOptions::default());
    assert!(
        out.stopped_early,
        "should stop once validation stops improving"
    );
    assert!(out.epochs.len() < 20);
}
