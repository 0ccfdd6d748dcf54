//! Every parameter of every model receives a non-zero gradient, and the losses' gradients match
//! finite differences.

mod common;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Gradients, Tensor, TensorData};
use common::{KINDS, model_input, small_model};
use trustrec_models::autodiff::GradCensus;
use trustrec_models::batch::TrainBatch;
use trustrec_models::input::SeqInput;
use trustrec_models::loss::{cross_entropy, loss_states, sampled_bce};
use trustrec_models::{ModelKind, Recommender, init_model};

fn full_batch(n_items: usize, b: usize, l: usize) -> TrainBatch {
    // Deterministic ids without padding, so every position (and position embedding) is used.
    let inputs: Vec<i64> = (0..b * l).map(|i| (i * 7 % n_items) as i64 + 1).collect();
    TrainBatch {
        batch: b,
        max_len: l,
        loss_pos: (0..(b * l) as i64).collect(),
        targets: (0..b * l).map(|i| (i * 3 % n_items) as i64).collect(),
        inputs,
        times: None,
        rows: Vec::new(),
    }
}

#[test]
fn every_parameter_gets_a_nonzero_gradient() {
    let device = Device::flex().autodiff();
    for kind in KINDS {
        let cfg = small_model(kind);
        let n_items = 40;
        let model = init_model(&cfg, n_items, None, 3, &device).unwrap();
        let _graph = trustrec_models::autodiff::exclusive();
        let tb = full_batch(n_items, 4, cfg.max_len);
        let input = model_input(&model, &tb, &device);
        let states = loss_states(model.hidden(&input), &tb, &device);
        let loss = cross_entropy(states, model.item_table(), &tb.targets, &device);
        let v = GradCensus::of(&model, loss.backward());
        assert!(v.total > 3, "{kind}: visited only {} parameters", v.total);
        assert!(
            v.missing.is_empty(),
            "{kind}: parameters without gradient: {:?}",
            v.missing
        );
    }
}

/// Finite-difference check of d loss / d states for both losses.
#[test]
fn loss_gradients_match_finite_differences() {
    let device = Device::flex().autodiff();
    let _graph = trustrec_models::autodiff::exclusive();
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
        let model: Recommender = init_model(&cfg, 30, None, 1, &device).unwrap();
        let tb = full_batch(30, 3, cfg.max_len);
        let input = model_input(&model, &tb, &device);
        assert_eq!(model.hidden(&input).dims(), [3, cfg.max_len, cfg.dim]);
        assert_eq!(model.item_table().dims(), [30, cfg.dim]);
        assert_eq!(model.last_hidden(&input).dims(), [3, cfg.dim]);
        assert_eq!(model.time_span().is_some(), kind.needs_times(), "{kind}");
    }
}

/// The attention models' last-position shortcut equals the last row of the full forward pass.
#[test]
fn last_hidden_matches_full_forward() {
    let device = Device::flex();
    for kind in [ModelKind::SasRec, ModelKind::TiSasRec] {
        let cfg = small_model(kind);
        let model = init_model(&cfg, 30, None, 4, &device).unwrap();
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
        // Irregular times, so the interval matrices differ between rows and positions.
        let times: Vec<f64> = (0..3 * l).map(|i| ((i % l) * (i % l)) as f64).collect();
        let mut input = SeqInput::new(&inputs, 3, l, &device);
        if let Some(span) = model.time_span() {
            input = input.with_times(&inputs, &times, span, &device);
        }
        let full = model.hidden(&input);
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
            assert!((a - f).abs() < 1e-5, "{kind}: {a} vs {f}");
        }
    }
}

/// Adds `h * u` (fixed pseudo-random `u`) to every parameter whose path contains `name`.
struct Nudge<'a> {
    name: &'a str,
    h: f32,
    path: Vec<String>,
}

fn direction(n: usize) -> Vec<f32> {
    (0..n).map(|k| ((k * 37 % 11) as f32 - 5.0) / 5.0).collect()
}

impl ModuleMapper for Nudge<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if !self.path.join(".").contains(self.name) {
            return param;
        }
        let h = self.h;
        param.map(|t| {
            let u = TensorData::new(direction(t.shape().num_elements()), t.shape());
            let u = Tensor::<D>::from_data(u, &t.device());
            t + u.mul_scalar(h)
        })
    }
}

/// Multiplies every float parameter by a constant.
struct Scale(f32);

impl ModuleMapper for Scale {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let f = self.0;
        param.map(|t| t.mul_scalar(f).detach().require_grad())
    }
}

/// Directional derivative `Σ grad · u` of the parameters whose path contains `name`.
struct Directional<'a> {
    name: &'a str,
    grads: &'a Gradients,
    path: Vec<String>,
    sum: f64,
    hits: usize,
}

impl ModuleVisitor for Directional<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if !self.path.join(".").contains(self.name) {
            return;
        }
        let g: Vec<f32> = param
            .val()
            .grad(self.grads)
            .unwrap()
            .try_into_vec_as()
            .unwrap();
        self.sum += g
            .iter()
            .zip(direction(g.len()))
            .map(|(&g, u)| (g * u) as f64)
            .sum::<f64>();
        self.hits += 1;
    }
}

/// TiSASRec's hand-written attention (interval terms, head reshapes, padding) has the gradients
/// finite differences give, for the time, position, projection and item parameters.
#[test]
fn tisasrec_gradients_match_finite_differences() {
    let ad = Device::flex().autodiff();
    let cfg = trustrec_models::ModelConfig {
        dropout: 0.0,
        max_len: 8,
        time_span: 4,
        ..small_model(ModelKind::TiSasRec)
    };
    let n_items = 12;
    // N(0, 0.02) weights make the interval terms' derivatives too small to test: scale them up.
    let model = init_model(&cfg, n_items, None, 5, &ad)
        .unwrap()
        .map(&mut Scale(8.0));
    let _graph = trustrec_models::autodiff::exclusive();
    let mut tb = full_batch(n_items, 2, cfg.max_len);
    tb.inputs[..3].fill(0); // some padding too
    let loss_of = |m: &Recommender, dev: &Device| {
        let input = model_input(m, &tb, dev);
        let states = loss_states(m.hidden(&input), &tb, dev);
        cross_entropy(states, m.item_table(), &tb.targets, dev)
    };
    let grads = loss_of(&model, &ad).backward();
    let plain = Device::flex();
    for name in [
        "time_k", "time_v", "pos_k", "pos_v", "query", "key", "value", "item_emb",
    ] {
        let mut v = Directional {
            name,
            grads: &grads,
            path: vec![],
            sum: 0.0,
            hits: 0,
        };
        model.visit(&mut v);
        assert!(v.hits > 0, "no parameter named {name}");
        let at = |h: f32| {
            let m = model.valid().map(&mut Nudge {
                name,
                h,
                path: vec![],
            });
            loss_of(&m, &plain).into_scalar::<f64>()
        };
        // A loss change of ~1e-3: larger steps cross ReLU kinks, smaller ones drown in f32 noise.
        let h = (1e-3 / v.sum.abs().max(0.05)) as f32;
        let num = (at(h) - at(-h)) / (2.0 * h as f64);
        assert!(
            (num - v.sum).abs() < 1e-3 + 5e-3 * num.abs(),
            "{name}: autodiff {} vs numeric {num}",
            v.sum
        );
        assert!(v.sum.abs() > 1e-4, "{name}: derivative too small to test");
    }
}
