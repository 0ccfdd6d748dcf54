//! The plain-Rust SASRec forward pass against burn's, on a model trained on real data.

mod common;

use common::{ml100k_split, small_train};
use trustrec_models::batch::collate_eval;
use trustrec_models::plain::PlainSasRec;
use trustrec_models::score::{EvalOptions, burn_query_states, evaluate_cases, query_states};
use trustrec_models::{Device, ModelConfig, ModelKind, Positions, Recommender};

/// SASRec trained for two epochs on the first 150 ml-100k users (trained weights: attention
/// far from uniform, norms far from identity), at the default width and a narrow one (whose
/// positions count from the start).
fn trained(cfg: &ModelConfig, split: &trustrec_data::Split) -> Recommender {
    common::trainer(cfg, &small_train(2), 7)
        .fit(split)
        .expect("fit")
        .model
}

fn configs() -> [ModelConfig; 2] {
    let default = ModelConfig::for_kind(ModelKind::SasRec);
    let narrow = ModelConfig {
        dim: 16,
        inner: 32,
        heads: 4,
        layers: 3,
        max_len: 20,
        positions: Positions::FromStart,
        ..default.clone()
    };
    [default, narrow]
}

fn max_rel_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / (1.0 + x.abs().max(y.abs())))
        .fold(0.0, f32::max)
}

#[test]
fn plain_forward_equals_burn_forward_on_a_trained_model() {
    let split = ml100k_split(Some(150));
    let device = Device::flex();
    for cfg in configs() {
        let model = trained(&cfg, &split);
        let l = cfg.max_len;
        // Real test histories (full and short) plus hand-made ones: one item, half padded.
        let mut inputs = collate_eval(&split, &split.test, l);
        let mut extra = vec![0i64; 2 * l];
        extra[l - 1] = 3;
        for (i, slot) in extra[l + l / 2..].iter_mut().enumerate() {
            *slot = (i * 7 % 50) as i64 + 1;
        }
        inputs.extend(extra);
        let rows = inputs.len() / l;
        assert!(inputs.chunks(l).any(|r| r[0] == 0) && inputs.chunks(l).any(|r| r[0] != 0));
        let (slow, _) = burn_query_states(&model, &inputs, None, l, 64, &device).unwrap();
        let (fast, _) = query_states(&model, &inputs, None, l, 64, &device).unwrap();
        assert_eq!(fast.len(), rows * cfg.dim);
        let diff = max_rel_diff(&slow, &fast);
        eprintln!("dim {}: max relative difference {diff:e}", cfg.dim);
        assert!(
            diff < 1e-5,
            "dim {}: plain vs burn differ by {diff}",
            cfg.dim
        );
        // The comparison can fail: the states are not all alike.
        assert!(max_rel_diff(&fast[..cfg.dim], &fast[cfg.dim..2 * cfg.dim]) > 1e-2);
    }
}

#[test]
fn plain_forward_gives_the_same_metrics_as_burn() {
    let split = ml100k_split(Some(150));
    let cfg = &configs()[0];
    let model = trained(cfg, &split);
    let device = Device::flex();
    let opts = EvalOptions {
        ks: vec![10, 20],
        tie: Default::default(),
        mask_seen: false,
        max_len: cfg.max_len,
        chunk: 64,
    };
    let (plain, _) = evaluate_cases(&model, &split, &split.test, &opts, &device).unwrap();
    // The same evaluation with every state from burn.
    let inputs = collate_eval(&split, &split.test, cfg.max_len);
    let (slow, _) = burn_query_states(&model, &inputs, None, cfg.max_len, 64, &device).unwrap();
    let items: Vec<f32> = model.item_table().into_data().try_into_vec().unwrap();
    let targets = trustrec_models::batch::case_targets(&split, &split.test);
    let emb = trustrec_models::score::Embeddings {
        queries: slow,
        items,
        dim: cfg.dim,
        category_logits: None,
    };
    let req = opts.request(&emb, &targets, None);
    let (burn, _) = trustrec_eval::evaluate_full(&req).unwrap();
    for (k, v) in &plain {
        assert!(
            (v - burn[k]).abs() < 1e-9,
            "{k}: plain {v} vs burn {}",
            burn[k]
        );
    }
}

