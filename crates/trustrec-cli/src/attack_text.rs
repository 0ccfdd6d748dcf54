//! `trustrec attack-text`: rewrite the texts of target items to push them up a text-aware
//! recommender (UniSRec-style) and measure it: ranks, top-20 precision, scores, similarity,
//! length and BLEU; writes DIR/results.json and DIR/report.md.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use burn::tensor::{Tensor, TensorData};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use trustrec_attack::bleu::bleu;
use trustrec_attack::{
    IclConfig, LmProposals, SearchConfig, Victim, Vocabulary, choose_protocol, icl_target,
    search_target,
};
use trustrec_llm::ChatLm;
use trustrec_models::Recommender;
use trustrec_models::checkpoint::write_bytes_atomic;
use trustrec_models::ops::to_vec;
use trustrec_models::score::embed_cases;

use crate::robust::write_json;
use crate::run::{RunFlags, load_run, resolve, train_run};

#[derive(Args)]
pub struct AttackTextArgs {
    /// Victim training flags (`--data`, `--format`, `--epochs`, `--batch-size`, ...; model
    /// unisrec). Ignored with `--victim`.
    #[command(flatten)]
    pub flags: RunFlags,
    /// search | icl
    #[arg(long, default_value = "search")]
    pub attack: String,
    /// Share of the items attacked, e.g. 1% or 0.01.
    #[arg(long, default_value = "1%")]
    pub targets: String,
    /// Share of the other items that compete with the targets, e.g. 10%.
    #[arg(long, default_value = "10%")]
    pub candidates: String,
    /// A trained `trustrec train --model unisrec` run to attack; without it one is trained
    /// (or resumed) in DIR/victim.
    #[arg(long)]
    pub victim: Option<PathBuf>,
    /// Test users the targets are ranked for (seeded sample; 0 = all).
    #[arg(long, default_value_t = 2000)]
    pub users: usize,
    /// Edit rounds per target.
    #[arg(long, default_value_t = 6)]
    pub steps: usize,
    /// Rewrites proposed per round.
    #[arg(long, default_value_t = 48)]
    pub proposals: usize,
    /// Minimum MiniLM cosine between original and rewritten text.
    #[arg(long, default_value_t = 0.8)]
    pub min_similarity: f64,
    /// Words a rewrite may add.
    #[arg(long, default_value_t = 3)]
    pub max_extra_words: usize,
    /// Search: share of inserted / substituted words proposed by the language model (SmolLM2,
    /// its likeliest next words at the edit position); 0 = catalogue words only, no LM needed.
    #[arg(long, default_value_t = 0.5)]
    pub lm_share: f64,
    /// Search: LM proposals kept per word position (catalogue words among its top ones).
    #[arg(long, default_value_t = 20)]
    pub lm_top_k: usize,
    /// ICL: prompting rounds per target.
    #[arg(long, default_value_t = 2)]
    pub icl_rounds: usize,
    /// ICL: completions sampled per round.
    #[arg(long, default_value_t = 4)]
    pub icl_samples: usize,
    /// Defence side: also measure how far `--audit-items` untouched candidates can move under
    /// `--audit-steps` edits (a robustness score per item).
    #[arg(long)]
    pub audit: bool,
    #[arg(long, default_value_t = 100)]
    pub audit_items: usize,
    #[arg(long, default_value_t = 2)]
    pub audit_steps: usize,
    /// Robust z above which the score-popularity detector flags an item.
    #[arg(long, default_value_t = 3.0)]
    pub detect_z: f64,
    /// Untouched candidates whose titles the LM reads as the reference of the LM-fluency
    /// detector (~1.5 s each on 2 cores).
    #[arg(long, default_value_t = 100)]
    pub detect_lm_sample: usize,
    #[arg(long)]
    pub out: PathBuf,
}

/// `"1%"` or `"0.01"` as a fraction in (0, 1].
fn share(s: &str) -> anyhow::Result<f64> {
    let v = match s.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|x| x / 100.0),
        None => s.trim().parse::<f64>(),
    }
    .with_context(|| format!("'{s}' is not a share like 1% or 0.01"))?;
    ensure!(v > 0.0 && v <= 1.0, "share {s} must be in (0, 100%]");
    Ok(v)
}

