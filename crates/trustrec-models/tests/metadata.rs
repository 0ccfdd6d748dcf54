//! The item-ID-free models (M2TRec, HierSRec): metadata features, gradients, parameter count
//! independent of the catalogue, cold items ranked like their metadata twins, and HierSRec's
//! candidate ranking against full ranking. Real metadata: the embedded ml-100k's genres and years.

mod common;

use std::sync::Arc;

use burn::module::Module;
use common::{assert_trimming_exact, ml100k_dir, short_samples, small_model, small_train};
use trustrec_data::{AttributeField, Format, IdMap, ItemCatalog, LoadOptions, Split, SplitKind};
use trustrec_eval::{TieRule, rank_of};
use trustrec_models::autodiff::GradCensus;
use trustrec_models::batch::{TrainBatch, collate_train, training_samples};
use trustrec_models::candidates::{choose, evaluate_candidates};
use trustrec_models::input::SeqInput;
use trustrec_models::loss::{cross_entropy, loss_states};
use trustrec_models::score::{EvalOptions, embed_cases, evaluate_cases};
use trustrec_models::{
    CategoryRule, CheckpointOptions, Device, ItemFeatures, ModelConfig, ModelKind,
    POPULARITY_FIELD, SessionPool, TrainMode, Trainer, init_model,
};

const META: [ModelKind; 2] = [ModelKind::M2TRec, ModelKind::HierSRec];

/// One field over 4 items: [a b], [b], [], [c b].
fn tiny_catalog() -> ItemCatalog {
    let mut values = IdMap::new();
    for v in ["a", "b", "c"] {
        values.get_or_insert(v);
    }
    ItemCatalog {
        titles: vec![None; 4],
        fields: vec![AttributeField {
            name: "class".into(),
            values,
            offsets: vec![0, 2, 3, 3, 5],
            flat: vec![0, 1, 1, 2, 1],
        }],
    }
}

#[test]
fn features_follow_the_category_rules_by_hand() {
    let cat = tiny_catalog();
    let f = |rule| ItemFeatures::from_catalog(&cat, 4, &[], None, rule).unwrap();
    // Frequencies: a 1, b 3, c 1; the item without values gets the extra category 3.
    assert_eq!(f(CategoryRule::Rarest).category, [0, 1, 3, 2]);
    assert_eq!(f(CategoryRule::Commonest).category, [1, 1, 3, 1]);
    assert_eq!(f(CategoryRule::First).category, [0, 1, 3, 2]);
    let x = f(CategoryRule::Rarest);
    assert_eq!((x.n_categories, x.n_sub), (4, 3));
    let fi = &x.fields[0];
    assert_eq!((fi.n_values, fi.width), (4, 2));
    assert_eq!(fi.idx, [1, 2, 2, 0, 0, 0, 3, 2]);
    assert_eq!(fi.weight, [0.5, 0.5, 1.0, 0.0, 1.0, 0.0, 0.5, 0.5]);
    assert_eq!(x.subs_of(3), [2, 1]);
    // Items by category, most popular first.
    assert_eq!(
        x.items_by_category(&[5, 9, 1, 7]),
        vec![vec![0], vec![1], vec![3], vec![2]]
    );
}

#[test]
fn missing_or_unknown_metadata_is_a_clear_error() {
    let none = ItemCatalog::empty(4);
    let e = ItemFeatures::from_catalog(&none, 4, &[], None, CategoryRule::Rarest).unwrap_err();
    assert!(format!("{e}").contains("--items"), "{e}");
    let e = ItemFeatures::from_catalog(
        &tiny_catalog(),
        4,
        &["brand".into()],
        None,
        CategoryRule::Rarest,
    )
    .unwrap_err();
    assert!(
        format!("{e}").contains("unknown item field 'brand'") && format!("{e}").contains("class")
    );
    let cfg = small_model(ModelKind::M2TRec);
    let e = init_model(&cfg, 4, None, 1, &Device::flex()).unwrap_err();
    assert!(format!("{e}").contains("needs item metadata"), "{e}");
}

