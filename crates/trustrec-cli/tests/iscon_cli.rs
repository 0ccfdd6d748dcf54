//! The `iscon` command contract: results.json keys, report.md, clear errors.

mod common;

use std::path::{Path, PathBuf};

use common::{bin, run};

/// user, item, time: 12 users x 30 rows over 10 items, a session every 5 rows.
fn log(dir: &Path) -> PathBuf {
    let mut s = String::new();
    for u in 0..12 {
        for k in 0..30 {
            let t = (k / 5) * 7200 + (k % 5) * 60 + u;
            s.push_str(&format!("{u}\t{}\t{t}\n", (u + k) % 10));
        }
    }
    let p = dir.join("log.tsv");
    std::fs::write(&p, s).unwrap();
    p
}

fn iscon(data: &Path, out: &Path, extra: &[&str]) -> (bool, String) {
    let mut c = bin();
    c.args([
        "iscon",
        "--format",
        "jodie",
        "--hidden",
        "8",
        "--embed-dim",
        "8",
    ])
    .args(["--max-epochs", "1", "--seeds", "1,2"])
    .arg("--data")
    .arg(data)
    .arg("--out")
    .arg(out)
    .args(extra);
    run(&mut c)
}

#[test]
fn iscon_writes_results_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let data = log(dir.path());
    let out = dir.path().join("run");
    let (ok, text) = iscon(&data, &out, &["--contexts", "3"]);
    assert!(ok, "{text}");
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(r["seeds_done"], serde_json::json!([1, 2]));
    assert_eq!(r["protocol_stats"]["test_examples"], 36);
    assert_eq!(r["data"]["hash"].as_str().unwrap().len(), 64);
    for key in ["iscon_test", "no_context_test"] {
        for m in ["hit@10", "hit@20", "mrr@10", "mrr@20", "ndcg@10", "ndcg@20"] {
            assert_eq!(r["summary"][key][m]["n"], 2, "{key} {m}");
        }
    }
    assert!(r["runs"][1]["no_context"]["test"]["hit@10"].is_number());
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("no-context mean"));
}

#[test]
fn iscon_bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = log(dir.path());
    let out = dir.path().join("run");
    let (ok, text) = iscon(&data, &out, &["--contexts", "0"]);
    assert!(!ok);
    assert!(
        text.contains("error:") && !text.contains("panicked"),
        "{text}"
    );
    let (ok, text) = iscon(&dir.path().join("missing.tsv"), &out, &[]);
    assert!(!ok);
    assert!(
        text.contains("error:") && !text.contains("panicked"),
        "{text}"
    );
}

#[test]
fn iscon_embeds_with_graphsage_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let data = log(dir.path());
    let out = dir.path().join("run");
    let extra = [
        "--contexts",
        "3",
        "--embedding",
        "graphsage",
        "--no-ablation",
    ];
    let (ok, text) = iscon(&data, &out, &extra);
    assert!(ok, "{text}");
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(r["config"]["embedding"], "graphsage");
    assert_eq!(r["config"]["sage"]["dim"], 8);
    assert!(r["runs"][0]["embed_loss"][0].as_f64().unwrap() > 0.0);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("Embeddings: GraphSAGE"), "{report}");
    let (ok, text) = iscon(&data, &out, &["--embedding", "node2vec"]);
    assert!(!ok);
    assert!(text.contains("graphsage or deepwalk"), "{text}");
}