pub fn attack_text_cmd(a: AttackTextArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    ensure!(
        matches!(a.attack.as_str(), "search" | "icl"),
        "unknown attack '{}' (expected search or icl)",
        a.attack
    );
    ensure!(
        (0.0..=1.0).contains(&a.lm_share),
        "--lm-share {} must be in [0, 1]",
        a.lm_share
    );
    // Load the LLM first: a missing model file should fail before any training.
    let mut lm = if a.attack == "icl" || a.lm_share > 0.0 {
        let p = trustrec_text::models_dir()
            .join("SmolLM2-135M-Instruct-Q4_1/SmolLM2-135M-Instruct.Q4_1.gguf");
        Some(ChatLm::load(&p).context(
            "the ICL attack and the search's LM proposals need SmolLM2: run \
             ../shared/scripts/get-models.sh (or search with --lm-share 0)",
        )?)
    } else {
        None
    };
    let (target_share, other_share) = (share(&a.targets)?, share(&a.candidates)?);
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let victim_dir = match &a.victim {
        Some(d) => d.clone(),
        None => {
            let mut flags = a.flags.clone();
            flags.model = flags.model.or(Some("unisrec".into()));
            flags.format = flags.format.or(Some("llmrank".into()));
            let cfg = resolve(&flags)?;
            let dir = a.out.join("victim");
            if !dir.join("results.json").exists() {
                train_run(&cfg, &dir, true, true)?;
            }
            dir
        }
    };
    let (cfg, prep, model, device) = load_run(&victim_dir)?;
    let Recommender::UniSRec(uni) = &model else {
        bail!(
            "the victim in {} is {}, not unisrec (text-aware)",
            victim_dir.display(),
            cfg.model.name
        );
    };
    // The attack's own seed (targets, users, proposals); the victim's by default.
    let seed = a.flags.seed.unwrap_or(cfg.seed);
    let n_items = uni.text_table().dims()[0];
    let titles: Vec<String> = (0..n_items)
        .map(|i| prep.title(i as u32).unwrap_or("").to_string())
        .collect();
    let items: Vec<u32> = (0..n_items as u32)
        .filter(|&i| !titles[i as usize].is_empty())
        .collect();
    let protocol = choose_protocol(&items, target_share, other_share, seed)?;
    // Users: a seeded sample of the test cases.
    let mut cases = prep.split.test.clone();
    cases.shuffle(&mut ChaCha8Rng::seed_from_u64(seed ^ 0x05E7_5A3E));
    if a.users > 0 {
        cases.truncate(a.users);
    }
    let emb = embed_cases(&model, &prep.split, &cases, cfg.model.max_len, 256, &device)?;
    let d = emb.dim;
    let cand_vecs: Vec<f32> = protocol
        .candidates
        .iter()
        .flat_map(|&c| emb.items[c as usize * d..(c as usize + 1) * d].to_vec())
        .collect();
    let victim = Victim::new(
        d,
        emb.queries.clone(),
        protocol.candidates.clone(),
        cand_vecs,
    )?;
    let mut enc = trustrec_text::SentenceEncoder::load(
        &trustrec_text::models_dir().join("all-MiniLM-L6-v2"),
        &device,
    )
    .context("the text encoder is missing: run ../shared/scripts/get-models.sh")?;
    // Small batches: a round's proposals then spread over the cores.
    enc.batch = 16;
    // Vocabulary: catalogue words, favouring those of the titles the victim already ranks high.
    let mut favoured = Vec::new();
    for q in emb.queries.chunks(d).take(500) {
        let mut s: Vec<(f32, u32)> = protocol
            .candidates
            .iter()
            .map(|&c| {
                (
                    emb.items[c as usize * d..(c as usize + 1) * d]
                        .iter()
                        .zip(q)
                        .map(|(x, y)| x * y)
                        .sum(),
                    c,
                )
            })
            .collect();
        s.select_nth_unstable_by(9, |x, y| y.0.total_cmp(&x.0));
        favoured.extend(s[..10].iter().map(|&(_, c)| titles[c as usize].as_str()));
    }
    let all: Vec<&str> = titles.iter().map(String::as_str).collect();
    let vocab = Vocabulary::from_texts(&all, &favoured, 3, 5.0)?;
    let scfg = SearchConfig {
        max_steps: a.steps,
        proposals: a.proposals,
        min_similarity: a.min_similarity,
        max_extra_words: a.max_extra_words,
        lm_share: a.lm_share,
    };
    let known: HashSet<&str> = titles.iter().flat_map(|t| t.split_whitespace()).collect();
    let lm_read = |lm: &mut ChatLm, text: &str| -> anyhow::Result<(LmProposals, f64)> {
        let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
        let r = lm.read(LM_SYSTEM, LM_USER, &words, a.lm_top_k * 4)?;
        let lists = r
            .next
            .into_iter()
            .map(|l| {
                l.into_iter()
                    .filter(|w| known.contains(w.as_str()))
                    .take(a.lm_top_k)
                    .collect()
            })
            .collect();
        Ok((LmProposals(lists), r.mean_nll))
    };
    let encode = |t: &[String]| enc.encode(t);
    let to_item = |v: &[f32]| -> anyhow::Result<Vec<f32>> {
        let k = v.len() / enc.dim();
        let x = Tensor::<2>::from_data(TensorData::new(v.to_vec(), [k, enc.dim()]), &device);
        to_vec(uni.item_vectors(x))
    };
    let bar = ProgressBar::new(protocol.targets.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("attacking {bar:40} {pos}/{len} targets ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let t_attack = Instant::now();
    let mut outcomes = Vec::new();
    let icfg = IclConfig {
        rounds: a.icl_rounds,
        samples: a.icl_samples,
        min_similarity: a.min_similarity,
        max_extra_words: a.max_extra_words,
        ..IclConfig::default()
    };
    // Per target: the LM's mean negative log-likelihood per token of the original and the rewrite.
    let mut fluency: Vec<(f64, f64)> = Vec::new();
    for &t in &protocol.targets {
        let text = &titles[t as usize];
        let read = match lm.as_mut() {
            Some(lm) => Some(lm_read(lm, text)?),
            None => None,
        };
        let o = match lm.as_mut() {
            Some(lm) if a.attack == "icl" => {
                let mut generate = |sys: &str, user: &str, s: u64| {
                    lm.chat(sys, user, icfg.max_new_tokens, icfg.temperature, s)
                };
                icl_target(
                    t,
                    text,
                    &victim,
                    &icfg,
                    seed,
                    &mut generate,
                    &encode,
                    &to_item,
                )?
            }
            _ => {
                let props = read.as_ref().filter(|_| a.lm_share > 0.0).map(|r| &r.0);
                search_target(
                    t, text, &victim, &vocab, props, &scfg, seed, &encode, &to_item,
                )?
            }
        };
        if let (Some(lm), Some((_, nll))) = (lm.as_mut(), &read) {
            let after = if o.rewritten == *text {
                *nll
            } else {
                lm_read(lm, &o.rewritten)?.1
            };
            fluency.push((*nll, after));
        }
        outcomes.push(o);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let attack_seconds = t_attack.elapsed().as_secs_f64();
    // Everything rewritten at once, for top-20 precision.
    let rewritten: Vec<String> = outcomes.iter().map(|o| o.rewritten.clone()).collect();
    let new_vecs = to_item(&enc.encode(&rewritten)?)?;
    let replaced: HashMap<u32, Vec<f32>> = protocol
        .targets
        .iter()
        .zip(new_vecs.chunks(d))
        .map(|(&t, v)| (t, v.to_vec()))
        .collect();
    let p_before = victim.precision_at_20(&protocol.targets, &HashMap::new());
    let p_after = victim.precision_at_20(&protocol.targets, &replaced);
    // Detectors, scored on the served texts (rewritten targets, untouched others).
    let counts = prep.split.train_item_counts();
    let served: Vec<String> = victim
        .candidates
        .iter()
        .map(|&c| {
            replaced_text(&protocol.targets, &rewritten, c)
                .unwrap_or(&titles[c as usize])
                .to_string()
        })
        .collect();
    let truth: Vec<bool> = victim
        .candidates
        .iter()
        .map(|c| protocol.targets.binary_search(c).is_ok())
        .collect();
    let cand_counts: Vec<u32> = victim
        .candidates
        .iter()
        .map(|&c| counts.get(c as usize).copied().unwrap_or(0))
        .collect();
    let detections = trustrec_attack::detect::detect(
        &victim.mean_scores(&replaced),
        &cand_counts,
        &served,
        &truth,
        a.detect_z,
    );
    let detections_clean = trustrec_attack::detect::detect(
        &victim.mean_scores(&HashMap::new()),
        &cand_counts,
        &victim
            .candidates
            .iter()
            .map(|&c| titles[c as usize].clone())
            .collect::<Vec<_>>(),
        &truth,
        a.detect_z,
    );
    // A seeded sample of `n` untouched candidates (one stream per use, by `salt`).
    let untouched = |salt: u64, n: usize| -> Vec<u32> {
        let mut pool: Vec<u32> = victim
            .candidates
            .iter()
            .copied()
            .filter(|c| protocol.targets.binary_search(c).is_err())
            .collect();
        pool.shuffle(&mut ChaCha8Rng::seed_from_u64(seed ^ salt));
        pool.truncate(n);
        pool
    };
    // LM fluency: the rewritten targets against a seeded sample of untouched candidates.
    let lm_detection = match lm.as_mut() {
        Some(lm) if !fluency.is_empty() => {
            let pool = untouched(0xF1_0E7C, a.detect_lm_sample);
            let mut nll: Vec<f64> = fluency.iter().map(|f| f.1).collect();
            for &c in &pool {
                nll.push(lm_read(lm, &titles[c as usize])?.1);
            }
            let truth: Vec<bool> = (0..nll.len()).map(|i| i < fluency.len()).collect();
            let d = trustrec_attack::detect::lm_fluency(&nll, &truth, a.detect_z);
            let fp = d.flagged - d.true_positives;
            let fpr = fp as f64 / pool.len().max(1) as f64;
            // Precision had the detector run over all candidates (targets at their real share).
            let prev = protocol.targets.len() as f64 / victim.candidates.len() as f64;
            let at_prev = d.recall * prev / (d.recall * prev + fpr * (1.0 - prev)).max(1e-12);
            json!({"detection": d, "untouched_sample": pool.len(), "false_positive_rate": fpr,
                   "precision_at_candidate_share": at_prev,
                   "untouched_nll_mean": nll[fluency.len()..].iter().sum::<f64>() / pool.len().max(1) as f64})
        }
        _ => serde_json::Value::Null,
    };
    let audit = if a.audit {
        let pool = untouched(0xA0D1_7000, a.audit_items);
        let bounded = SearchConfig {
            max_steps: a.audit_steps,
            ..scfg.clone()
        };
        let mut rows = Vec::new();
        for &c in &pool {
            let props = match lm.as_mut() {
                Some(lm) if a.lm_share > 0.0 => Some(lm_read(lm, &titles[c as usize])?.0),
                _ => None,
            };
            let o = search_target(
                c,
                &titles[c as usize],
                &victim,
                &vocab,
                props.as_ref(),
                &bounded,
                seed,
                &encode,
                &to_item,
            )?;
            rows.push(json!({"item": prep.log.item_ids.original(c), "text": o.original, "rewritten": o.rewritten,
                "rank_before": o.before.avg_rank, "rank_after": o.after.avg_rank,
                "robustness": o.after.avg_rank / o.before.avg_rank, "similarity": o.similarity}));
        }
        let mut r: Vec<f64> = rows
            .iter()
            .filter_map(|x| x["robustness"].as_f64())
            .collect();
        r.sort_by(f64::total_cmp);
        json!({"steps": a.audit_steps, "items": rows, "robustness_median": r.get(r.len() / 2),
               "robustness_min": r.first(), "note": "robustness = best reachable average rank / original average rank (1 = cannot be moved, near 0 = easily pushed up)"})
    } else {
        serde_json::Value::Null
    };
    let n = outcomes.len() as f64;
    let mean = |f: &dyn Fn(&trustrec_attack::SearchOutcome) -> f64| {
        outcomes.iter().map(f).sum::<f64>() / n
    };
    let words = |s: &str| s.split_whitespace().count() as f64;
    let before_rank = mean(&|o| o.before.avg_rank);
    let after_rank = mean(&|o| o.after.avg_rank);
    let nll = |i: usize, after: bool| fluency.get(i).map(|f| if after { f.1 } else { f.0 });
    let mean_nll = |after: bool| {
        (!fluency.is_empty()).then(|| {
            fluency
                .iter()
                .map(|f| if after { f.1 } else { f.0 })
                .sum::<f64>()
                / n
        })
    };
    let targets: Vec<serde_json::Value> = outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| json!({
            "item": prep.log.item_ids.original(o.item), "original": o.original, "rewritten": o.rewritten,
            "rank_before": o.before.avg_rank, "rank_after": o.after.avg_rank,
            "score_before": o.before.mean_score, "score_after": o.after.mean_score,
            "top20_before": o.before.top20, "top20_after": o.after.top20,
            "similarity": o.similarity, "bleu": bleu(&o.original, &o.rewritten),
            "edits": o.edits, "proposed": o.proposed, "evaluated": o.evaluated,
            "lm_proposed": o.lm_proposed, "lm_edits": o.lm_edits,
            "lm_nll_before": nll(i, false), "lm_nll_after": nll(i, true),
        }))
        .collect();
    let victim_results: serde_json::Value = std::fs::read(victim_dir.join("results.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null);
    let results = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "data": {"path": cfg.data.path, "hash": prep.loaded.source.hash},
        "victim": {"run": victim_dir, "model": cfg.model.name.to_string(), "seed": cfg.seed,
                   "test": victim_results["metrics"]["test"]},
        "config": {"attack": a.attack, "seed": seed, "targets": a.targets, "candidates": a.candidates,
                   "users": cases.len(), "search": scfg, "icl": (a.attack == "icl").then_some(&icfg), "vocabulary": vocab.words.len()},
        "protocol": {"n_targets": protocol.targets.len(), "n_candidates": protocol.candidates.len()},
        "before": {"avg_rank": before_rank, "precision_at_20": p_before,
                   "mean_score": mean(&|o| o.before.mean_score), "length": mean(&|o| words(&o.original)),
                   "lm_nll": mean_nll(false)},
        "after": {"avg_rank": after_rank, "precision_at_20": p_after,
                  "mean_score": mean(&|o| o.after.mean_score), "similarity": mean(&|o| o.similarity),
                  "length": mean(&|o| words(&o.rewritten)), "bleu": mean(&|o| bleu(&o.original, &o.rewritten)),
                  "rank_reduction": 1.0 - after_rank / before_rank, "lm_nll": mean_nll(true),
                  "lm_edits": outcomes.iter().map(|o| o.lm_edits).sum::<usize>(),
                  "edits": outcomes.iter().map(|o| o.edits.len()).sum::<usize>()},
        "timing": {"attack_seconds": attack_seconds, "seconds_per_target": attack_seconds / n,
                   "total_seconds": t0.elapsed().as_secs_f64()},
        "detectors": {"on_attacked": detections, "on_original_texts": detections_clean, "z": a.detect_z,
                      "lm_fluency": lm_detection},
        "audit": audit,
        "targets": targets,
    });
    write_json(&a.out.join("results.json"), &results)?;
    write_bytes_atomic(&a.out.join("report.md"), report(&results).as_bytes())?;
    println!(
        "average target rank {before_rank:.1} -> {after_rank:.1} ({:.1}% lower), similarity {:.3}: {}",
        100.0 * (1.0 - after_rank / before_rank),
        results["after"]["similarity"].as_f64().unwrap_or(f64::NAN),
        a.out.join("results.json").display()
    );
    Ok(())
}

/// How the LM is asked to read a title (for its next-word proposals and its likelihood).
const LM_SYSTEM: &str = "You are a helpful assistant.";
const LM_USER: &str = "Write the title of a product sold in an online shop.";

/// The rewritten text of `item` when it is a target.
fn replaced_text<'a>(targets: &[u32], rewritten: &'a [String], item: u32) -> Option<&'a str> {
    targets
        .binary_search(&item)
        .ok()
        .map(|i| rewritten[i].as_str())
}