/// ml-100k (first `users` users) with its real genre / year catalog.
fn ml100k(users: usize) -> (Split, Arc<ItemFeatures>) {
    let loaded = trustrec_data::load(&ml100k_dir(), Format::Recbole, &LoadOptions::default())
        .expect("load ml-100k");
    let mut log = loaded.log.clone();
    let keep: Vec<usize> = (0..log.len())
        .filter(|&i| (log.users[i] as usize) < users)
        .collect();
    log.users = keep.iter().map(|&i| log.users[i]).collect();
    log.items = keep.iter().map(|&i| log.items[i]).collect();
    log.times = keep.iter().map(|&i| log.times[i]).collect();
    log.rows = keep.iter().map(|&i| log.rows[i]).collect();
    let split = trustrec_data::split(&log, &SplitKind::LeaveOneOut).expect("split");
    let feats = ItemFeatures::from_catalog(
        &loaded.catalog,
        loaded.log.n_items(),
        &[],
        None,
        CategoryRule::Rarest,
    )
    .expect("features");
    assert_eq!(feats.category_field, "class");
    (split, Arc::new(feats))
}

#[test]
fn every_parameter_gets_a_gradient_from_item_and_auxiliary_losses() {
    let (split, feats) = ml100k(40);
    let device = Device::flex().autodiff();
    for kind in META {
        let cfg = small_model(kind);
        let model = init_model(&cfg, feats.n_items, Some(&feats), 2, &device).unwrap();
        let _graph = trustrec_models::autodiff::exclusive();
        let samples = training_samples(&split, TrainMode::Window, cfg.max_len);
        let tb: TrainBatch = collate_train(&split, &samples[..16], cfg.max_len, false);
        let input = SeqInput::new(&tb.inputs, tb.batch, tb.max_len, &device);
        let s = loss_states(model.hidden(&input), &tb, &device);
        let aux = model
            .aux_loss(s.clone(), &tb.targets, &device)
            .expect("aux loss");
        let loss = cross_entropy(model.query(s), model.item_table(), &tb.targets, &device) + aux;
        let v = GradCensus::of(&model, loss.backward());
        assert!(v.total > 10, "{kind}: visited only {} parameters", v.total);
        assert!(
            v.missing.is_empty(),
            "{kind}: no gradient for {:?}",
            v.missing
        );
    }
}

