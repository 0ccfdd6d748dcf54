//! `trustrec attack-text` end to end on the embedded ml-100k (movie titles as item texts): the
//! results contract, per-target guarantees of the search (never worse, similarity floor kept)
//! and clear errors. Needs the MiniLM model from ../shared/scripts/get-models.sh; skipped (with
//! the reason printed) without it.

mod common;

use common::{bin, json, run};

/// MiniLM and SmolLM2 (the search's LM proposals) are both present.
fn have_minilm() -> bool {
    [
        "all-MiniLM-L6-v2/model.safetensors",
        "SmolLM2-135M-Instruct-Q4_1/SmolLM2-135M-Instruct.Q4_1.gguf",
    ]
    .iter()
    .all(|f| {
        let p = trustrec_models_dir().join(f);
        if !p.exists() {
            println!(
                "skipped: {} is absent (run ../shared/scripts/get-models.sh)",
                p.display()
            );
        }
        p.exists()
    })
}

fn trustrec_models_dir() -> std::path::PathBuf {
    match std::env::var_os("TRUSTREC_MODELS") {
        Some(p) => p.into(),
        None => std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/trustrec/models"),
    }
}

#[test]
fn real_minilm_search_attack_on_embedded_ml100k_keeps_its_contract() {
    if !have_minilm() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ok, text) = run(bin()
        .args([
            "attack-text",
            "--data",
            "data/ml-100k",
            "--format",
            "recbole",
            "--model",
            "unisrec",
        ])
        .args([
            "--epochs",
            "1",
            "--batch-size",
            "256",
            "--attack",
            "search",
            "--targets",
            "1%",
            "--seed",
            "3",
        ])
        .args([
            "--users",
            "200",
            "--steps",
            "2",
            "--proposals",
            "16",
            "--audit",
            "--audit-items",
            "5",
            "--detect-lm-sample",
            "20",
            "--out",
        ])
        .arg(dir.path()));
    assert!(ok, "{text}");
    let r = json(&dir.path().join("results.json"));
    let (before, after) = (
        r["before"]["avg_rank"].as_f64().unwrap(),
        r["after"]["avg_rank"].as_f64().unwrap(),
    );
    assert!(
        after <= before,
        "the search made targets worse: {before} -> {after}"
    );
    let targets = r["targets"].as_array().unwrap();
    // 1% of the 1682 titled movies.
    assert_eq!(targets.len(), 17);
    for t in targets {
        assert!(t["rank_after"].as_f64().unwrap() <= t["rank_before"].as_f64().unwrap());
        assert!(t["similarity"].as_f64().unwrap() >= 0.8, "{t}");
        assert!(!t["original"].as_str().unwrap().is_empty());
        // The LM read every original and rewrite: a finite, positive NLL, the same for both
        // when nothing changed.
        let (nb, na) = (
            t["lm_nll_before"].as_f64().unwrap(),
            t["lm_nll_after"].as_f64().unwrap(),
        );
        assert!(
            nb > 0.0 && na > 0.0 && nb.is_finite() && na.is_finite(),
            "{t}"
        );
        if t["rewritten"] == t["original"] {
            assert_eq!(nb, na);
        }
        assert!(t["lm_edits"].as_u64().unwrap() <= t["edits"].as_array().unwrap().len() as u64);
    }
    assert!(r["after"]["similarity"].as_f64().unwrap() >= 0.8);
    assert_eq!(r["config"]["search"]["lm_share"].as_f64(), Some(0.5));
    let lf = &r["detectors"]["lm_fluency"];
    assert_eq!(lf["untouched_sample"].as_u64(), Some(20));
    let auc = lf["detection"]["auc"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&auc), "{lf}");
    // Half the words come from the LM, so some proposals did.
    let lm_proposed: u64 = targets
        .iter()
        .map(|t| t["lm_proposed"].as_u64().unwrap())
        .sum();
    assert!(lm_proposed > 0);
    let audit = r["audit"]["items"].as_array().unwrap();
    assert_eq!(audit.len(), 5);
    for row in audit {
        let ratio = row["robustness"].as_f64().unwrap();
        assert!(ratio > 0.0 && ratio <= 1.0, "{row}");
    }
    let detectors = r["detectors"]["on_attacked"].as_array().unwrap();
    assert_eq!(detectors.len(), 3);
    for d in detectors {
        let (p, rc) = (
            d["precision"].as_f64().unwrap(),
            d["recall"].as_f64().unwrap(),
        );
        assert!((0.0..=1.0).contains(&p) && (0.0..=1.0).contains(&rc), "{d}");
    }
    assert!(
        std::fs::read_to_string(dir.path().join("report.md"))
            .unwrap()
            .contains("| before |")
    );
    let (ok, text) = run(bin()
        .args(["attack-text", "--attack", "rewrite", "--out"])
        .arg(dir.path()));
    assert!(!ok && text.contains("unknown attack 'rewrite'"), "{text}");
}
