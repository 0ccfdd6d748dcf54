//! The attack's parts against known answers: hand-computed BLEU, victim ranks against brute
//! force, the seeded protocol, and the search on a toy text space where one word is known to
//! raise the target.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use trustrec_attack::bleu::bleu;
use trustrec_attack::{SearchConfig, Victim, Vocabulary, choose_protocol, search_target};

#[test]
fn bleu_matches_hand_computed_values() {
    assert_eq!(bleu("the cat sat down", "the cat sat down"), 1.0);
    // p1 = 3/4, p2 = (1+1)/(3+1), p3 = (0+1)/(2+1), p4 = (0+1)/(1+1): product 1/16, BLEU 0.5.
    assert!((bleu("the cat sat down", "the dog sat down") - 0.5).abs() < 1e-12);
    // Shorter candidate: p1 = p2 = 1, the empty 3- and 4-gram counts smooth to 1/1, so BLEU is
    // the brevity penalty exp(1 - 4/2).
    let b = bleu("the cat sat down", "the cat");
    assert!((b - (1.0f64 - 2.0).exp()).abs() < 1e-12, "{b}");
    assert_eq!(bleu("a b", "x y"), 0.0);
}

fn random_victim(users: usize, cands: usize, dim: usize, seed: u64) -> Victim {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let q: Vec<f32> = (0..users * dim).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let v: Vec<f32> = (0..cands * dim).map(|_| rng.gen_range(-1.0..1.0)).collect();
    Victim::new(dim, q, (0..cands as u32).map(|c| c * 3).collect(), v).unwrap()
}

#[test]
fn victim_ranks_match_brute_force() {
    let (users, cands, dim) = (40, 30, 5);
    let victim = random_victim(users, cands, dim, 1);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for target in [0u32, 27, 87] {
        let slot = (target / 3) as usize;
        let new: Vec<f32> = (0..dim).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let s = victim.standing(target, &new);
        let (mut rank, mut top) = (0.0, 0.0);
        for u in 0..users {
            let q = &victim.queries[u * dim..(u + 1) * dim];
            let dot = |v: &[f32]| -> f32 { v.iter().zip(q).map(|(a, b)| a * b).sum() };
            let mine = dot(&new);
            let r = 1
                + (0..cands)
                    .filter(|&c| c != slot && dot(&victim.cand_vecs[c * dim..(c + 1) * dim]) > mine)
                    .count();
            rank += r as f64;
            top += (r <= 20) as u8 as f64;
        }
        assert!(
            (s.avg_rank - rank / users as f64).abs() < 1e-9,
            "{} vs {}",
            s.avg_rank,
            rank / users as f64
        );
        assert!((s.top20 - top / users as f64).abs() < 1e-9);
    }
    // Precision@20 with every candidate in the set is 1; with none it is 0.
    let all: Vec<u32> = victim.candidates.clone();
    assert_eq!(victim.precision_at_20(&all, &HashMap::new()), 1.0);
    assert_eq!(victim.precision_at_20(&[], &HashMap::new()), 0.0);
}

#[test]
fn protocol_is_seeded_and_sized_as_asked() {
    let items: Vec<u32> = (0..1000).collect();
    let p = choose_protocol(&items, 0.01, 0.1, 5).unwrap();
    assert_eq!(p.targets.len(), 10);
    assert_eq!(p.candidates.len(), 10 + 99);
    assert!(
        p.targets
            .iter()
            .all(|t| p.candidates.binary_search(t).is_ok())
    );
    assert_eq!(choose_protocol(&items, 0.01, 0.1, 5).unwrap(), p);
    assert_ne!(
        choose_protocol(&items, 0.01, 0.1, 6).unwrap().targets,
        p.targets
    );
    assert!(choose_protocol(&items, 0.0, 0.1, 5).is_err());
}

fn bucket(w: &str) -> usize {
    match w {
        "deluxe" => 0,
        "game" | "edition" => 1,
        "mario" | "kart" => 2,
        _ => 3,
    }
}