/// The mean-pooled session vector at each position is the average of the last-position
/// vectors over the real positions so far (same weights: the pool is not a parameter), and the
/// two rules differ once a session has two items.
#[test]
fn session_pools_last_and_mean_agree_by_hand() {
    let (split, feats) = ml100k(40);
    let device = Device::flex();
    for kind in META {
        let mean_cfg = small_model(kind);
        let last_cfg = ModelConfig {
            session_pool: SessionPool::Last,
            ..mean_cfg.clone()
        };
        let samples = training_samples(&split, TrainMode::Window, mean_cfg.max_len);
        let tb: TrainBatch = collate_train(&split, &samples[..8], mean_cfg.max_len, false);
        let input = SeqInput::new(&tb.inputs, tb.batch, tb.max_len, &device);
        let state = |cfg: &ModelConfig| {
            let m = init_model(cfg, feats.n_items, Some(&feats), 3, &device).unwrap();
            m.hidden(&input).into_data().try_to_vec::<f32>().unwrap()
        };
        let (mean, last) = (state(&mean_cfg), state(&last_cfg));
        let d = mean_cfg.dim;
        let (mut checked, mut max_gap) = (0, 0f32);
        for b in 0..tb.batch {
            let mut sum = vec![0f32; d];
            let mut n = 0f32;
            for t in 0..tb.max_len {
                let at = (b * tb.max_len + t) * d;
                if tb.inputs[b * tb.max_len + t] == 0 {
                    continue;
                }
                n += 1.0;
                for k in 0..d {
                    sum[k] += last[at + k];
                    let want = sum[k] / n;
                    assert!(
                        (mean[at + k] - want).abs() < 1e-4,
                        "{kind}: sequence {b}, position {t}: mean {} vs {want}",
                        mean[at + k]
                    );
                    if n >= 2.0 {
                        max_gap = max_gap.max((mean[at + k] - last[at + k]).abs());
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 8, "{kind}: only {checked} real positions");
        assert!(max_gap > 1e-2, "{kind}: last equals mean ({max_gap})");
    }
}

/// The metadata models' options are refused, not silently ignored, on the other models.
#[test]
fn metadata_options_are_refused_on_other_models() {
    for kind in [ModelKind::SasRec, ModelKind::Gru4Rec, ModelKind::UniSRec] {
        let pool = ModelConfig {
            session_pool: SessionPool::Last,
            ..ModelConfig::for_kind(kind)
        };
        let pop = ModelConfig {
            popularity_field: true,
            ..ModelConfig::for_kind(kind)
        };
        for cfg in [pool, pop] {
            let err = cfg.validate().unwrap_err().to_string();
            assert!(err.contains("only to m2trec and hiersrec"), "{kind}: {err}");
        }
    }
    for kind in META {
        let cfg = ModelConfig {
            session_pool: SessionPool::Last,
            popularity_field: true,
            ..ModelConfig::for_kind(kind)
        };
        cfg.validate().unwrap();
    }
}

/// Features for `n` items cycling through the same 7 x 3 attribute values.
fn cycled(n: usize) -> Arc<ItemFeatures> {
    let mut g = IdMap::new();
    let mut y = IdMap::new();
    (0..7).for_each(|v| {
        g.get_or_insert(&v.to_string());
    });
    (0..3).for_each(|v| {
        y.get_or_insert(&v.to_string());
    });
    let field = |name: &str, values: IdMap, m: u32| AttributeField {
        name: name.into(),
        values,
        offsets: (0..=n as u32).collect(),
        flat: (0..n as u32).map(|i| i % m).collect(),
    };
    let cat = ItemCatalog {
        titles: vec![None; n],
        fields: vec![field("class", g, 7), field("year", y, 3)],
    };
    Arc::new(ItemFeatures::from_catalog(&cat, n, &[], None, CategoryRule::Rarest).unwrap())
}

/// The popularity field buckets training counts by hand (0-4 exactly, then powers of two) and
/// parts items that share all their metadata only when their buckets differ.
#[test]
fn popularity_field_buckets_counts_and_breaks_metadata_ties() {
    // `cycled` gives item i the metadata of item i % 21.
    let mut counts = vec![0u32; 105];
    let set = [
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 4),
        (5, 5),
        (6, 7),
        (7, 8),
        (8, 15),
    ];
    for (i, c) in set.into_iter().chain([(9, 16), (10, 1000), (21, 1)]) {
        counts[i] = c;
    }
    let feats = Arc::new(Arc::unwrap_or_clone(cycled(105)).with_popularity(&counts));
    let pop = feats.fields.last().unwrap();
    assert_eq!(pop.name, POPULARITY_FIELD);
    assert_eq!(pop.width, 1);
    let buckets: Vec<i64> = (0..11).map(|i| pop.idx[i] - 1).collect();
    assert_eq!(buckets, [0, 1, 2, 3, 4, 5, 5, 6, 6, 7, 12]);
    assert_eq!(pop.n_values, 14, "rows: no value + buckets 0..=12");
    let device = Device::flex();
    for kind in META {
        let cfg = small_model(kind);
        let model = init_model(&cfg, 105, Some(&feats), 1, &device).unwrap();
        let table = model.item_table().into_data().try_to_vec::<f32>().unwrap();
        let row = |i: usize| &table[i * cfg.dim..(i + 1) * cfg.dim];
        // Items 0 and 42: same metadata, both never seen -> one vector.
        assert_eq!(row(0), row(42), "{kind}");
        // Items 0 and 21: same metadata, counts 0 and 1 -> two vectors.
        assert_ne!(row(0), row(21), "{kind}");
    }
}

/// Trimmed training batches leave the metadata models' states at loss positions unchanged.
#[test]
fn trimming_leaves_states_unchanged() {
    let (split, feats) = ml100k(80);
    let samples = short_samples(&split);
    let device = Device::flex();
    for kind in META {
        let cfg = small_model(kind);
        let model = init_model(&cfg, feats.n_items, Some(&feats), 5, &device).unwrap();
        assert_trimming_exact(kind, &model, &split, &samples, cfg.max_len, &device);
    }
}

#[test]
fn parameter_count_does_not_grow_with_the_catalogue() {
    let device = Device::flex();
    for kind in META {
        let cfg = small_model(kind);
        let small = init_model(&cfg, 50, Some(&cycled(50)), 1, &device).unwrap();
        let large = init_model(&cfg, 50_000, Some(&cycled(50_000)), 1, &device).unwrap();
        assert_eq!(small.num_params(), large.num_params(), "{kind}");
        assert_eq!(large.item_table().dims(), [50_000, cfg.dim]);
    }
    // The ID-based baseline does grow: one vector per item.
    let cfg = small_model(ModelKind::SasRec);
    let a = init_model(&cfg, 50, None, 1, &device).unwrap().num_params();
    let b = init_model(&cfg, 50_000, None, 1, &device)
        .unwrap()
        .num_params();
    assert_eq!(b - a, (50_000 - 50) * cfg.dim);
}

fn trainer<'a>(
    m: &'a ModelConfig,
    t: &'a trustrec_models::TrainConfig,
    f: &Arc<ItemFeatures>,
) -> Trainer<'a> {
    Trainer {
        model_cfg: m,
        train_cfg: t,
        seed: 7,
        n_items: Some(f.n_items),
        features: Some(Arc::clone(f)),
        device: Device::flex(),
        checkpoint: CheckpointOptions::default(),
        progress: false,
        on_epoch: None,
    }
}

