//! Training batches trimmed of their all-padding columns: the same targets at the same items,
//! and, for the attention models, the same states at every loss position as the full-width
//! batch (padded keys are masked and positions count from the right).

mod common;

use common::{ml100k_split, small_model};
use trustrec_models::batch::{Sample, TrainBatch, collate_train, training_samples};
use trustrec_models::input::SeqInput;
use trustrec_models::loss::loss_states;
use trustrec_models::ops::to_vec;
use trustrec_models::{Device, ModelKind, Recommender, TrainMode, init_model};

/// Prefix samples with at most 6 inputs, from several users: a batch of short histories of
/// different lengths.
fn short_samples(split: &trustrec_data::Split) -> Vec<Sample> {
    training_samples(split, TrainMode::Prefix, 20)
        .into_iter()
        .filter(|s| s.end <= 7)
        .step_by(3)
        .take(24)
        .collect()
}

fn input(model: &Recommender, b: &TrainBatch, device: &Device) -> SeqInput {
    let x = SeqInput::new(&b.inputs, b.batch, b.max_len, device);
    match (model.time_span(), &b.times) {
        (Some(span), Some(t)) => x.with_times(&b.inputs, t, span, device),
        _ => x,
    }
}

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

#[test]
fn attention_states_at_loss_positions_do_not_change_when_trimmed() {
    let split = ml100k_split(Some(80));
    let samples = short_samples(&split);
    let device = Device::flex();
    for kind in [ModelKind::SasRec, ModelKind::TiSasRec] {
        let cfg = small_model(kind);
        let model = init_model(&cfg, split.n_items(), None, 5, &device).unwrap();
        assert!(model.masks_padding());
        let full = collate_train(&split, &samples, cfg.max_len, model.time_span().is_some());
        let trimmed = full.clone().trim_padding();
        assert!(trimmed.max_len < full.max_len);
        let states = |b: &TrainBatch| -> Vec<f32> {
            to_vec(loss_states(
                model.hidden(&input(&model, b, &device)),
                b,
                &device,
            ))
            .unwrap()
        };
        let (a, b) = (states(&full), states(&trimmed));
        assert_eq!(a.len(), b.len());
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max);
        assert!(worst < 1e-5, "{kind:?}: largest difference {worst}");
    }
    let gru = init_model(
        &small_model(ModelKind::Gru4Rec),
        split.n_items(),
        None,
        5,
        &device,
    );
    assert!(!gru.unwrap().masks_padding());
}
