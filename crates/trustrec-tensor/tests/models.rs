//! Completion models and DAIN against known answers: CP-ALS recovers an exact low-rank tensor,
//! the Cholesky solve, the closed-form influence equals autodiff's output-layer gradients,
//! every parameter gets a gradient, training lowers the validation error, seeded runs repeat,
//! and the augmentation samplers obey their weights.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use trustrec_models::autodiff::GradCensus;
use trustrec_tensor::augment::{entity_weights, normalise_importance, sample_cells};
use trustrec_tensor::cp::cholesky_solve;
use trustrec_tensor::fit::{epoch_influence, fit};
use trustrec_tensor::net::{CellBatch, CompletionNet, NetConfig, NetKind};
use trustrec_tensor::split::split_cells;
use trustrec_tensor::{
    Aggregate, Augment, AugmentConfig, FitConfig, Importance, ModelKind, SparseTensor,
};

/// An exact rank-2 tensor 12 x 10 x 8, 60% of its cells observed (seeded choice).
fn low_rank() -> SparseTensor {
    let (a, b, c) = (12, 10, 8);
    let f = |m: usize, i: usize, k: usize| ((i * (3 + m) + k * 5 + m) % 7) as f32 / 7.0 - 0.3;
    let (mut idx, mut values) = (Vec::new(), Vec::new());
    for i in 0..a {
        for j in 0..b {
            for l in 0..c {
                if (i * 31 + j * 17 + l * 7) % 10 < 6 {
                    idx.extend_from_slice(&[i as u32, j as u32, l as u32]);
                    values.push(
                        (0..2)
                            .map(|k| f(0, i, k) * f(1, j, k) * f(2, l, k))
                            .sum::<f32>()
                            * 10.0,
                    );
                }
            }
        }
    }
    SparseTensor::new(vec![a, b, c], idx, values).unwrap()
}

fn parts(t: &SparseTensor, seed: u64) -> (SparseTensor, SparseTensor, SparseTensor) {
    let s = split_cells(t.len(), 0.72, 0.18, seed).unwrap();
    (t.subset(&s.train), t.subset(&s.valid), t.subset(&s.test))
}

fn rmse(p: &[f32], t: &[f32]) -> f64 {
    (p.iter()
        .zip(t)
        .map(|(a, b)| ((a - b) as f64).powi(2))
        .sum::<f64>()
        / t.len() as f64)
        .sqrt()
}

#[test]
fn cholesky_solves_a_known_system() {
    // [[4, 2], [2, 3]] x = [2, 1]  =>  x = [0.5, 0]
    let mut a = vec![4.0, 2.0, 2.0, 3.0];
    let mut b = vec![2.0, 1.0];
    cholesky_solve(&mut a, &mut b, 2);
    assert!((b[0] - 0.5).abs() < 1e-12 && b[1].abs() < 1e-12, "{b:?}");
}

#[test]
fn cp_als_recovers_an_exact_low_rank_tensor() {
    let t = low_rank();
    let (train, valid, test) = parts(&t, 1);
    let cfg = FitConfig {
        model: ModelKind::Cp,
        rank: 2,
        ridge: 1e-6,
        max_epochs: 300,
        patience: 300,
        ..FitConfig::default()
    };
    let f = fit(&train, &valid, &cfg, 1, false, &Device::flex()).unwrap();
    let p = f.predict(&test.idx, 3, &Device::flex()).unwrap();
    let spread = rmse(&vec![0.0; test.len()], &test.values);
    assert!(
        rmse(&p, &test.values) < 0.02 * spread,
        "test rmse {} vs spread {spread}",
        rmse(&p, &test.values)
    );
}

fn net_cfg(kind: NetKind) -> NetConfig {
    NetConfig {
        kind,
        rank: 4,
        layers: vec![8, 6],
        channels: 5,
    }
}

#[test]
fn every_parameter_gets_a_gradient() {
    let ad = Device::flex().autodiff();
    let t = low_rank();
    for kind in [NetKind::Mlp, NetKind::Costco] {
        ad.seed(3);
        let net = CompletionNet::new(&net_cfg(kind), &t.shape, &ad);
        // All entities appear in the first 200 cells, so every embedding row is touched.
        let _graph = trustrec_models::autodiff::exclusive();
        let x = CellBatch::new(&t.idx[..600], 3, &ad);
        let y = Tensor::<1>::from_data(TensorData::new(t.values[..200].to_vec(), [200]), &ad);
        let grads = (net.forward(&x) - y).powi_scalar(2).mean().backward();
        let (seen, missing) = GradCensus::count(&net, grads);
        assert!(seen >= 8, "{kind:?}: {seen} parameters");
        assert_eq!(missing, 0, "{kind:?}: parameters without gradient");
    }
}

