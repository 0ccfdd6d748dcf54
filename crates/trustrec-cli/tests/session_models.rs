//! End-to-end runs of the metadata-aware models (M2TRec, HierSRec) and the session-models
//! experiment, on the embedded ml-100k (genres and release years) and on small hand-made files.

mod common;

use common::{bin, json, run};

use std::path::{Path, PathBuf};
use std::process::Command;

fn small_config(dir: &Path) -> PathBuf {
    let cfg = dir.join("small.toml");
    std::fs::write(
        &cfg,
        "seed = 3\n[model]\nname = \"hiersrec\"\ndim = 16\ninner = 32\nmax_len = 20\n[train]\nbatch_size = 128\n",
    )
    .unwrap();
    cfg
}

#[test]
fn hiersrec_on_ml100k_reports_candidates_rare_and_cold_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let (ok, text) = run(bin()
        .args([
            "train", "--quiet", "--epochs", "1", "--model", "hiersrec", "--config",
        ])
        .arg(small_config(dir.path()))
        .arg("--out")
        .arg(&out));
    assert!(ok, "{text}");
    assert!(
        text.contains("candidates only") && text.contains("faster"),
        "{text}"
    );
    let r = json(&out.join("results.json"));
    assert_eq!(r["model"], "hiersrec");
    assert_eq!(r["candidates"]["n_candidates"], 68, "ceil(4% of 1682)");
    let cov = r["candidates"]["target_coverage"].as_f64().unwrap();
    assert!(cov > 0.0 && cov < 1.0, "coverage {cov}");
    let rare = r["metrics"]["n_test_rare"].as_u64().unwrap();
    let cold = r["metrics"]["n_test_cold"].as_u64().unwrap();
    assert!(rare >= cold && rare > 0, "rare {rare} cold {cold}");
    assert!(r["metrics"]["test_rare"]["hit@10"].is_f64());
    // The checkpoint reloads with the same metadata and reproduces the test metrics.
    let (ok, text) = run(bin().args(["evaluate", "--run"]).arg(&out));
    assert!(ok, "{text}");
    let start = text.find('{').unwrap();
    let e: serde_json::Value = serde_json::from_str(&text[start..]).unwrap();
    let (a, b) = (
        e["metrics"]["ndcg@10"].as_f64().unwrap(),
        r["metrics"]["test"]["ndcg@10"].as_f64().unwrap(),
    );
    assert!((a - b).abs() < 1e-9, "reloaded {a} vs trained {b}");
    assert_eq!(e["rare"], r["metrics"]["test_rare"]);
    assert_eq!(e["n_cold"], r["metrics"]["n_test_cold"]);
    // Films with the same genres and year get the same vector, so their scores tie exactly and
    // the tie rule matters: pessimistic < mean < optimistic (MRR without cutoff sees every tie).
    let mrr = |tie: &str| -> f64 {
        let (ok, text) = run(bin().args(["evaluate", "--tie", tie, "--run"]).arg(&out));
        assert!(ok, "{text}");
        let e: serde_json::Value = serde_json::from_str(&text[text.find('{').unwrap()..]).unwrap();
        assert_eq!(e["tie"], tie);
        e["metrics"]["mrr"].as_f64().unwrap()
    };
    let (p, m, o) = (mrr("pessimistic"), mrr("mean"), mrr("optimistic"));
    assert!(p < m && m < o, "pessimistic {p}, mean {m}, optimistic {o}");
    assert!((o - r["metrics"]["test"]["mrr"].as_f64().unwrap()).abs() < 1e-9);
    let (ok, text) = run(bin().args(["evaluate", "--tie", "coin", "--run"]).arg(&out));
    assert!(
        !ok && text.contains("--tie") && text.contains("coin"),
        "{text}"
    );
}

#[test]
fn metadata_models_say_clearly_that_they_need_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.tsv");
    let rows: String = (0..60)
        .map(|i| format!("{}\t{}\t{}\n", i % 6, i % 9, i))
        .collect();
    std::fs::write(&log, rows).unwrap();
    for model in ["m2trec", "hiersrec"] {
        let (ok, text) = run(bin()
            .args([
                "train", "--quiet", "--epochs", "1", "--format", "jodie", "--model", model,
            ])
            .arg("--data")
            .arg(&log)
            .arg("--out")
            .arg(dir.path().join(model)));
        assert!(!ok, "{model} trained without metadata");
        assert!(
            text.contains("needs item metadata") && text.contains("--items"),
            "{text}"
        );
    }
}

