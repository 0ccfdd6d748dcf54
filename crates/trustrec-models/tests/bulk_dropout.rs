//! Bulk dropout masks (`[model] bulk_dropout`): the encoder pass is burn's op for op, the masks
//! keep the requested share with the inverted scale, and training stays deterministic.

mod common;

use burn::nn::DropoutConfig;
use burn::nn::transformer::{TransformerEncoderConfig, TransformerEncoderInput};
use burn::tensor::{Bool, Distribution, Tensor, TensorData};
use common::{ml100k_split, small_model, small_train};
use trustrec_models::encode::{bulk_dropout, encode, seed_masks};
use trustrec_models::{Device, ModelConfig, ModelKind};

fn causal(b: usize, len: usize, device: &Device) -> Tensor<3, Bool> {
    let blocked: Vec<bool> = (0..b * len * len)
        .map(|i| (i % len) > (i / len) % len)
        .collect();
    Tensor::from_data(TensorData::new(blocked, [b, len, len]), device)
}

fn values(t: Tensor<3>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// Without active dropout (evaluation device, or probability 0 on the training device) the
/// bulk pass gives exactly burn's output, so only the masks differ between the two paths.
#[test]
fn bulk_encoder_pass_is_burns_without_dropout() {
    let plain = Device::flex();
    let train = plain.clone().autodiff();
    for (device, p) in [(&plain, 0.2), (&train, 0.0)] {
        let enc = TransformerEncoderConfig::new(16, 32, 2, 2)
            .with_dropout(p)
            .init(device);
        let x = Tensor::<3>::random([3, 7, 16], Distribution::Normal(0.0, 1.0), device);
        let mask = causal(3, 7, device);
        let burn = enc.forward(TransformerEncoderInput::new(x.clone()).mask_attn(mask.clone()));
        let ours = encode(&enc, x, mask, true);
        assert_eq!(values(ours), values(burn), "dropout {p}");
    }
}

/// On the training device each element is kept with probability 1 - p and scaled by
/// 1 / (1 - p); the same seed gives the same mask, another seed another one.
#[test]
fn bulk_masks_keep_the_requested_share() {
    // The generator is global: hold the lock training runs hold, so none draws in between.
    let _guard = trustrec_models::train::rng_guard();
    let device = Device::flex().autodiff();
    let drop = DropoutConfig::new(0.2).init();
    let ones = || Tensor::<3>::ones([8, 50, 64], &device);
    seed_masks(11);
    let a = values(bulk_dropout(&drop, ones()));
    let kept = a.iter().filter(|&&v| v != 0.0).count() as f64 / a.len() as f64;
    assert!((kept - 0.8).abs() < 0.01, "kept share {kept}");
    assert!(
        a.iter().all(|&v| v == 0.0 || v == 1.25),
        "values other than 0 and 1.25"
    );
    seed_masks(11);
    assert_eq!(values(bulk_dropout(&drop, ones())), a);
    seed_masks(12);
    assert_ne!(values(bulk_dropout(&drop, ones())), a);
    // Not on the evaluation device.
    let plain = Device::flex();
    let x = Tensor::<3>::ones([2, 3, 4], &plain);
    assert_eq!(values(bulk_dropout(&drop, x.clone())), values(x));
}

/// Training with bulk masks (SASRec's encoder pass, TiSASRec's own blocks, the RNNs' input
/// dropout): the loss goes down,
/// the same seed repeats every number, and the masks are not burn's (the run differs from the
/// default path).
#[test]
fn training_with_bulk_masks_is_deterministic_and_learns() {
    let split = ml100k_split(Some(100));
    for kind in [
        ModelKind::SasRec,
        ModelKind::TiSasRec,
        ModelKind::Gru4Rec,
        ModelKind::Lstm,
    ] {
        let mut m = small_model(kind);
        m.bulk_dropout = true;
        let t = small_train(3);
        let losses = |m: &ModelConfig| -> Vec<f64> {
            let out = common::trainer(m, &t, 4).fit(&split).expect("fit");
            out.epochs
                .iter()
                .map(|e| e["loss"].as_f64().unwrap())
                .collect()
        };
        let (a, b) = (losses(&m), losses(&m));
        assert_eq!(a, b, "{kind}: same seed, other numbers");
        assert!(a[2] < a[0] - 0.05, "{kind}: loss did not decrease: {a:?}");
        m.bulk_dropout = false;
        assert_ne!(losses(&m), a, "{kind}: bulk masks equal burn's");
    }
}
