//! The `perturb` and `audit` command contracts (scripts depend on their flags and JSON keys).

mod common;

use common::{bin, json, run};

use std::path::{Path, PathBuf};

/// A JODIE file with a leading index column: 40 users x 15 rows over 30 items.
fn jodie(dir: &Path) -> PathBuf {
    let mut s = String::new();
    let mut r = 0;
    for t in 0..15 {
        for u in 0..40 {
            s.push_str(&format!(
                "{r}\t{u}\t{}\t{}.000\n",
                (u * 7 + t * 11) % 30,
                t * 10
            ));
            r += 1;
        }
    }
    let p = dir.join("log.tsv");
    std::fs::write(&p, s).unwrap();
    p
}

#[test]
fn perturb_writes_log_and_chosen_rows() {
    let dir = tempfile::tempdir().unwrap();
    let input = jodie(dir.path());
    let out = dir.path().join("p");
    let (ok, text) = run(bin()
        .args(["perturb", "--data"])
        .arg(&input)
        .args([
            "--format",
            "jodie",
            "--method",
            "casper",
            "--kind",
            "replacement",
        ])
        .args([
            "--budget",
            "1%",
            "--graph",
            "user-item",
            "--min-user-interactions",
            "10",
        ])
        .args(["--seed", "3", "--out"])
        .arg(&out));
    assert!(ok, "{text}");
    let chosen = json(&out.join("perturbation.json"));
    let chosen = chosen.as_array().unwrap();
    // 40 users x 14 training rows (floor(1.5) = 1 test row each) = 560; 1% = 6 rows.
    assert_eq!(chosen.len(), 6);
    let scores: Vec<u64> = chosen
        .iter()
        .map(|c| c["score"].as_u64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    let lines: Vec<String> = std::fs::read_to_string(&input)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let written: Vec<String> = std::fs::read_to_string(out.join("log.tsv"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(written.len(), lines.len());
    for c in chosen {
        let row = c["row"].as_u64().unwrap() as usize;
        let f: Vec<&str> = lines[row].split('\t').collect();
        assert_eq!(
            (c["user"].as_str().unwrap(), c["item"].as_str().unwrap()),
            (f[1], f[2])
        );
        let g: Vec<&str> = written[row].split('\t').collect();
        assert_eq!(g[2], c["new_item"].as_str().unwrap());
        assert_ne!(g[2], f[2]);
    }
    let changed = (0..lines.len()).filter(|&i| lines[i] != written[i]).count();
    assert_eq!(changed, 6, "only the chosen rows change");
    let meta = json(&out.join("perturbation.meta.json"));
    assert_eq!(meta["seed"], 3);
    assert_eq!(meta["data"]["hash"].as_str().unwrap().len(), 64);

    let (ok, text) = run(bin()
        .args(["perturb", "--data"])
        .arg(&input)
        .args([
            "--method", "best", "--kind", "deletion", "--budget", "1", "--out",
        ])
        .arg(&out));
    assert!(
        !ok && text.contains("unknown perturbation method 'best'"),
        "{text}"
    );
    let (ok, text) = run(bin()
        .args(["perturb", "--data"])
        .arg(&input)
        .args([
            "--method", "random", "--kind", "deletion", "--budget", "100000", "--out",
        ])
        .arg(&out));
    assert!(
        !ok && text.contains("exceeds the 560 training rows"),
        "{text}"
    );
}

#[test]
fn audit_results_follow_the_contract_and_zero_budget_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let input = jodie(dir.path());
    let out = dir.path().join("a");
    let (ok, text) = run(bin()
        .args(["audit", "--data"])
        .arg(&input)
        .args([
            "--format",
            "jodie",
            "--model",
            "lstm",
            "--method",
            "random,casper",
        ])
        .args([
            "--kind", "deletion", "--budget", "0,2", "--seeds", "1,2", "--epochs", "2",
        ])
        .args(["--dim", "16", "--quiet", "--out"])
        .arg(&out));
    assert!(ok, "{text}");
    let r = json(&out.join("results.json"));
    let runs = r["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2 * 2 * 2);
    for run in runs {
        for k in ["method", "kind", "budget", "seed", "stabilized"] {
            assert!(!run[k].is_null(), "missing {k}");
        }
        for k in ["ao", "rbo", "jaccard@10"] {
            let v = run["rls"][k].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&v), "{k} = {v}");
            if run["budget"] == "0" {
                assert_eq!(v, 1.0, "zero perturbations must give identical lists");
            }
        }
        for side in ["original", "perturbed"] {
            assert!(run["metrics"][side]["mrr"].as_f64().unwrap() > 0.0);
        }
    }
    assert_eq!(r["data"]["hash"].as_str().unwrap().len(), 64);
    assert_eq!(r["summary"].as_array().unwrap().len(), 4);
    for f in ["report.md", "rls_vs_budget.svg", "rls_by_user_decile.svg"] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("| no | random | deletion | 2 |"),
        "{report}"
    );
}

#[test]
fn audit_stabilize_runs_finest_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let input = jodie(dir.path());
    let out = dir.path().join("s");
    let (ok, text) = run(bin()
        .args(["audit", "--data"])
        .arg(&input)
        .args([
            "--model", "lstm", "--method", "random", "--budget", "0,3", "--seeds", "1",
        ])
        .args([
            "--epochs",
            "2",
            "--dim",
            "16",
            "--stabilize",
            "--finest-k",
            "5",
        ])
        .args(["--finest-epochs", "1", "--quiet", "--out"])
        .arg(&out));
    assert!(ok, "{text}");
    let r = json(&out.join("results.json"));
    let runs = r["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4, "2 budgets x (plain, FINEST)");
    let stable: Vec<_> = runs.iter().filter(|r| r["stabilized"] == true).collect();
    assert_eq!(stable.len(), 2);
    for s in &stable {
        let share = s["simulate_share"].as_f64().unwrap();
        assert!((0.0..1.0).contains(&share));
        if s["budget"] == "0" {
            assert_eq!(s["rls"]["ao"], 1.0, "FINEST is deterministic too");
        }
    }
    assert_eq!(r["config"]["stabilize"]["k"], 5);
    let (ok, text) = run(bin()
        .args(["audit", "--data"])
        .arg(&input)
        .args(["--stabilize", "--out"])
        .arg(&out));
    assert!(
        !ok && text.contains("finest.k = 100 needs at least 200 items"),
        "{text}"
    );
}

#[test]
fn stabilize_writes_model_and_before_after_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let input = jodie(dir.path());
    let out = dir.path().join("st");
    let (ok, text) = run(bin()
        .args(["stabilize", "--data"])
        .arg(&input)
        .args([
            "--model",
            "sasrec",
            "--epochs",
            "2",
            "--finest-epochs",
            "2",
            "--dim",
            "16",
        ])
        .args(["--finest-k", "5", "--seed", "2", "--out"])
        .arg(&out));
    assert!(ok, "{text}");
    assert!(out.join("model.bpk").exists());
    let r = json(&out.join("results.json"));
    for k in ["test_before_finest", "test_after_finest"] {
        assert!(r["metrics"][k]["mrr"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(r["finest"]["lambda"], 1.0, "SASRec default");
    assert_eq!(r["finetune_loss"].as_array().unwrap().len(), 2);
    assert_eq!(
        r["reference_positions"],
        40 * 13,
        "40 users x 13 input positions"
    );
}
