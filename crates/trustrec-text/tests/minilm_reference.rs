//! The Rust MiniLM encoder reproduces the reference sentence-transformers vectors in
//! ../shared/testdata/minilm_vectors.json (identical token ids, cosine > 0.9999). Needs the
//! model from ../shared/scripts/get-models.sh; skipped (with the reason printed) without it.

use std::path::Path;

use burn::tensor::Device;
use trustrec_text::cache::EmbeddingCache;
use trustrec_text::{SentenceEncoder, models_dir};

fn encoder() -> Option<SentenceEncoder> {
    let dir = models_dir().join("all-MiniLM-L6-v2");
    if !dir.join("model.safetensors").exists() {
        println!(
            "skipped: {} is absent (run ../shared/scripts/get-models.sh)",
            dir.display()
        );
        return None;
    }
    Some(SentenceEncoder::load(&dir, &Device::flex()).unwrap())
}

fn reference() -> Option<serde_json::Value> {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/minilm_vectors.json");
    if !p.exists() {
        println!("skipped: {} is absent", p.display());
        return None;
    }
    Some(serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
}

#[test]
fn real_minilm_matches_the_reference_vectors() {
    let (Some(enc), Some(r)) = (encoder(), reference()) else {
        return;
    };
    let cases = r["vectors"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    let texts: Vec<String> = cases
        .iter()
        .map(|c| c["text"].as_str().unwrap().to_string())
        .collect();
    // Batched together, so padding and masking are exercised.
    let got = enc.encode(&texts).unwrap();
    let d = enc.dim();
    assert_eq!(d, 384);
    for (i, c) in cases.iter().enumerate() {
        let ids: Vec<u32> = c["input_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(
            enc.token_ids(&texts[i]).unwrap(),
            ids,
            "token ids of {:?}",
            texts[i]
        );
        let want: Vec<f64> = c["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let v = &got[i * d..(i + 1) * d];
        let dot: f64 = v.iter().zip(&want).map(|(&a, &b)| a as f64 * b).sum();
        let na: f64 = v.iter().map(|&a| (a as f64).powi(2)).sum::<f64>().sqrt();
        let nb: f64 = want.iter().map(|b| b * b).sum::<f64>().sqrt();
        let cos = dot / (na * nb);
        assert!(cos > 0.9999, "{:?}: cosine {cos}", texts[i]);
    }
    // Alone, a text gets the same vector as in a padded batch.
    let one = enc.encode(&texts[..1]).unwrap();
    let diff: f32 = one
        .iter()
        .zip(&got[..d])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(diff < 1e-5, "batching changed a vector by {diff}");
}

#[test]
fn real_minilm_cache_round_trips_and_serves_repeats() {
    let Some(enc) = encoder() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("minilm.cache");
    let texts = vec![
        "Super Mario 64".to_string(),
        "Halo 3".to_string(),
        "Super Mario 64".to_string(),
    ];
    let mut cache = EmbeddingCache::open(&path, enc.dim()).unwrap();
    let a = enc.encode_cached(&texts, &mut cache).unwrap();
    assert_eq!(cache.len(), 2);
    let mut reopened = EmbeddingCache::open(&path, enc.dim()).unwrap();
    assert_eq!(reopened.len(), 2);
    let b = enc.encode_cached(&texts, &mut reopened).unwrap();
    assert_eq!(a, b);
    assert_eq!(&a[..enc.dim()], &a[2 * enc.dim()..]);
    assert!(
        EmbeddingCache::open(&path, 7).is_err(),
        "width mismatch must be an error"
    );
}
