//! FINEST: the rank-preserving loss against a hand-computed value, and fine-tuning on real data
//! (embedded ml-100k) being deterministic and regularizing every original position.

mod common;

use burn::tensor::{Tensor, TensorData};
use trustrec_models::batch::TrainBatch;
use trustrec_models::finest::{FinestConfig, RefLists, finest_loss};
use trustrec_models::{Device, ModelKind, TrainConfig, TrainMode};

#[test]
fn finest_loss_hand_computed() {
    let device = Device::flex();
    // One position, state 1, items with scores [3, 2, 1, 0], target item 0.
    let states = Tensor::<2>::from_data(TensorData::new(vec![1.0f32], [1, 1]), &device);
    let table = Tensor::<2>::from_data(
        TensorData::new(vec![3.0f32, 2.0, 1.0, 0.0], [4, 1]),
        &device,
    );
    let batch = TrainBatch {
        batch: 1,
        max_len: 1,
        inputs: vec![1],
        loss_pos: vec![0],
        targets: vec![0],
        rows: vec![7],
        times: None,
    };
    // REF = [1, 0] (scores 2, 3), COMP = [3, 2] (scores 0, 1).
    let refs = RefLists::from_lists(2, [(7, vec![1, 0, 3, 2])]);
    let cfg = FinestConfig {
        epochs: 1,
        lr: 1e-3,
        lambda: 0.5,
        margin: 1.5,
        k: 2,
        fraction: 0.01,
    };
    let ce = (3f64.exp() + 2f64.exp() + 1f64.exp() + 1.0).ln() - 3.0;
    // L1 = max(0, 1.5 - (2 - 3)) = 2.5; L2 = mean(max(0, 1.5 - 2), max(0, 1.5 - 2)) = 0.
    let want = ce + 0.5 * 2.5;
    let loss = |b: &TrainBatch, negs: Option<&[i64]>| -> f64 {
        finest_loss(states.clone(), table.clone(), b, &refs, &cfg, negs, &device)
            .into_scalar::<f64>()
    };
    let got = loss(&batch, None);
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    // A position without a reference list (inserted: row u32::MAX) carries only the CE.
    let mut plain = batch.clone();
    plain.rows = vec![u32::MAX];
    let got = loss(&plain, None);
    assert!((got - ce).abs() < 1e-5, "{got} vs {ce}");
    // A BCE-trained model keeps its loss: negative item 3 (score 0), target score 3.
    let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
    let bce = -(sigmoid(3.0).ln() + (1.0 - sigmoid(0.0)).ln());
    let got = loss(&batch, Some(&[3]));
    assert!(
        (got - (bce + 0.5 * 2.5)).abs() < 1e-5,
        "{got} vs {}",
        bce + 0.5 * 2.5
    );
    let got = loss(&plain, Some(&[3]));
    assert!((got - bce).abs() < 1e-5, "{got} vs {bce}");
}

#[test]
fn fine_tuning_is_deterministic_and_covers_training_positions() {
    let split = common::ml100k_split(Some(120));
    let model = common::small_model(ModelKind::Lstm);
    let train = TrainConfig {
        epochs: 1,
        mode: TrainMode::Sequence,
        ..common::small_train(1)
    };
    let mut valid_free = split.clone();
    valid_free.valid.clear();
    let run = || {
        let mut t = common::trainer(&model, &train, 5);
        let cfg = FinestConfig {
            k: 10,
            ..FinestConfig::for_kind(ModelKind::Lstm, 2)
        };
        let s = valid_free.clone();
        t.fit_finest(&valid_free, &cfg, &mut |_| Ok(s.clone()))
            .unwrap()
            .1
    };
    let (a, b) = (run(), run());
    assert_eq!(a.finetune_loss, b.finetune_loss);
    assert_eq!(a.finetune_loss.len(), 2);
    assert!(a.finetune_loss.iter().all(|l| l.is_finite()));
    // Sequence mode: every user's last max_len training inputs get a list.
    let max_len = model.max_len;
    let want: usize = valid_free
        .train_len
        .iter()
        .filter(|&&n| n >= 2)
        .map(|&n| (n as usize - 1).min(max_len))
        .sum();
    assert_eq!(a.reference_positions, want);
}

#[test]
fn config_rejects_nan_or_negative_weights_by_name() {
    let ok = FinestConfig::for_kind(ModelKind::SasRec, 1);
    assert!(ok.validate(1000).is_ok());
    for (cfg, field) in [
        (
            FinestConfig {
                lambda: f64::NAN,
                ..ok.clone()
            },
            "finest.lambda",
        ),
        (
            FinestConfig {
                lambda: -1.0,
                ..ok.clone()
            },
            "finest.lambda",
        ),
        (
            FinestConfig {
                margin: f64::INFINITY,
                ..ok.clone()
            },
            "finest.margin",
        ),
        (
            FinestConfig {
                margin: -0.1,
                ..ok.clone()
            },
            "finest.margin",
        ),
    ] {
        let err = cfg.validate(1000).expect_err(field).to_string();
        assert!(err.contains(field), "{err}");
    }
}
