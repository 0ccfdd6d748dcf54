//! Sentence BLEU-4 of a rewrite against its original, with add-one smoothing of the 2- to
//! 4-gram precisions (Lin & Och 2004) so short titles do not score 0 for one changed word.

use std::collections::HashMap;

fn ngrams<'a>(w: &'a [&'a str], n: usize) -> HashMap<&'a [&'a str], usize> {
    let mut m = HashMap::new();
    if w.len() >= n {
        for g in w.windows(n) {
            *m.entry(g).or_insert(0) += 1;
        }
    }
    m
}

/// BLEU-4 of `candidate` against `reference` (whitespace tokens, case-sensitive), in [0, 1].
pub fn bleu(reference: &str, candidate: &str) -> f64 {
    let r: Vec<&str> = reference.split_whitespace().collect();
    let c: Vec<&str> = candidate.split_whitespace().collect();
    if c.is_empty() || r.is_empty() {
        return if c.is_empty() && r.is_empty() {
            1.0
        } else {
            0.0
        };
    }
    let mut log_p = 0.0;
    for n in 1..=4 {
        let (cr, cc) = (ngrams(&r, n), ngrams(&c, n));
        let matched: usize = cc
            .iter()
            .map(|(g, &k)| k.min(cr.get(g).copied().unwrap_or(0)))
            .sum();
        let total = c.len().saturating_sub(n - 1);
        let (m, t) = if n == 1 {
            (matched as f64, total as f64)
        } else {
            (matched as f64 + 1.0, total as f64 + 1.0)
        };
        if m == 0.0 || t == 0.0 {
            return 0.0;
        }
        log_p += (m / t).ln() / 4.0;
    }
    let bp = if c.len() >= r.len() {
        1.0
    } else {
        (1.0 - r.len() as f64 / c.len() as f64).exp()
    };
    bp * log_p.exp()
}
