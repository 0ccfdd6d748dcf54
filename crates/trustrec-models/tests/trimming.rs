//! Training batches trimmed of their all-padding columns: the same targets at the same items,
//! and, for the attention models, the same states at every loss position as the full-width
//! batch (padded keys are masked, and positions count from the right or from each row's first
//! real item).

mod common;

use common::{assert_trimming_exact, eval_trim_gap, ml100k_split, short_samples, small_model};
use trustrec_models::batch::{Sample, collate_train, training_samples};
use trustrec_models::{Device, ModelConfig, ModelKind, Positions, TrainMode, init_model};

#[test]
fn trimming_keeps_targets_and_the_items_they_follow() {
    let split = ml100k_split(Some(80));
    let samples = short_samples(&split);
    let full = collate_train(&split, &samples, 20, true);
    let trimmed = full.clone().trim_padding();
    // A prefix sample ending at `end` has `end - 1` inputs.
    let width = samples.iter().map(|s| s.end as usize - 1).max().unwrap();
    assert!(width < 20);
    assert_eq!(trimmed.max_len, width);
    assert_eq!(trimmed.inputs.len(), samples.len() * width);
    assert_eq!(trimmed.targets, full.targets);
    assert_eq!(trimmed.rows, full.rows);
    for (p, q) in full.loss_pos.iter().zip(&trimmed.loss_pos) {
        assert_eq!(full.inputs[*p as usize], trimmed.inputs[*q as usize]);
        let (ft, tt) = (
            full.times.as_ref().unwrap(),
            trimmed.times.as_ref().unwrap(),
        );
        assert_eq!(ft[*p as usize], tt[*q as usize]);
    }
    // Already full: unchanged.
    let long: Vec<Sample> = training_samples(&split, TrainMode::Window, 20)
        .into_iter()
        .take(4)
        .collect();
    let b = collate_train(&split, &long, 20, false);
    assert_eq!(b.clone().trim_padding().inputs, b.inputs);
}

/// Evaluation chunks are trimmed too (see `eval_trim_gap`); the RNNs' evaluation is not, so
/// their states must still equal the full-width pass.
#[test]
fn attention_states_at_loss_positions_do_not_change_when_trimmed() {
    let split = ml100k_split(Some(80));
    let samples = short_samples(&split);
    let device = Device::flex();
    let origins = [Positions::FromEnd, Positions::FromStart];
    for (kind, positions) in [ModelKind::SasRec, ModelKind::TiSasRec]
        .into_iter()
        .flat_map(|k| origins.map(|p| (k, p)))
    {
        let cfg = ModelConfig {
            positions,
            ..small_model(kind)
        };
        let model = init_model(&cfg, split.n_items(), None, 5, &device).unwrap();
        assert_trimming_exact(kind, &model, &split, &samples, cfg.max_len, &device);
    }
    let gru = init_model(
        &small_model(ModelKind::Gru4Rec),
        split.n_items(),
        None,
        5,
        &device,
    );
    let gru = gru.unwrap();
    assert!(!gru.masks_padding());
    assert!(eval_trim_gap(&gru, &split, 20, &device) < 1e-5);
}
