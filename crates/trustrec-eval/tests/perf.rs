//! Timing of the reference workload; run with
//! `cargo test --release -p trustrec-eval --test perf -- --ignored --nocapture`.
mod common;

use std::time::Instant;

use common::Lcg;
use trustrec_eval::{EvalRequest, MatRef, TieRule, evaluate_full, top_k};

#[test]
#[ignore = "timing only; run in release mode"]
fn full_eval_6000x3500x64() {
    let (n, m, d) = (6000, 3500, 64);
    let mut g = Lcg::new(5);
    let q: Vec<f32> = (0..n * d).map(|_| g.unit()).collect();
    let it: Vec<f32> = (0..m * d).map(|_| g.unit()).collect();
    let targets: Vec<u32> = (0..n).map(|_| g.below(m as u32)).collect();
    let excluded: Vec<Vec<u32>> = (0..n).map(|_| g.sample(m as u32, 50)).collect();
    let req = EvalRequest {
        queries: MatRef {
            data: &q,
            rows: n,
            cols: d,
        },
        items: MatRef {
            data: &it,
            rows: m,
            cols: d,
        },
        bias: None,
        targets: &targets,
        excluded: Some(&excluded),
        tie: TieRule::Mean,
        ks: &[10, 20],
    };
    evaluate_full(&req).unwrap(); // warm up the thread pool
    let t = Instant::now();
    let reps = 5;
    for _ in 0..reps {
        evaluate_full(&req).unwrap();
    }
    let per = t.elapsed().as_secs_f64() / reps as f64;
    let t = Instant::now();
    for _ in 0..reps {
        top_k(req.queries, req.items, None, Some(&excluded), 20).unwrap();
    }
    let tk = t.elapsed().as_secs_f64() / reps as f64;
    println!(
        "evaluate_full {n}x{m}x{d}: {:.1} ms/run on {} threads; top_k(20): {:.1} ms/run",
        per * 1e3,
        rayon::current_num_threads(),
        tk * 1e3
    );
}
