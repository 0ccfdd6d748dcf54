//! UniSRec-style text model: the frozen text table gets no gradient and never changes while every
//! other parameter trains; items are only their texts, so an item never seen in training but
//! with the same text as a seen one is scored identically; scores are cosine / temperature.

mod common;

use std::sync::Arc;

use common::{ml100k_split, small_model, small_train};
use trustrec_models::autodiff::GradCensus;
use trustrec_models::batch::{TrainBatch, collate_train, training_samples};
use trustrec_models::input::SeqInput;
use trustrec_models::loss::{cross_entropy, loss_states};
use trustrec_models::train::{CheckpointOptions, Trainer};
use trustrec_models::{
    Device, ItemFeatures, ModelKind, Recommender, TextVectors, TrainMode, init_model,
};

const DIM: usize = 24;

/// Deterministic pseudo-text vectors; item `twin_of.1` gets the text of item `twin_of.0`.
fn texts(n: usize, twin_of: (usize, usize)) -> Arc<ItemFeatures> {
    let mut data: Vec<f32> = (0..n * DIM)
        .map(|i| (((i as u64).wrapping_mul(2_654_435_761) % 1000) as f32 / 500.0) - 1.0)
        .collect();
    let (src, dst) = twin_of;
    let row: Vec<f32> = data[src * DIM..(src + 1) * DIM].to_vec();
    data[dst * DIM..(dst + 1) * DIM].copy_from_slice(&row);
    Arc::new(ItemFeatures::text_only(n, TextVectors { dim: DIM, data }).unwrap())
}

fn text_of(m: &Recommender) -> Vec<f32> {
    match m {
        Recommender::UniSRec(u) => u.text_table().into_data().try_into_vec().unwrap(),
        _ => unreachable!(),
    }
}

#[test]
fn trainable_parameters_get_gradients_and_the_text_table_none() {
    let split = ml100k_split(Some(40));
    let n = split.n_items();
    let feats = texts(n, (0, 1));
    let device = Device::flex().autodiff();
    let cfg = small_model(ModelKind::UniSRec);
    let model = init_model(&cfg, n, Some(&feats), 2, &device).unwrap();
    let _graph = trustrec_models::autodiff::exclusive();
    let samples = training_samples(&split, TrainMode::Window, cfg.max_len);
    let tb: TrainBatch = collate_train(&split, &samples[..16], cfg.max_len, false);
    let input = SeqInput::new(&tb.inputs, tb.batch, tb.max_len, &device);
    let s = loss_states(model.hidden(&input), &tb, &device);
    let loss = cross_entropy(model.query(s), model.item_table(), &tb.targets, &device);
    let v = GradCensus::of(&model, loss.backward());
    assert!(v.total > 10, "visited only {} parameters", v.total);
    assert_eq!(
        v.missing.len(),
        1,
        "parameters without gradient: {:?}",
        v.missing
    );
    assert!(v.missing[0].ends_with("text"), "{:?}", v.missing);
}

#[test]
fn cold_items_with_known_text_score_like_their_twin_and_text_stays_frozen() {
    let split = ml100k_split(Some(60));
    let n = split.n_items();
    let counts = split.train_item_counts();
    let warm = (0..n)
        .max_by_key(|&i| counts.get(i).copied().unwrap_or(0))
        .unwrap();
    let cold = (0..n)
        .find(|&i| counts.get(i).copied().unwrap_or(0) == 0)
        .expect("a cold item");
    let feats = texts(n, (warm, cold));
    let m = small_model(ModelKind::UniSRec);
    let t = small_train(3);
    let mut trainer = Trainer {
        model_cfg: &m,
        train_cfg: &t,
        seed: 7,
        n_items: Some(n),
        features: Some(Arc::clone(&feats)),
        device: Device::flex(),
        checkpoint: CheckpointOptions::default(),
        progress: false,
        on_epoch: None,
    };
    let out = trainer.fit(&split).expect("fit");
    let l: Vec<f64> = out
        .epochs
        .iter()
        .map(|e| e["loss"].as_f64().unwrap())
        .collect();
    assert!(l[2] < l[0], "loss did not decrease: {l:?}");
    assert_eq!(
        text_of(&out.model),
        feats.text.as_ref().unwrap().data,
        "the text table changed"
    );
    let table: Vec<f32> = out.model.item_table().into_data().try_into_vec().unwrap();
    let d = m.dim;
    assert_eq!(
        table[cold * d..(cold + 1) * d],
        table[warm * d..(warm + 1) * d]
    );
    for row in table.chunks(d).take(50) {
        let norm: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "item vector norm {norm}");
    }
    let q: Vec<f32> = out
        .model
        .query(burn::tensor::Tensor::<2>::ones([1, d], &Device::flex()))
        .into_data()
        .try_into_vec()
        .unwrap();
    let qn: f32 = q.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!(
        (qn - 1.0 / m.temperature as f32).abs() < 1e-3,
        "query norm {qn}"
    );
}