/// An item of ml-100k that the 60-user training prefixes never contain, but whose metadata equals
/// that of an item they do contain: training moves its vector (through the shared attribute
/// embeddings), and it then ranks exactly like its warm twin for every test history.
#[test]
fn m2trec_ranks_items_never_seen_in_training_by_their_metadata() {
    let (split, feats) = ml100k(60);
    let m = small_model(ModelKind::M2TRec);
    let t = small_train(3);
    let out = trainer(&m, &t, &feats).fit(&split).expect("fit");
    let l: Vec<f64> = out
        .epochs
        .iter()
        .map(|e| e["loss"].as_f64().unwrap())
        .collect();
    assert!(l[2] < l[0], "loss did not decrease: {l:?}");

    let counts = split.train_item_counts();
    let seen = |i: usize| counts.get(i).copied().unwrap_or(0) > 0;
    let key = |i: usize| -> Vec<i64> {
        feats
            .fields
            .iter()
            .flat_map(|f| f.idx[i * f.width..(i + 1) * f.width].to_vec())
            .collect()
    };
    // The cold item whose warm metadata twins are the most popular in training.
    let mut best: Option<(u32, usize, usize)> = None;
    for c in (0..feats.n_items).filter(|&i| !seen(i)) {
        let twins: Vec<usize> = (0..feats.n_items)
            .filter(|&w| seen(w) && key(w) == key(c))
            .collect();
        let pop: u32 = twins.iter().map(|&w| counts[w]).sum();
        if let Some(&w) = twins.first()
            && best.is_none_or(|b| pop > b.0)
        {
            best = Some((pop, c, w));
        }
    }
    let (_, cold, warm) = best.expect("a cold item with a warm metadata twin");
    let emb = embed_cases(
        &out.model,
        &split,
        &split.test,
        m.max_len,
        64,
        &Device::flex(),
    )
    .unwrap();
    let d = emb.dim;
    assert_eq!(
        emb.items[cold * d..(cold + 1) * d],
        emb.items[warm * d..(warm + 1) * d]
    );
    let before = init_model(&m, feats.n_items, Some(&feats), 7, &Device::flex()).unwrap();
    let init: Vec<f32> = before.item_table().into_data().try_into_vec().unwrap();
    assert_ne!(
        init[cold * d..(cold + 1) * d],
        emb.items[cold * d..(cold + 1) * d],
        "training moved the cold item"
    );
    let mut top_tenth = 0;
    for q in emb.queries.chunks(d) {
        let scores: Vec<f32> = emb
            .items
            .chunks(d)
            .map(|row| row.iter().zip(q).map(|(a, b)| a * b).sum())
            .collect();
        let rc = rank_of(&scores, cold as u32, &[], TieRule::Optimistic).unwrap();
        let rw = rank_of(&scores, warm as u32, &[], TieRule::Optimistic).unwrap();
        assert_eq!(
            rc, rw,
            "cold item {cold} and its warm twin {warm} rank differently"
        );
        top_tenth += (rc <= feats.n_items as f64 / 10.0) as usize;
    }
    // It is genuinely recommended: in the top tenth of the catalogue for some test histories.
    assert!(top_tenth > 0, "the cold item never reached the top tenth");
}

