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