#[test]
fn plain_forward_is_independent_of_the_thread_count_and_rejects_bad_histories() {
    let split = ml100k_split(Some(150));
    let cfg = &configs()[1];
    let Recommender::SasRec(model) = trained(cfg, &split) else {
        panic!("not SASRec")
    };
    let plain = PlainSasRec::new(&model).unwrap();
    let inputs = collate_eval(&split, &split.test, cfg.max_len);
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| plain.last_states(&inputs, cfg.max_len).unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(3), "thread count changed the states");
    let empty = vec![0i64; cfg.max_len];
    let err = plain.last_states(&empty, cfg.max_len).unwrap_err();
    assert!(err.to_string().contains("empty history"), "{err}");
    let bad = vec![1_000_000i64; cfg.max_len];
    assert!(plain.last_states(&bad, cfg.max_len).is_err());
    let mut holed = vec![3i64; cfg.max_len];
    holed[cfg.max_len / 2] = 0;
    let err = plain.last_states(&holed, cfg.max_len).unwrap_err();
    assert!(err.to_string().contains("padding inside"), "{err}");
}

#[test]
fn empty_histories_fall_back_to_burn() {
    let split = ml100k_split(Some(150));
    let cfg = &configs()[1];
    let model = trained(cfg, &split);
    let device = Device::flex();
    let l = cfg.max_len;
    let mut inputs = collate_eval(&split, &split.test[..4], l);
    inputs.extend(vec![0i64; l]);
    let (slow, _) = burn_query_states(&model, &inputs, None, l, 64, &device).unwrap();
    let (got, _) = query_states(&model, &inputs, None, l, 64, &device).unwrap();
    assert_eq!(
        got, slow,
        "a batch with an empty history must take burn's path"
    );
}

#[test]
fn fast_erf_agrees_with_libm() {
    let mut worst = 0f32;
    // [-6, 6] in steps of 6e-5: the rational part and the clamped tails.
    for i in -100_000..=100_000 {
        let x = i as f32 * 6e-5;
        worst = worst.max((trustrec_models::plain::erf(x) - libm::erff(x)).abs());
    }
    assert!(worst < 1e-6, "erf differs from libm by {worst}");
    assert_eq!(trustrec_models::plain::erf(0.0), 0.0);
    assert!((trustrec_models::plain::erf(-20.0) + 1.0).abs() < 1e-6);
}

#[test]
fn plain_gru_equals_burn_gru_on_a_trained_model() {
    // GRU4Rec trained two epochs on 150 ml-100k users; real test histories plus an all-padding
    // row (the output layer's bias) and a one-item one.
    let split = ml100k_split(Some(150));
    let device = Device::flex();
    let cfg = ModelConfig::for_kind(ModelKind::Gru4Rec);
    let model = trained(&cfg, &split);
    let l = cfg.max_len;
    let mut inputs = collate_eval(&split, &split.test, l);
    let mut extra = vec![0i64; 2 * l];
    extra[2 * l - 1] = 5;
    inputs.extend(extra);
    let (slow, _) = burn_query_states(&model, &inputs, None, l, 64, &device).unwrap();
    let (fast, _) = query_states(&model, &inputs, None, l, 64, &device).unwrap();
    assert_eq!(fast.len(), inputs.len() / l * cfg.dim);
    let diff = max_rel_diff(&slow, &fast);
    eprintln!("GRU4Rec: max relative difference {diff:e}");
    assert!(diff < 1e-5, "plain vs burn GRU differ by {diff}");
    assert!(max_rel_diff(&fast[..cfg.dim], &fast[cfg.dim..2 * cfg.dim]) > 1e-2);
}
