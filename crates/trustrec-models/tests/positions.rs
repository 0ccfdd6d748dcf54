//! Position origins. Counted from the start, a target inside a training window (loss at every
//! position) sees exactly what it would see as the last item of its own prefix, which is what
//! RecBole's prefix samples and evaluation show the model; counted from the end, only the
//! window's last target does.

mod common;

use common::{ml100k_split, small_model};
use trustrec_models::input::SeqInput;
use trustrec_models::ops::to_vec;
use trustrec_models::{Device, ModelKind, Positions, init_model};

#[test]
fn start_offsets_count_from_each_rows_first_real_item() {
    let device = Device::flex();
    let input = SeqInput::new(&[0, 0, 5, 6, 7, 8, 9, 1, 0, 0, 0, 4], 3, 4, &device);
    let got: Vec<i64> = input.start_offsets().into_data().iter::<i64>().collect();
    assert_eq!(got, vec![0, 0, 0, 1, 0, 1, 2, 3, 0, 0, 0, 0]);
}

/// Largest difference, per window column, between the state there and the last state of that
/// column's prefix run alone (left-padded to the same width).
fn prefix_gaps(from: Positions) -> Vec<f32> {
    let split = ml100k_split(Some(40));
    let device = Device::flex();
    let cfg = trustrec_models::ModelConfig {
        positions: from,
        ..small_model(ModelKind::SasRec)
    };
    let model = init_model(&cfg, split.n_items(), None, 3, &device).unwrap();
    let l = cfg.max_len;
    let seq = split.seqs.items_of(0);
    let window: Vec<i64> = seq[..12].iter().map(|&i| i as i64 + 1).collect();
    let padded = |items: &[i64]| {
        let mut row = vec![0i64; l - items.len()];
        row.extend_from_slice(items);
        row
    };
    let all = to_vec(model.hidden(&SeqInput::new(&padded(&window), 1, l, &device))).unwrap();
    let d = cfg.dim;
    let pad = l - window.len();
    (0..window.len())
        .map(|i| {
            let alone = SeqInput::new(&padded(&window[..=i]), 1, l, &device);
            let want = to_vec(model.last_hidden(&alone)).unwrap();
            let got = &all[(pad + i) * d..][..d];
            got.iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max)
        })
        .collect()
}

#[test]
fn from_start_every_window_target_sees_its_own_prefix() {
    let start = prefix_gaps(Positions::FromStart);
    assert!(start.iter().all(|&g| g < 1e-5), "{start:?}");
    let end = prefix_gaps(Positions::FromEnd);
    // From the end only the window's last target agrees with its prefix alone.
    assert!(*end.last().unwrap() < 1e-5, "{end:?}");
    assert!(end[..end.len() - 1].iter().all(|&g| g > 1e-3), "{end:?}");
}

#[test]
fn position_origins_parse_by_name_and_reject_others() {
    assert_eq!(
        "from-start".parse::<Positions>().unwrap(),
        Positions::FromStart
    );
    assert_eq!("from-end".parse::<Positions>().unwrap(), Positions::FromEnd);
    let err = "left".parse::<Positions>().unwrap_err().to_string();
    assert!(err.contains("from-end or from-start"), "{err}");
    // Configs written before the option existed keep their meaning.
    let old: trustrec_models::ModelConfig = serde_json::from_str(r#"{"dim": 64}"#).unwrap();
    assert_eq!(old.positions, Positions::FromEnd);
}