fn report(r: &serde_json::Value) -> String {
    let mut s = String::new();
    let f = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    // The LM's NLL, "-" when the run read no text with the LM.
    let nll = |v: &serde_json::Value| v.as_f64().map_or("-".to_string(), |x| format!("{x:.3}"));
    let _ = writeln!(
        s,
        "# Text rewriting attack ({})\n",
        r["config"]["attack"].as_str().unwrap_or("?")
    );
    let _ = writeln!(
        s,
        "Victim `{}` ({}); {} targets among {} candidates, ranked for {} test users.\n",
        r["victim"]["model"].as_str().unwrap_or("?"),
        r["victim"]["run"].as_str().unwrap_or("?"),
        r["protocol"]["n_targets"],
        r["protocol"]["n_candidates"],
        r["config"]["users"]
    );
    let (b, a) = (&r["before"], &r["after"]);
    let _ = writeln!(
        s,
        "| | avg rank | precision@20 | mean score | length | similarity | BLEU | LM NLL/token |\n|---|---|---|---|---|---|---|---|"
    );
    let _ = writeln!(
        s,
        "| before | {:.1} | {:.4} | {:.3} | {:.1} | 1 | 1 | {} |",
        f(&b["avg_rank"]),
        f(&b["precision_at_20"]),
        f(&b["mean_score"]),
        f(&b["length"]),
        nll(&b["lm_nll"])
    );
    let _ = writeln!(
        s,
        "| after | {:.1} | {:.4} | {:.3} | {:.1} | {:.3} | {:.3} | {} |\n",
        f(&a["avg_rank"]),
        f(&a["precision_at_20"]),
        f(&a["mean_score"]),
        f(&a["length"]),
        f(&a["similarity"]),
        f(&a["bleu"]),
        nll(&a["lm_nll"])
    );
    let _ = writeln!(
        s,
        "Accepted edits: {} ({} with a word the language model proposed). LM NLL/token: SmolLM2's \
         mean negative log-likelihood of the title as a product title (higher = less fluent).\n",
        a["edits"], a["lm_edits"]
    );
    let _ = writeln!(
        s,
        "Detectors of rewritten texts (attacked targets vs untouched candidates):\n\n| detector | flagged | precision | recall | AUC |\n|---|---|---|---|---|"
    );
    for d in r["detectors"]["on_attacked"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let auc = d["auc"]
            .as_f64()
            .map_or("-".to_string(), |x| format!("{x:.3}"));
        let _ = writeln!(
            s,
            "| {} | {} | {:.3} | {:.3} | {auc} |",
            d["name"].as_str().unwrap_or("?"),
            d["flagged"],
            f(&d["precision"]),
            f(&d["recall"]),
        );
    }
    let lf = &r["detectors"]["lm_fluency"];
    if !lf.is_null() {
        let d = &lf["detection"];
        let _ = writeln!(
            s,
            "| lm-fluency (targets vs {} untouched) | {} | {:.3} (at the real share: {:.3}) | {:.3} | {:.3} |",
            lf["untouched_sample"],
            d["flagged"],
            f(&d["precision"]),
            f(&lf["precision_at_candidate_share"]),
            f(&d["recall"]),
            f(&d["auc"]),
        );
    }
    if !r["audit"].is_null() {
        let _ = writeln!(
            s,
            "\nRobustness audit ({} edit rounds, {} untouched candidates): median best-rank ratio {:.3}, minimum {:.3}.",
            r["audit"]["steps"],
            r["audit"]["items"].as_array().map_or(0, Vec::len),
            f(&r["audit"]["robustness_median"]),
            f(&r["audit"]["robustness_min"]),
        );
    }
    let _ = writeln!(
        s,
        "\n| item | rank before | rank after | similarity | original | rewritten |\n|---|---|---|---|---|---|"
    );
    for t in r["targets"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "| {} | {:.1} | {:.1} | {:.3} | {} | {} |",
            t["item"].as_str().unwrap_or("?"),
            f(&t["rank_before"]),
            f(&t["rank_after"]),
            f(&t["similarity"]),
            t["original"].as_str().unwrap_or("").replace('|', "\\|"),
            t["rewritten"].as_str().unwrap_or("").replace('|', "\\|"),
        );
    }
    s
}
