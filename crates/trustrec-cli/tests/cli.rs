//! End-to-end runs of the `trustrec` binary on the embedded ml-100k copy.

mod common;

use common::bin;

use std::path::PathBuf;
use std::process::Command;

fn ml100k() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/ml-100k"))
}

fn run_ok(c: &mut Command) -> String {
    let out = c.output().expect("run trustrec");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "trustrec failed: {text}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run_err(c: &mut Command) -> String {
    let out = c.output().expect("run trustrec");
    assert!(!out.status.success(), "expected failure");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn train_evaluate_recommend_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let cfg = dir.path().join("small.toml");
    std::fs::write(&cfg, "seed = 7\n[model]\nname = \"sasrec\"\ndim = 32\ninner = 64\nmax_len = 30\n[train]\nbatch_size = 256\n").unwrap();
    let stdout = run_ok(
        bin()
            .args(["train", "--quiet", "--epochs", "3", "--config"])
            .arg(&cfg)
            .arg("--data")
            .arg(ml100k())
            .args(["--format", "recbole", "--split", "leave-one-out", "--out"])
            .arg(&out),
    );
    assert!(stdout.contains("| test |"), "no table printed: {stdout}");
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(r["seed"], 7);
    assert_eq!(r["model"], "sasrec");
    assert_eq!(r["config"]["model"]["dim"], 32, "config file applied");
    assert_eq!(r["config"]["train"]["epochs"], 3, "flag overrides config");
    assert_eq!(
        r["config"]["model"]["bulk_dropout"], true,
        "bulk masks are the default"
    );
    assert_eq!(r["n_users"], 943);
    assert_eq!(r["n_items"], 1682);
    assert_eq!(r["data_hash"].as_str().unwrap().len(), 64);
    for split in ["valid", "test"] {
        for k in ["ndcg@10", "recall@10", "mrr@10", "hit@10", "mrr"] {
            let v = r["metrics"][split][k].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&v), "{split} {k} = {v}");
        }
    }
    // Three epochs of SASRec beat random ranking (NDCG@10 of random ~ 0.003) by far.
    assert!(r["metrics"]["test"]["ndcg@10"].as_f64().unwrap() > 0.01);
    assert_eq!(r["timing"]["epoch_seconds"].as_array().unwrap().len(), 3);
    assert!(r["peak_rss_mb"].as_f64().unwrap() > 0.0);
    assert_eq!(
        std::fs::read_to_string(out.join("epochs.jsonl"))
            .unwrap()
            .lines()
            .count(),
        3
    );

    // evaluate reproduces the stored test metrics from the best checkpoint.
    let ev: serde_json::Value =
        serde_json::from_str(&run_ok(bin().args(["evaluate", "--run"]).arg(&out))).unwrap();
    assert_eq!(ev["metrics"], r["metrics"]["test"]);

    // recommend answers with original ids and titles.
    let rec = run_ok(
        bin()
            .args([
                "recommend",
                "--json",
                "-k",
                "5",
                "--mask-seen",
                "--history",
                "50,172,181",
                "--run",
            ])
            .arg(&out),
    );
    let rec: serde_json::Value = serde_json::from_str(&rec).unwrap();
    let rows = rec.as_array().unwrap();
    assert_eq!(rows.len(), 5);
    for row in rows {
        assert!(
            !["50", "172", "181"].contains(&row["item"].as_str().unwrap()),
            "seen item recommended"
        );
        assert!(row["title"].is_string());
    }
    let err = run_err(
        bin()
            .args(["recommend", "--history", "50,999999", "--run"])
            .arg(&out),
    );
    assert!(err.contains("unknown item id '999999'"), "{err}");
}

/// TiSASRec through the CLI: its times reach training, `evaluate` (same metrics from the
/// checkpoint) and `recommend` (a user's own times, or equal times for a bare history).
#[test]
fn tisasrec_trains_evaluates_and_recommends() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let cfg = dir.path().join("tis.toml");
    std::fs::write(&cfg, "[model]\nname = \"tisasrec\"\ndim = 16\ninner = 32\nmax_len = 20\ntime_span = 32\n[train]\nbatch_size = 256\n").unwrap();
    run_ok(
        bin()
            .args([
                "train",
                "--quiet",
                "--epochs",
                "1",
                "--burn-dropout",
                "--config",
            ])
            .arg(&cfg)
            .arg("--data")
            .arg(ml100k())
            .args(["--format", "recbole", "--out"])
            .arg(&out),
    );
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(r["model"], "tisasrec");
    assert_eq!(
        r["config"]["model"]["bulk_dropout"], false,
        "--burn-dropout"
    );
    assert_eq!(r["config"]["model"]["time_span"], 32);
    let ev: serde_json::Value =
        serde_json::from_str(&run_ok(bin().args(["evaluate", "--run"]).arg(&out))).unwrap();
    assert_eq!(ev["metrics"], r["metrics"]["test"]);
    for who in [["--user", "196"], ["--history", "50,172,181"]] {
        let rec = run_ok(
            bin()
                .args(["recommend", "--json", "-k", "3"])
                .args(who)
                .arg("--run")
                .arg(&out),
        );
        let rec: serde_json::Value = serde_json::from_str(&rec).unwrap();
        assert_eq!(rec.as_array().unwrap().len(), 3, "{who:?}");
    }
}

#[test]
fn bad_inputs_give_clear_errors() {
    let err = run_err(
        bin()
            .args(["train", "--format", "parquet", "--out", "/tmp/x"])
            .arg("--data")
            .arg(ml100k()),
    );
    assert!(err.contains("parquet"), "{err}");
    let err = run_err(bin().args(["train", "--model", "bert9", "--out", "/tmp/x"]));
    assert!(err.contains("unknown model 'bert9'"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[train]\nepoch = 3\n").unwrap();
    let err = run_err(
        bin()
            .args(["train", "--out", "/tmp/x", "--config"])
            .arg(&cfg),
    );
    assert!(err.contains("bad.toml") && err.contains("epoch"), "{err}");
    let bad = dir.path().join("bad.inter");
    std::fs::write(
        &bad,
        "user_id:token\titem_id:token\ttimestamp:float\n1\t2\tsoon\n",
    )
    .unwrap();
    let err = run_err(
        bin()
            .args(["data", "stats", "--format", "recbole", "--data"])
            .arg(&bad),
    );
    assert!(
        err.contains("bad.inter") && err.contains("line 2") && err.contains("timestamp"),
        "{err}"
    );
}

#[test]
fn data_stats_reports_counts() {
    let out = run_ok(
        bin()
            .args(["data", "stats", "--format", "recbole", "--data"])
            .arg(ml100k()),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["stats"]["interactions"], 100000);
    assert_eq!(v["stats"]["users"], 943);
    assert_eq!(v["items_with_title"], 1682);
}