#[test]
fn hiersrec_candidates_fill_the_budget_by_category_then_popularity() {
    let by_cat = vec![vec![0, 1], vec![2, 3, 4], vec![5]];
    let mut cand = Vec::new();
    choose(&[0.1, 0.9, 0.5], &by_cat, 4, &mut cand);
    assert_eq!(cand, [2, 3, 4, 5]);
    choose(&[0.1, 0.9, 0.5], &by_cat, 2, &mut cand);
    assert_eq!(cand, [2, 3]);
    choose(&[0.7, 0.7, 0.5], &by_cat, 3, &mut cand);
    assert_eq!(cand, [0, 1, 2], "ties go to the smaller category id");
}

/// With the whole catalogue as candidates, candidate ranking must equal full ranking exactly,
/// with and without masking the seen items and with or without a popular head; with 4% it ranks fewer items and can only lose
/// targets it does not cover. The report's full metrics are the run's metrics.
#[test]
fn hiersrec_candidate_ranking_agrees_with_full_ranking() {
    let (split, feats) = ml100k(80);
    let t = small_train(2);
    let device = Device::flex();
    // A popular head only reorders the candidates' layout: over the whole catalogue it must
    // change nothing either.
    for (share, head) in [(1.0, 0.0), (1.0, 0.5), (0.04, 0.0), (0.04, 0.25)] {
        let m = ModelConfig {
            candidate_share: share,
            candidate_head: head,
            ..small_model(ModelKind::HierSRec)
        };
        let out = trainer(&m, &t, &feats).fit(&split).expect("fit");
        for mask_seen in [false, true] {
            let opts = EvalOptions {
                ks: vec![10, 20],
                tie: Default::default(),
                mask_seen,
                max_len: m.max_len,
                chunk: 64,
            };
            let emb = embed_cases(&out.model, &split, &split.test, m.max_len, 64, &device).unwrap();
            let r = evaluate_candidates(&out.model, &split, &split.test, &emb, &opts)
                .unwrap()
                .expect("HierSRec has candidates");
            let (full, _) =
                evaluate_cases(&out.model, &split, &split.test, &opts, &device).unwrap();
            for (k, v) in &full {
                assert!((r.full[k] - v).abs() < 1e-9, "{k}: {} vs {v}", r.full[k]);
            }
            if share == 1.0 {
                assert_eq!(r.n_candidates, feats.n_items);
                assert_eq!(r.target_coverage, 1.0);
                // The head moves items into another slab, scored by another kernel (sgemm
                // instead of dot products), so near-ties deep in the list may swap: MRR
                // without cutoff moved by 2.5e-8 here; a swap in the top 20 would move hit@K
                // by 1/80.
                let tol = if head > 0.0 { 1e-6 } else { 1e-9 };
                for (k, v) in &full {
                    assert!(
                        (r.candidates[k] - v).abs() < tol,
                        "mask {mask_seen} {k}: {} vs {v}",
                        r.candidates[k]
                    );
                }
            } else {
                assert_eq!(
                    r.n_candidates,
                    (0.04 * feats.n_items as f64).ceil() as usize
                );
                assert!(r.target_coverage < 1.0);
                // Fewer competitors: a covered target can only rank higher, so HR@20 over
                // candidates is at least the covered share of full hits... and never more than
                // coverage.
                assert!(r.candidates["hit@20"] <= r.target_coverage + 1e-12);
            }
        }
    }
    // Other models have no candidates.
    let m = small_model(ModelKind::M2TRec);
    let out = trainer(&m, &t, &feats).fit(&split).unwrap();
    let opts = EvalOptions {
        ks: vec![10],
        tie: Default::default(),
        mask_seen: false,
        max_len: m.max_len,
        chunk: 64,
    };
    let emb = embed_cases(&out.model, &split, &split.test, m.max_len, 64, &device).unwrap();
    assert!(emb.category_logits.is_none());
    assert!(
        evaluate_candidates(&out.model, &split, &split.test, &emb, &opts)
            .unwrap()
            .is_none()
    );
}
