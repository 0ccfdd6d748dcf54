//! Every parameter of every model receives a non-zero gradient, and the losses' gradients match
//! finite differences.

mod common;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Gradients, Tensor, TensorData};
use common::{KINDS, small_model};
use trustrec_models::batch::TrainBatch;
use trustrec_models::input::SeqInput;
use trustrec_models::loss::{cross_entropy, loss_states, sampled_bce};
use trustrec_models::{Recommender, init_model};

struct GradCheck<'a> {
    grads: &'a Gradients,
    zero: Vec<String>,
    path: Vec<String>,
    seen: usize,
}

impl ModuleVisitor for GradCheck<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.seen += 1;
        let g = param.val().grad(self.grads);
        let norm: f32 = g.map(|g| g.abs().sum().into_scalar::<f32>()).unwrap_or(0.0);
        if norm <= 0.0 || !norm.is_finite() {
            self.zero.push(self.path.join("."));
        }
    }
}

fn full_batch(n_items: usize, b: usize, l: usize) -> TrainBatch {
    // Deterministic ids without padding, so every position (and position embedding) is used.
    let inputs: Vec<i64> = (0..b * l).map(|i| (i * 7 % n_items) as i64 + 1).collect();
    TrainBatch {
        batch: b,
        max_len: l,
        loss_pos: (0..(b * l) as i64).collect(),
        targets: (0..b * l).map(|i| (i * 3 % n_items) as i64).collect(),
        inputs,
    }
}

#[test]
fn every_parameter_gets_a_nonzero_gradient() {
    let device = Device::flex().autodiff();
    for kind in KINDS {
        let cfg = small_model(kind);
        let n_items = 40;
        let model = init_model(&cfg, n_items, 3, &device);
        let tb = full_batch(n_items, 4, cfg.max_len);
        let input = SeqInput::new(&tb.inputs, tb.batch, cfg.max_len, &device);
        let states = loss_states(model.hidden(&input), &tb, &device);
        let loss = cross_entropy(states, model.item_table(), &tb.targets, &device);
        let grads = loss.backward();
        let mut v = GradCheck {
            grads: &grads,
            zero: vec![],
            path: vec![],
            seen: 0,
        };
        model.visit(&mut v);
        assert!(v.seen > 3, "{kind}: visited only {} parameters", v.seen);
        assert!(
            v.zero.is_empty(),
            "{kind}: parameters without gradient: {:?}",
            v.zero
        );
    }
}

/// Finite-difference check of d loss / d states for both losses.
#[test]
fn loss_gradients_match_finite_differences() {
    let device = Device::flex().autodiff();
    let (n, d, items) = (3usize, 4usize, 5usize);
    let s: Vec<f32> = (0..n * d)
        .map(|i| ((i * 37 % 11) as f32 - 5.0) / 7.0)
        .collect();
    let t: Vec<f32> = (0..items * d)
        .map(|i| ((i * 13 % 9) as f32 - 4.0) / 5.0)
        .collect();
    let targets = [0i64, 3, 4];
    let negs = [2i64, 1, 0];
    let table = |dev: &Device| Tensor::<2>::from_data(TensorData::new(t.clone(), [items, d]), dev);
    for bce in [false, true] {
        let f = |st: Tensor<2>, dev: &Device| {
            if bce {
                sampled_bce(st, table(dev), &targets, &negs, dev)
            } else {
                cross_entropy(st, table(dev), &targets, dev)
            }
        };
        let states =
            Tensor::<2>::from_data(TensorData::new(s.clone(), [n, d]), &device).require_grad();
        let loss = f(states.clone(), &device);
        let grads = loss.backward();
        let g: Vec<f32> = states
            .grad(&grads)
            .unwrap()
            .into_data()
            .try_into_vec()
            .unwrap();
        let plain = Device::flex();
        let eval = |v: &[f32]| -> f64 {
            let st = Tensor::<2>::from_data(TensorData::new(v.to_vec(), [n, d]), &plain);
            f(st, &plain).into_scalar::<f64>()
        };
        for i in 0..n * d {
            let h = 1e-2f32;
            let (mut up, mut dn) = (s.clone(), s.clone());
            up[i] += h;
            dn[i] -= h;
            let num = (eval(&up) - eval(&dn)) / (2.0 * h as f64);
            assert!(
                (num - g[i] as f64).abs() < 2e-3,
                "bce={bce} grad[{i}]: autodiff {} vs numeric {num}",
                g[i]
            );
        }
    }
}

#[test]
fn model_outputs_have_expected_shapes() {
    let device = Device::flex();
    for kind in KINDS {
        let cfg = small_model(kind);
        let model: Recommender = init_model(&cfg, 30, 1, &device);
        let tb = full_batch(30, 3, cfg.max_len);
        let input = SeqInput::new(&tb.inputs, 3, cfg.max_len, &device);
        assert_eq!(model.hidden(&input).dims(), [3, cfg.max_len, cfg.dim]);
        assert_eq!(model.item_table().dims(), [30, cfg.dim]);
        assert_eq!(model.last_hidden(&input).dims(), [3, cfg.dim]);
    }
}

/// SASRec's last-position shortcut equals the last row of the full forward pass.
#[test]
fn sasrec_last_hidden_matches_full_forward() {
    let device = Device::flex();
    let cfg = small_model(trustrec_models::ModelKind::SasRec);
    let model = init_model(&cfg, 30, 4, &device);
    // Mixed padding: row 0 full, row 1 half padded, row 2 a single item.
    let l = cfg.max_len;
    let mut inputs = vec![0i64; 3 * l];
    for (i, slot) in inputs[..l].iter_mut().enumerate() {
        *slot = (i % 30) as i64 + 1;
    }
    for i in l / 2..l {
        inputs[l + i] = (i * 7 % 30) as i64 + 1;
    }
    inputs[3 * l - 1] = 5;
    let input = SeqInput::new(&inputs, 3, l, &device);
    let Recommender::SasRec(m) = &model else {
        unreachable!()
    };
    let full = m.hidden(&input);
    let [b, _, d] = full.dims();
    let slow: Vec<f32> = full
        .slice([0..b, l - 1..l, 0..d])
        .reshape([b, d])
        .into_data()
        .try_into_vec()
        .unwrap();
    let fast: Vec<f32> = model
        .last_hidden(&input)
        .into_data()
        .try_into_vec()
        .unwrap();
    for (a, f) in slow.iter().zip(&fast) {
        assert!((a - f).abs() < 1e-5, "{a} vs {f}");
    }
}
