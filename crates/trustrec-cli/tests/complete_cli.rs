//! `trustrec complete` end to end: the results contract on a real tensor (IL2, from
//! ../shared/datasets; skipped when absent), the embedded ml-100k as a user x item x month
//! rating tensor, reproducibility, and clear errors for malformed input.

mod common;

use std::path::Path;

use common::{bin, json, run};

const IL2: &str = "../shared/datasets/tensors/IL2_Response_Tensor.npy";

fn shared_il2() -> bool {
    let ok = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join(IL2)
        .exists();
    if !ok {
        println!("skipped: {IL2} is absent");
    }
    ok
}

#[test]
fn real_il2_dain_contract_is_reproducible() {
    if !shared_il2() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let go = |out: &Path| {
        run(bin()
            .args([
                "complete",
                "--data",
                IL2,
                "--format",
                "npy",
                "--model",
                "mlp",
                "--augment",
                "dain",
                "--seed",
                "4",
                "--max-epochs",
                "4",
                "--out",
            ])
            .arg(out))
    };
    let (ok, text) = go(&dir.path().join("a"));
    assert!(ok, "{text}");
    let r = json(&dir.path().join("a/results.json"));
    let rmse = r["metrics"]["test"]["rmse"].as_f64().unwrap();
    let mae = r["metrics"]["test"]["mae"].as_f64().unwrap();
    assert!(
        rmse > 0.0 && mae > 0.0 && mae <= rmse,
        "rmse {rmse}, mae {mae}"
    );
    assert_eq!(r["metrics"]["augment"], "dain");
    assert_eq!(r["data"]["tensor"]["observed"], 4800);
    assert_eq!(r["data"]["hash"].as_str().unwrap().len(), 64);
    let runs = r["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    // Half of the 3456 training cells are asked for, but only 4992 - 3456 = 1536 cells are not
    // training cells: the sampler fills nearly all of them and stops instead of looping.
    let n_aug = runs[0]["n_augmented"].as_u64().unwrap();
    assert!((1400..=1536).contains(&n_aug), "{n_aug} new cells");
    assert!(runs[0]["influence_seconds"].as_f64().unwrap() > 0.0);
    let preds = std::fs::read_to_string(dir.path().join("a/predictions.tsv")).unwrap();
    assert_eq!(preds.lines().count(), 1 + 480);
    assert!(
        std::fs::read_to_string(dir.path().join("a/report.md"))
            .unwrap()
            .contains("| dain |")
    );
    let (ok, text) = go(&dir.path().join("b"));
    assert!(ok, "{text}");
    let again = json(&dir.path().join("b/results.json"));
    assert_eq!(
        r["runs"][0]["test"], again["runs"][0]["test"],
        "same seed, different numbers"
    );
}

#[test]
fn embedded_ml100k_rating_tensor_beats_the_global_mean() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, text) = run(bin()
        .args([
            "complete",
            "--data",
            "data/ml-100k",
            "--format",
            "recbole",
            "--value",
            "rating",
            "--time-bin",
            "month",
        ])
        .args([
            "--model",
            "mlp",
            "--augment",
            "none,random",
            "--seed",
            "1",
            "--max-epochs",
            "3",
            "--out",
        ])
        .arg(dir.path()));
    assert!(ok, "{text}");
    let r = json(&dir.path().join("results.json"));
    assert_eq!(
        r["data"]["tensor"]["shape"],
        serde_json::json!([943, 1682, 8])
    );
    // Predicting the global mean rating gives RMSE ~1.126 (the ratings' standard deviation).
    for how in ["none", "random"] {
        let rmse = r["summary"][how]["rmse"].as_f64().unwrap();
        assert!(rmse < 1.10, "{how}: test rmse {rmse}");
    }
    assert_eq!(r["metrics"]["augment"], "random");
}

#[test]
fn malformed_inputs_are_named_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let ragged = dir.path().join("ragged.tsv");
    std::fs::write(&ragged, "a\tx\t1\t0.5\nb\ty\t2\n").unwrap();
    let (ok, text) = run(bin()
        .args(["complete", "--format", "coo", "--data"])
        .arg(&ragged)
        .arg("--out")
        .arg(dir.path().join("o")));
    assert!(!ok);
    assert!(
        text.contains("ragged.tsv") && text.contains("line 2: 3 fields, expected 4"),
        "{text}"
    );
    let nan = dir.path().join("nan.csv");
    std::fs::write(&nan, "0,0,0,1\n1,1,1,nan\n").unwrap();
    let (ok, text) = run(bin()
        .args(["complete", "--format", "coo", "--shape", "2,2,2", "--data"])
        .arg(&nan)
        .arg("--out")
        .arg(dir.path().join("o")));
    assert!(!ok && text.contains("line 2, field 4 (value)"), "{text}");
    let (ok, text) = run(bin()
        .args(["complete", "--format", "coo", "--shape", "2,1,2", "--data"])
        .arg(&nan)
        .arg("--out")
        .arg(dir.path().join("o")));
    assert!(
        !ok && text.contains("index 1 is outside the declared size 1"),
        "{text}"
    );
    let (ok, text) = run(bin()
        .args([
            "complete",
            "--data",
            "data/ml-100k",
            "--format",
            "recbole",
            "--model",
            "cp",
            "--augment",
            "dain",
            "--out",
        ])
        .arg(dir.path().join("o")));
    assert!(!ok && text.contains("needs a neural model"), "{text}");
}