/// `<g_c, G>` from the closed form equals the dot product of autodiff's output-layer gradients
/// of `0.5 (f(c) - z_c)^2` and `0.5 sum_v (f(v) - z_v)^2`.
#[test]
fn influence_matches_autodiff_output_layer_gradients() {
    let t = low_rank();
    let (train, valid, _) = parts(&t, 2);
    let ad = Device::flex().autodiff();
    for kind in [NetKind::Mlp, NetKind::Costco] {
        ad.seed(5);
        let net = CompletionNet::new(&net_cfg(kind), &t.shape, &ad);
        let zt: Vec<f32> = train.values.iter().map(|v| v / 3.0).collect();
        let zv: Vec<f32> = valid.values.iter().map(|v| v / 3.0).collect();
        let fast =
            epoch_influence(&net.valid(), &train, &zt, &valid, &zv, &Device::flex()).unwrap();
        let grad_of = |idx: &[u32], z: &[f32]| -> Vec<f32> {
            let _graph = trustrec_models::autodiff::exclusive();
            let x = CellBatch::new(idx, 3, &ad);
            let y = Tensor::<1>::from_data(TensorData::new(z.to_vec(), [z.len()]), &ad);
            let g = ((net.forward(&x) - y).powi_scalar(2).sum() * 0.5).backward();
            let out = net.output_layer();
            let mut v: Vec<f32> = out
                .weight
                .val()
                .grad(&g)
                .unwrap()
                .into_data()
                .try_into_vec()
                .unwrap();
            v.extend(
                out.bias
                    .as_ref()
                    .unwrap()
                    .val()
                    .grad(&g)
                    .unwrap()
                    .into_data()
                    .try_into_vec::<f32>()
                    .unwrap(),
            );
            v
        };
        let big_g = grad_of(&valid.idx, &zv);
        for c in [0, 7, 42, train.len() - 1] {
            let g = grad_of(train.cell(c), &zt[c..=c]);
            let slow: f64 = g
                .iter()
                .zip(&big_g)
                .map(|(&a, &b)| a as f64 * b as f64)
                .sum();
            assert!(
                (slow - fast[c]).abs() <= 1e-3 * slow.abs().max(1.0),
                "{kind:?} cell {c}: {slow} vs {}",
                fast[c]
            );
        }
    }
}

/// On the real IL2 response tensor (../shared/datasets/tensors; skipped when absent).
#[test]
fn real_il2_neural_training_lowers_validation_error_and_repeats_with_the_seed() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/datasets/tensors/IL2_Response_Tensor.npy");
    if !path.exists() {
        println!("skipped: {} is absent", path.display());
        return;
    }
    let t = trustrec_tensor::npy::dense_to_sparse(
        &trustrec_tensor::npy::read_npy(&path).unwrap(),
        None,
    )
    .unwrap();
    let (train, valid, _) = parts(&t, 3);
    for model in [ModelKind::Mlp, ModelKind::Costco] {
        let cfg = FitConfig {
            model,
            rank: 8,
            layers: vec![64, 32],
            channels: 16,
            batch_size: 256,
            max_epochs: 10,
            patience: 10,
            ..FitConfig::default()
        };
        let a = fit(&train, &valid, &cfg, 11, true, &Device::flex()).unwrap();
        let b = fit(&train, &valid, &cfg, 11, true, &Device::flex()).unwrap();
        assert_eq!(
            a.valid_rmse, b.valid_rmse,
            "{model:?}: same seed, different curve"
        );
        assert_eq!(a.importance, b.importance);
        let best = a.valid_rmse[a.best_epoch];
        assert!(
            best < 0.8 * a.valid_rmse[0],
            "{model:?}: valid rmse {:?}",
            a.valid_rmse
        );
        assert_eq!(a.importance.as_ref().unwrap().len(), train.len());
    }
}

#[test]
fn entity_weights_follow_hand_computed_importances() {
    let t = SparseTensor::new(
        vec![2, 2, 3],
        vec![0, 0, 0, 0, 1, 1, 1, 1, 2],
        vec![1.0, 2.0, 3.0],
    )
    .unwrap();
    let raw = [2.0, -4.0, 1.0];
    assert_eq!(
        normalise_importance(&raw, Importance::Abs),
        vec![1.0, 2.0, 0.5]
    );
    assert_eq!(
        normalise_importance(&raw, Importance::Shift),
        vec![1.0, 0.0, 5.0 / 6.0]
    );
    assert_eq!(
        normalise_importance(&raw, Importance::Positive),
        vec![1.0, 0.0, 0.5]
    );
    let sum = AugmentConfig::default();
    let w = entity_weights(Augment::Dain, &t, Some(&raw), sum).unwrap();
    assert_eq!(w, vec![vec![3.0, 0.5], vec![1.0, 2.5], vec![1.0, 2.0, 0.5]]);
    let mean = AugmentConfig {
        aggregate: Aggregate::Mean,
        ..sum
    };
    assert_eq!(
        entity_weights(Augment::Dain, &t, Some(&raw), mean).unwrap()[0],
        vec![1.5, 0.5]
    );
    let f = entity_weights(Augment::Frequency, &t, None, sum).unwrap();
    assert_eq!(f, vec![vec![2.0, 1.0], vec![1.0, 2.0], vec![1.0, 1.0, 1.0]]);
    assert!(entity_weights(Augment::Dain, &t, None, sum).is_err());
}

#[test]
fn sampled_cells_avoid_training_cells_repeats_and_zero_weights() {
    let t = low_rank();
    let exclude = t.keys();
    let mut w: Vec<Vec<f64>> = t.shape.iter().map(|&s| vec![1.0; s]).collect();
    w[0][3] = 0.0;
    let idx = sample_cells(&t.shape, &w, 300, &exclude, 9).unwrap();
    assert_eq!(idx.len(), 900);
    let new = SparseTensor::new(t.shape.clone(), idx.clone(), vec![0.0; 300]).expect("no repeats");
    for c in 0..new.len() {
        assert!(!exclude.contains(&new.key(c)), "sampled a training cell");
        assert_ne!(new.cell(c)[0], 3, "sampled a zero-weight entity");
    }
    assert_eq!(sample_cells(&t.shape, &w, 300, &exclude, 9).unwrap(), idx);
    // Only 384 of 960 cells are free: asking for more returns what exists instead of looping.
    let all = sample_cells(&t.shape, &w, 5000, &exclude, 9).unwrap();
    assert!(all.len() / 3 <= 960 - t.len());
}