#[test]
fn items_flag_adds_s3rec_attributes_to_a_plain_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.tsv");
    // 12 users, each walking through items in a user-specific order.
    let mut rows = String::new();
    for u in 0..12 {
        for t in 0..8 {
            rows += &format!("u{u}\tit{}\t{}\n", (u + 3 * t) % 10, u * 100 + t);
        }
    }
    std::fs::write(&log, rows).unwrap();
    let attrs = dir.path().join("attrs.json");
    let map: serde_json::Map<String, serde_json::Value> = (0..10)
        .map(|i| (format!("it{i}"), serde_json::json!([i % 3, 10 + i % 2])))
        .collect();
    std::fs::write(&attrs, serde_json::to_vec(&map).unwrap()).unwrap();
    let out = dir.path().join("run");
    let (ok, text) = run(bin()
        .args([
            "train", "--quiet", "--epochs", "2", "--format", "jodie", "--model", "m2trec",
        ])
        .args([
            "--dim",
            "16",
            "--max-len",
            "10",
            "--category-rule",
            "commonest",
        ])
        .arg("--data")
        .arg(&log)
        .arg("--items")
        .arg(&attrs)
        .arg("--out")
        .arg(&out));
    assert!(ok, "{text}");
    let r = json(&out.join("results.json"));
    assert_eq!(r["n_items"], 10);
    assert_eq!(r["config"]["data"]["items"], attrs.display().to_string());
    assert_eq!(r["config"]["model"]["category_rule"], "commonest");
    let (ok, text) = run(bin()
        .args([
            "train", "--quiet", "--epochs", "1", "--format", "jodie", "--model", "m2trec",
        ])
        .args(["--item-fields", "brand"])
        .arg("--data")
        .arg(&log)
        .arg("--items")
        .arg(&attrs)
        .arg("--out")
        .arg(dir.path().join("bad")));
    assert!(!ok && text.contains("unknown item field 'brand'"), "{text}");
}

#[test]
fn session_models_experiment_writes_table_plot_and_reuses_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("exp");
    let args = |c: &mut Command| {
        c.args(["experiment", "session-models", "--datasets", "ml-100k"])
            .args([
                "--models", "m2trec", "--seeds", "1", "--epochs", "1", "--out",
            ])
            .arg(&out);
    };
    let mut c = bin();
    args(&mut c);
    let (ok, text) = run(&mut c);
    assert!(ok, "{text}");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| ml-100k | m2trec |"), "{md}");
    assert!(
        std::fs::read_to_string(out.join("hit10.svg"))
            .unwrap()
            .contains("<svg")
    );
    let r = json(&out.join("results.json"));
    let hit = r["cells"][0]["test"]["hit@10"]["mean"].as_f64().unwrap();
    // Second call: the finished run is reused, same numbers.
    let mut c = bin();
    args(&mut c);
    let (ok, text) = run(&mut c);
    assert!(ok && !text.contains("== data/ml-100k"), "{text}");
    let again = json(&out.join("results.json"));
    assert_eq!(
        again["cells"][0]["test"]["hit@10"]["mean"]
            .as_f64()
            .unwrap(),
        hit
    );
    // Another tie rule re-evaluates the finished run (no training) and can only lower it:
    // M2TRec's films with equal genres and year tie exactly.
    let mut c = bin();
    args(&mut c);
    let (ok, text) = run(c.args(["--tie", "pessimistic"]));
    assert!(
        ok && text.contains("re-evaluating under tie rule pessimistic"),
        "{text}"
    );
    assert!(!text.contains("== data/ml-100k"), "{text}");
    let pess = json(&out.join("results.json"));
    assert_eq!(pess["tie"], "pessimistic");
    let p = pess["cells"][0]["test"]["mrr@20"]["mean"].as_f64().unwrap();
    let o = again["cells"][0]["test"]["mrr@20"]["mean"]
        .as_f64()
        .unwrap();
    assert!(p < o, "pessimistic {p} vs optimistic {o}");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("test ties ranked pessimistic"), "{md}");
    // A finished run trained with other model options is not passed off as this one.
    let mut c = bin();
    args(&mut c);
    let (ok, text) = run(c.args(["--session-pool", "last"]));
    assert!(
        !ok && text.contains("trained with another configuration"),
        "{text}"
    );
}
