//! Shared test fixtures: the embedded ml-100k copy and small configurations.
#![allow(dead_code)]

use std::path::PathBuf;

use trustrec_data::{Case, Format, LoadOptions, Split, SplitKind};
use trustrec_models::batch::{
    Sample, TrainBatch, collate_eval, collate_eval_times, collate_train, training_samples,
};
use trustrec_models::input::SeqInput;
use trustrec_models::loss::loss_states;
use trustrec_models::ops::to_vec;
use trustrec_models::score::burn_query_states;
use trustrec_models::{
    CheckpointOptions, Device, ModelConfig, ModelKind, Recommender, TrainConfig, TrainMode, Trainer,
};

pub fn ml100k_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/ml-100k"))
}

/// Leave-one-out split of the embedded ml-100k, optionally keeping only the first `users` users.
pub fn ml100k_split(users: Option<usize>) -> Split {
    let loaded = trustrec_data::load(&ml100k_dir(), Format::Recbole, &LoadOptions::default())
        .expect("load ml-100k");
    let mut log = loaded.log;
    if let Some(n) = users {
        let keep: Vec<usize> = (0..log.len())
            .filter(|&i| (log.users[i] as usize) < n)
            .collect();
        log.users = keep.iter().map(|&i| log.users[i]).collect();
        log.items = keep.iter().map(|&i| log.items[i]).collect();
        log.times = keep.iter().map(|&i| log.times[i]).collect();
        log.rows = keep.iter().map(|&i| log.rows[i]).collect();
        log = trustrec_data::filter_min_count(&log, 1, 1);
    }
    trustrec_data::split(&log, &SplitKind::LeaveOneOut).expect("split")
}

pub fn small_model(kind: ModelKind) -> ModelConfig {
    ModelConfig {
        dim: 16,
        inner: 32,
        rnn_hidden: 16,
        max_len: 20,
        // Below max_len, so full batches hit every interval bucket, the clipped one included.
        time_span: 8,
        ..ModelConfig::for_kind(kind)
    }
}

pub fn small_train(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 32,
        patience: 100,
        ..TrainConfig::default()
    }
}

/// A quiet trainer on the flex device without metadata or checkpoints.
pub fn trainer<'a>(m: &'a ModelConfig, t: &'a TrainConfig, seed: u64) -> Trainer<'a> {
    Trainer {
        model_cfg: m,
        train_cfg: t,
        seed,
        n_items: None,
        features: None,
        device: Device::flex(),
        checkpoint: CheckpointOptions::default(),
        progress: false,
        on_epoch: None,
    }
}

pub const KINDS: [ModelKind; 4] = [
    ModelKind::SasRec,
    ModelKind::TiSasRec,
    ModelKind::Gru4Rec,
    ModelKind::Lstm,
];

/// The model input of a batch, with one time unit per position for models that read times.
pub fn model_input(model: &Recommender, tb: &TrainBatch, device: &Device) -> SeqInput {
    let input = SeqInput::new(&tb.inputs, tb.batch, tb.max_len, device);
    match model.time_span() {
        Some(span) => {
            let times: Vec<f64> = (0..tb.inputs.len())
                .map(|i| (i % tb.max_len) as f64)
                .collect();
            input.with_times(&tb.inputs, &times, span, device)
        }
        None => input,
    }
}

/// Prefix samples with at most 6 inputs, from several users: a batch of short histories of
/// different lengths.
pub fn short_samples(split: &trustrec_data::Split) -> Vec<Sample> {
    training_samples(split, TrainMode::Prefix, 20)
        .into_iter()
        .filter(|s| s.end <= 7)
        .step_by(3)
        .take(24)
        .collect()
}

fn trim_input(model: &Recommender, b: &TrainBatch, device: &Device) -> SeqInput {
    let x = SeqInput::new(&b.inputs, b.batch, b.max_len, device);
    match (model.time_span(), &b.times) {
        (Some(span), Some(t)) => x.with_times(&b.inputs, t, span, device),
        _ => x,
    }
}

/// Largest difference between the states at the loss positions of `samples`' full-width batch
/// and of the same batch trimmed of its all-padding columns (no dropout: plain device).
pub fn trimmed_state_gap(
    model: &Recommender,
    split: &Split,
    samples: &[Sample],
    max_len: usize,
    device: &Device,
) -> f32 {
    let full = collate_train(split, samples, max_len, model.time_span().is_some());
    let trimmed = full.clone().trim_padding();
    assert!(trimmed.max_len < full.max_len, "the batch was not trimmed");
    let states = |b: &TrainBatch| -> Vec<f32> {
        to_vec(loss_states(
            model.hidden(&trim_input(model, b, device)),
            b,
            device,
        ))
        .unwrap()
    };
    max_abs_diff(&states(&full), &states(&trimmed))
}

/// Largest absolute difference between two equally long buffers.
fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max)
}

/// Largest difference between [`burn_query_states`] (rows taken longest first, chunks trimmed of
/// their all-padding columns) and one full-width forward pass over the same histories, on cases
/// with histories of 1 to 30 items (some longer than `max_len`), category logits included.
pub fn eval_trim_gap(model: &Recommender, split: &Split, max_len: usize, device: &Device) -> f32 {
    let cases: Vec<Case> = (0..split.seqs.len() as u32)
        .filter_map(|u| {
            let n = split.seqs.items_of(u as usize).len() as u32;
            (n >= 2).then(|| Case {
                user: u,
                pos: (1 + (u * 7) % 30).min(n - 1),
            })
        })
        .collect();
    assert!(cases.len() > 20);
    let inputs = collate_eval(split, &cases, max_len);
    let times = model
        .time_span()
        .map(|_| collate_eval_times(split, &cases, max_len));
    let (states, logits) =
        burn_query_states(model, &inputs, times.as_deref(), max_len, 5, device).unwrap();
    let mut full = SeqInput::new(&inputs, cases.len(), max_len, device);
    if let (Some(t), Some(span)) = (&times, model.time_span()) {
        full = full.with_times(&inputs, t, span, device);
    }
    let (want, want_logits) = match model.last_with_categories(&full) {
        Some((q, c)) => (to_vec(q).unwrap(), Some(to_vec(c).unwrap())),
        None => (to_vec(model.last_hidden(&full)).unwrap(), None),
    };
    assert_eq!(logits.is_some(), want_logits.is_some());
    let logit_gap = match (&logits, &want_logits) {
        (Some(a), Some(b)) => max_abs_diff(a, b),
        _ => 0.0,
    };
    max_abs_diff(&states, &want).max(logit_gap)
}

/// Asserts that an attention model's states survive trimming exactly (within 1e-5): at the
/// loss positions of a trimmed training batch ([`trimmed_state_gap`]) and in trimmed
/// evaluation chunks ([`eval_trim_gap`]).
pub fn assert_trimming_exact(
    kind: ModelKind,
    model: &Recommender,
    split: &Split,
    samples: &[Sample],
    max_len: usize,
    device: &Device,
) {
    assert!(model.masks_padding());
    let worst = trimmed_state_gap(model, split, samples, max_len, device);
    assert!(worst < 1e-5, "{kind:?}: largest difference {worst}");
    let worst = eval_trim_gap(model, split, max_len, device);
    assert!(
        worst < 1e-5,
        "{kind:?} evaluation: largest difference {worst}"
    );
}
