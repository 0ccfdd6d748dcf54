//! SmolLM2-135M-Instruct answers a factual question and repeats itself under a seed. Needs the
//! model from ../shared/scripts/get-models.sh; skipped (with the reason printed) without it.

use std::path::PathBuf;

fn model() -> Option<PathBuf> {
    let root = match std::env::var_os("TRUSTREC_MODELS") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/trustrec/models"),
    };
    let p = root.join("SmolLM2-135M-Instruct-Q4_1/SmolLM2-135M-Instruct.Q4_1.gguf");
    if !p.exists() {
        println!(
            "skipped: {} is absent (run ../shared/scripts/get-models.sh)",
            p.display()
        );
        return None;
    }
    Some(p)
}

#[test]
fn real_smollm_answers_and_repeats_with_a_seed() {
    let Some(path) = model() else { return };
    let mut lm = trustrec_llm::ChatLm::load(&path).unwrap();
    let ids = lm.encode("<|im_start|>user\nhi<|im_end|>").unwrap();
    assert_eq!(
        ids.first(),
        lm.encode("<|im_start|>").unwrap().first(),
        "special tokens are whole"
    );
    let a = lm
        .chat(
            "You are a helpful assistant.",
            "What is the capital of France?",
            24,
            0.0,
            1,
        )
        .unwrap();
    assert!(a.contains("Paris"), "{a}");
    let s1 = lm
        .chat(
            "You are a helpful assistant.",
            "Name a video game.",
            16,
            0.8,
            7,
        )
        .unwrap();
    let s2 = lm
        .chat(
            "You are a helpful assistant.",
            "Name a video game.",
            16,
            0.8,
            7,
        )
        .unwrap();
    assert_eq!(s1, s2);
    assert!(!s1.trim().is_empty());
}

/// Reading a title gives one word list per boundary, made of clean single words, that continue
/// the text plausibly; a scrambled title reads as less likely than the real one.
#[test]
fn real_smollm_reads_a_title_word_by_word() {
    let Some(path) = model() else { return };
    let mut lm = trustrec_llm::ChatLm::load(&path).unwrap();
    let (sys, user) = ("You are a helpful assistant.", "Name a video game.");
    let words: Vec<String> = "Super Mario Bros for Nintendo Switch"
        .split(' ')
        .map(String::from)
        .collect();
    let r = lm.read(sys, user, &words, 20).unwrap();
    assert_eq!(r.next.len(), words.len() + 1);
    for list in &r.next {
        assert_eq!(list.len(), 20);
        assert!(
            list.iter()
                .all(|w| w.len() >= 2 && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')),
            "{list:?}"
        );
    }
    // After "Super", a model that knows games expects "Mario" among its top words.
    assert!(r.next[1].iter().any(|w| w == "Mario"), "{:?}", r.next[1]);
    assert!(r.tokens >= words.len());
    let scrambled: Vec<String> = "Switch Bros Nintendo for Mario Super"
        .split(' ')
        .map(String::from)
        .collect();
    let s = lm.read(sys, user, &scrambled, 5).unwrap();
    assert!(
        s.mean_nll > r.mean_nll + 0.5,
        "scrambled {} vs real {}",
        s.mean_nll,
        r.mean_nll
    );
    // Deterministic: the same reading twice.
    let again = lm.read(sys, user, &words, 20).unwrap();
    assert_eq!(again.next, r.next);
    assert_eq!(again.mean_nll, r.mean_nll);
}