/// Toy text space: a text's vector counts its words in 4 buckets (normalised).
fn toy_encode(texts: &[String]) -> anyhow::Result<Vec<f32>> {
    Ok(texts
        .iter()
        .flat_map(|t| {
            let mut v = [0.05f32; 4];
            for w in t.split_whitespace() {
                v[bucket(w)] += 1.0;
            }
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.map(|x| x / n)
        })
        .collect())
}

fn identity(v: &[f32]) -> anyhow::Result<Vec<f32>> {
    Ok(v.to_vec())
}

const TITLES: [&str; 5] = [
    "mario kart",
    "mario game",
    "game edition",
    "kart edition",
    "deluxe",
];

/// Users all like bucket 0, which only the word "deluxe" fills.
fn toy_victim() -> Victim {
    let text_vecs = toy_encode(&TITLES.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let queries: Vec<f32> = (0..10)
        .flat_map(|u| [1.0, 0.1 * u as f32, 0.0, 0.0])
        .collect();
    Victim::new(4, queries, (0..5).collect(), text_vecs).unwrap()
}

#[test]
fn search_finds_the_word_the_victim_likes_and_keeps_the_floor() {
    let victim = toy_victim();
    let vocab = Vocabulary::from_texts(&TITLES, &[], 1, 0.0).unwrap();
    let cfg = SearchConfig {
        max_steps: 3,
        proposals: 20,
        min_similarity: 0.5,
        max_extra_words: 1,
        lm_share: 0.5,
    };
    let run = |cfg: &SearchConfig| {
        search_target(
            0,
            "mario kart",
            &victim,
            &vocab,
            None,
            cfg,
            1,
            &toy_encode,
            &identity,
        )
        .unwrap()
    };
    let out = run(&cfg);
    assert!(
        out.rewritten.split_whitespace().any(|w| w == "deluxe"),
        "{}",
        out.rewritten
    );
    assert!(out.after.avg_rank < out.before.avg_rank);
    assert!(out.similarity >= 0.5);
    assert!(out.rewritten.split_whitespace().count() <= 3);
    assert_eq!(
        run(&cfg).rewritten,
        out.rewritten,
        "same seed, different rewrite"
    );
    // An impossible floor keeps the original.
    let kept = run(&SearchConfig {
        min_similarity: 1.01,
        ..cfg
    });
    assert_eq!(
        (kept.rewritten.as_str(), kept.after),
        ("mario kart", kept.before)
    );
}

/// A word only the language model proposes (not in the catalogue vocabulary) is found through
/// the LM proposals, at the position the LM proposed it for, and counted as an LM edit.
#[test]
fn search_uses_language_model_proposals_where_they_stand() {
    let victim = toy_victim();
    let vocab = Vocabulary::from_texts(&TITLES[..4], &[], 1, 0.0).unwrap();
    let cfg = SearchConfig {
        max_steps: 3,
        proposals: 20,
        min_similarity: 0.5,
        max_extra_words: 1,
        lm_share: 1.0,
    };
    let lists = |at_end: &str| {
        trustrec_attack::LmProposals(vec![
            vec!["game".into()],
            vec!["edition".into()],
            vec![at_end.to_string()],
        ])
    };
    let run = |lm: Option<&trustrec_attack::LmProposals>| {
        search_target(
            0,
            "mario kart",
            &victim,
            &vocab,
            lm,
            &cfg,
            1,
            &toy_encode,
            &identity,
        )
        .unwrap()
    };
    let without = run(None);
    assert!(!without.rewritten.contains("deluxe"));
    assert_eq!(without.lm_proposed, 0);
    let with = run(Some(&lists("deluxe")));
    assert!(
        with.rewritten.ends_with("kart deluxe") || with.rewritten.ends_with(" deluxe"),
        "{with:?}"
    );
    assert!(with.after.avg_rank < without.after.avg_rank);
    assert!(with.lm_edits >= 1 && with.lm_proposed >= with.lm_edits);
    // Proposed only before the first word, "deluxe" goes there or nowhere.
    let front = trustrec_attack::LmProposals(vec![
        vec!["deluxe".into()],
        vec!["game".into()],
        vec!["edition".into()],
    ]);
    let out = run(Some(&front));
    assert!(
        out.rewritten.starts_with("deluxe") || !out.rewritten.contains("deluxe"),
        "{}",
        out.rewritten
    );
}

#[test]
fn icl_keeps_the_best_admissible_reply_and_shows_it_in_later_prompts() {
    use trustrec_attack::icl::{IclConfig, clean, icl_target};
    assert_eq!(
        clean("\n  - Title: \"Mario Kart Deluxe\"\nmore text"),
        "Mario Kart Deluxe"
    );
    assert_eq!(
        clean("The new title: Super Sega Genesis Spider-Man"),
        "Super Sega Genesis Spider-Man"
    );
    assert_eq!(clean("Halo 3"), "Halo 3");
    let victim = toy_victim();
    // Round 1 replies: too long, the original, a good rewrite; round 2: a worse one.
    let replies = [
        "mario kart deluxe deluxe deluxe edition",
        "mario kart",
        "mario kart deluxe",
        "mario mario",
    ];
    let mut prompts = Vec::new();
    let mut calls = 0;
    let mut generate = |_: &str, user: &str, _: u64| -> anyhow::Result<String> {
        prompts.push(user.to_string());
        calls += 1;
        Ok(replies[(calls - 1) % replies.len()].to_string())
    };
    let cfg = IclConfig {
        rounds: 2,
        samples: 3,
        min_similarity: 0.5,
        max_extra_words: 2,
        ..IclConfig::default()
    };
    let out = icl_target(
        0,
        "mario kart",
        &victim,
        &cfg,
        1,
        &mut generate,
        &toy_encode,
        &identity,
    )
    .unwrap();
    assert_eq!(out.rewritten, "mario kart deluxe");
    assert!(out.after.avg_rank < out.before.avg_rank);
    assert_eq!(out.proposed, 6);
    assert!(!prompts[0].contains("- mario kart deluxe"));
    assert!(prompts[3].contains("- mario kart deluxe"), "{}", prompts[3]);
}

#[test]
fn detectors_score_by_hand() {
    use trustrec_attack::detect::{auc, detect, max_word_repeat};
    assert_eq!(
        auc(&[0.1, 0.3, 0.35, 0.8], &[false, true, false, true]),
        0.75
    );
    assert_eq!(auc(&[1.0, 1.0], &[true, false]), 0.5);
    assert_eq!(max_word_repeat("The Movie, the movie THE"), 3);
    // Scores rise with popularity except item 3, boosted far above its (zero) popularity.
    let counts = [100, 50, 20, 0, 10, 5, 80, 30];
    let scores: Vec<f64> = counts
        .iter()
        .map(|&c| (c as f64).ln_1p())
        .collect::<Vec<_>>();
    let mut scores = scores;
    scores[3] = 9.0;
    let texts: Vec<String> = ["a", "b", "c", "d", "e f e e", "g", "h", "i"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rewritten = [false, false, false, true, true, false, false, false];
    let d = detect(&scores, &counts, &texts, &rewritten, 2.0);
    assert_eq!((d[0].flagged, d[0].true_positives), (1, 1));
    assert_eq!((d[0].precision, d[0].recall), (1.0, 0.5));
    assert_eq!((d[1].flagged, d[1].true_positives), (1, 1));
    assert_eq!((d[2].recall, d[2].precision), (1.0, 1.0));
    // LM fluency: untouched NLLs 2,3,3,4,5 -> median 3, MAD 1, sd 1.4826; the rewrites at 9 and
    // 3.5 score z = 4.05 and 0.34, so only the first is flagged at z = 2 (and untouched 5, at
    // z = 1.35, is not); by score, every rewrite but 3.5 outranks every untouched text.
    use trustrec_attack::detect::lm_fluency;
    let nll = [2.0, 3.0, 9.0, 3.0, 4.0, 3.5, 5.0];
    let rw = [false, false, true, false, false, true, false];
    let d = lm_fluency(&nll, &rw, 2.0);
    assert_eq!((d.flagged, d.true_positives), (1, 1));
    assert_eq!((d.precision, d.recall), (1.0, 0.5));
    // 3.5 beats 2, 3, 3 and loses to 4, 5: AUC = (5 + 3) / 10.
    assert!((d.auc.unwrap() - 0.8).abs() < 1e-12, "{:?}", d.auc);
}
