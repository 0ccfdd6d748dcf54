//! Defence-side measurement: detectors of rewritten item texts, scored on the attack's own
//! outputs against untouched items.
//!
//! * score-popularity: an item the victim scores far above what its training popularity
//!   predicts is suspicious. Fit `mean score ~ a + b ln(1 + train count)` over all candidates,
//!   flag residuals above `z` robust standard deviations.
//! * repeated words: search rewrites tend to stack generic tokens ("The ... The"); flag a text
//!   whose most frequent word (case-insensitive, punctuation stripped) occurs more than twice.
//! * LM fluency: word-level edits make titles a language model finds unlikely; flag a text whose
//!   mean negative log-likelihood per token lies `z` robust standard deviations above that of
//!   untouched titles.

use serde::Serialize;
use trustrec_eval::median;

/// Precision / recall of one detector.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Detection {
    pub name: String,
    pub flagged: usize,
    pub true_positives: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Area under the ROC curve of the detector's score (None for a yes/no rule).
    pub auc: Option<f64>,
}

fn detection(name: &str, flags: &[bool], truth: &[bool], scores: Option<&[f64]>) -> Detection {
    let flagged = flags.iter().filter(|&&f| f).count();
    let tp = flags.iter().zip(truth).filter(|&(&f, &t)| f && t).count();
    let pos = truth.iter().filter(|&&t| t).count();
    let precision = if flagged > 0 {
        tp as f64 / flagged as f64
    } else {
        0.0
    };
    let recall = if pos > 0 { tp as f64 / pos as f64 } else { 0.0 };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    Detection {
        name: name.to_string(),
        flagged,
        true_positives: tp,
        precision,
        recall,
        f1,
        auc: scores.map(|s| auc(s, truth)),
    }
}

/// Mann-Whitney AUC: probability that a positive outscores a negative (ties count half).
pub fn auc(scores: &[f64], truth: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if truth[k] {
                rank_sum += mid;
            }
        }
        i = j + 1;
    }
    let p = truth.iter().filter(|&&t| t).count() as f64;
    let n = truth.len() as f64 - p;
    if p == 0.0 || n == 0.0 {
        return 0.5;
    }
    (rank_sum - p * (p + 1.0) / 2.0) / (p * n)
}

/// Residuals of a Theil-Sen fit `y ~ a + b x` (median of pairwise slopes), centred on their
/// median and scaled by 1.4826 x their median absolute deviation: a robust z, so a few boosted
/// items can neither tilt the fit nor hide by inflating the spread.
fn residual_z(x: &[f64], y: &[f64]) -> Vec<f64> {
    // At most ~2,000 evenly spaced points for the slope (2 million pairs).
    let step = x.len().div_ceil(2000).max(1);
    let pts: Vec<usize> = (0..x.len()).step_by(step).collect();
    let mut slopes = Vec::new();
    for (a, &i) in pts.iter().enumerate() {
        for &j in &pts[a + 1..] {
            if (x[j] - x[i]).abs() > 1e-12 {
                slopes.push((y[j] - y[i]) / (x[j] - x[i]));
            }
        }
    }
    // No two distinct x: a flat fit.
    let b = median(&mut slopes).unwrap_or(0.0);
    let r: Vec<f64> = x.iter().zip(y).map(|(a, v)| v - b * a).collect();
    robust_z(&r, &r)
}

/// `values` as robust z against `reference`: centred on its median and scaled by 1.4826 x its
/// median absolute deviation (the standard deviation, were it normal).
fn robust_z(values: &[f64], reference: &[f64]) -> Vec<f64> {
    let centre = median(&mut reference.to_vec()).unwrap_or(0.0);
    let mut dev: Vec<f64> = reference.iter().map(|v| (v - centre).abs()).collect();
    let sd = (1.4826 * median(&mut dev).unwrap_or(0.0)).max(1e-12);
    values.iter().map(|v| (v - centre) / sd).collect()
}

/// Largest number of times one word occurs in `text`.
pub fn max_word_repeat(text: &str) -> usize {
    let mut counts = std::collections::HashMap::new();
    for w in text.split_whitespace() {
        let w: String = w
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        if !w.is_empty() {
            *counts.entry(w).or_insert(0usize) += 1;
        }
    }
    counts.values().copied().max().unwrap_or(0)
}

/// Both detectors and their union on candidates with `mean_scores` (rewritten texts in
/// place), training `counts`, `texts` (as served) and which were `rewritten`.
pub fn detect(
    mean_scores: &[f64],
    counts: &[u32],
    texts: &[String],
    rewritten: &[bool],
    z: f64,
) -> Vec<Detection> {
    let x: Vec<f64> = counts.iter().map(|&c| (c as f64).ln_1p()).collect();
    let resid = residual_z(&x, mean_scores);
    let pop: Vec<bool> = resid.iter().map(|&r| r > z).collect();
    let rep: Vec<bool> = texts.iter().map(|t| max_word_repeat(t) > 2).collect();
    let either: Vec<bool> = pop.iter().zip(&rep).map(|(a, b)| *a || *b).collect();
    vec![
        detection("score-popularity", &pop, rewritten, Some(&resid)),
        detection("repeated-words", &rep, rewritten, None),
        detection("either", &either, rewritten, None),
    ]
}

/// The LM-fluency detector on texts with mean per-token negative log-likelihoods `nll`, of which
/// `rewritten` were attacked: the reference (median, 1.4826 x MAD) comes from the untouched ones
/// only, as a platform would take it from its catalogue, where rewritten texts are rare.
pub fn lm_fluency(nll: &[f64], rewritten: &[bool], z: f64) -> Detection {
    let clean: Vec<f64> = nll
        .iter()
        .zip(rewritten)
        .filter(|(_, r)| !**r)
        .map(|(v, _)| *v)
        .collect();
    let score = robust_z(nll, &clean);
    let flags: Vec<bool> = score.iter().map(|&s| s > z).collect();
    detection("lm-fluency", &flags, rewritten, Some(&score))
}
