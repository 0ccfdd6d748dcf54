//! CASPER graphs and scores against hand-computed answers, and the fast exact scorer against
//! one BFS per root on random and real logs.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use trustrec_data::InteractionLog;
use trustrec_robust::casper::{scores, scores_bfs};
use trustrec_robust::{CasperOptions, Graph, GraphKind, ProtocolData, Variant};

fn log_of(rows: &[(&str, &str)]) -> InteractionLog {
    let mut log = InteractionLog::default();
    for (r, (u, i)) in rows.iter().enumerate() {
        let u = log.user_ids.get_or_insert(u);
        let i = log.item_ids.get_or_insert(i);
        log.push(u, i, r as f64, r as u32);
    }
    log
}

fn opts(variant: Variant, graph: GraphKind, window: usize) -> CasperOptions {
    CasperOptions {
        variant,
        graph,
        window,
    }
}

/// Scores keyed by data row (0 for rows that are not nodes).
fn row_scores(data: &ProtocolData, o: &CasperOptions) -> Vec<u32> {
    let g = Graph::build(data, o);
    let s = scores(&g);
    assert_eq!(s, scores_bfs(&g), "exact scorer disagrees with BFS");
    let mut by_row = vec![0; data.events.len()];
    for (k, &e) in g.nodes.iter().enumerate() {
        by_row[data.events[e as usize].row.unwrap() as usize] = s[k];
    }
    by_row
}

#[test]
fn hand_computed_user_item_and_user_graphs() {
    // Edges: user a 0->2, user b 1->4, item x 0->1, item y 2->4. Roots 0 and 3.
    let log = log_of(&[("a", "x"), ("b", "x"), ("a", "y"), ("c", "z"), ("b", "y")]);
    let data = ProtocolData::new(&log, 0, 0.1).unwrap();
    let ui = opts(Variant::Casper, GraphKind::UserItem, 50);
    assert_eq!(row_scores(&data, &ui), vec![4, 0, 0, 1, 0]);
    let g = Graph::build(&data, &ui);
    assert_eq!(g.n_edges(), 4);
    let user = opts(Variant::Casper, GraphKind::User, 50);
    assert_eq!(row_scores(&data, &user), vec![2, 2, 0, 1, 0]);
}

#[test]
fn casper_window_keeps_only_recent_links() {
    // User a has 4 rows; window 3 chains only its last window - 1 = 2 rows (one link, 2->3),
    // as the spec's a = max(0, n - (w - 1)) .. n - 2.
    let log = log_of(&[("a", "p"), ("a", "q"), ("a", "r"), ("a", "s")]);
    let data = ProtocolData::new(&log, 0, 0.1).unwrap();
    let o = opts(Variant::Casper, GraphKind::UserItem, 3);
    assert_eq!(row_scores(&data, &o), vec![1, 1, 2, 0]);
    let full = opts(Variant::Casper, GraphKind::UserItem, 50);
    assert_eq!(row_scores(&data, &full), vec![4, 0, 0, 0]);
}

#[test]
fn finest_variant_uses_last_rows_and_never_bridges() {
    // Window 2: nodes are rows 2,3 (user a) and 1,4 (user b). Item x's chain 0->1->3 loses
    // 0->1 (row 0 is not a node) but keeps 1->3; user a keeps 2->3; user b 1->4.
    let log = log_of(&[("a", "x"), ("b", "x"), ("a", "y"), ("a", "x"), ("b", "z")]);
    let data = ProtocolData::new(&log, 0, 0.1).unwrap();
    let f = opts(Variant::Finest, GraphKind::UserItem, 2);
    assert_eq!(row_scores(&data, &f), vec![0, 3, 2, 0, 0]);
    assert_eq!(Graph::build(&data, &f).len(), 4);
    let c = opts(Variant::Casper, GraphKind::UserItem, 50);
    assert_eq!(row_scores(&data, &c), vec![5, 0, 0, 0, 0]);
}

#[test]
fn test_rows_are_not_nodes() {
    // 20 rows of one user: floor(0.1 * 20) = 2 test rows.
    let rows: Vec<(String, String)> = (0..20).map(|i| ("u".into(), format!("i{i}"))).collect();
    let refs: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let data = ProtocolData::new(&log_of(&refs), 10, 0.1).unwrap();
    let g = Graph::build(&data, &CasperOptions::default());
    assert_eq!(g.len(), 18);
    assert_eq!(scores(&g)[0], 18);
}

#[test]
fn exact_scores_match_bfs_on_random_logs() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for trial in 0..6 {
        let (users, items) = (20 + 10 * trial, 5 + 7 * trial);
        let rows: Vec<(String, String)> = (0..3000)
            .map(|_| {
                (
                    format!("u{}", rng.gen_range(0..users)),
                    format!("i{}", rng.gen_range(0..items)),
                )
            })
            .collect();
        let refs: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let data = ProtocolData::new(&log_of(&refs), 0, 0.1).unwrap();
        for variant in [Variant::Casper, Variant::Finest] {
            for graph in [GraphKind::UserItem, GraphKind::User] {
                for window in [5, 50] {
                    let g = Graph::build(&data, &opts(variant, graph, window));
                    assert_eq!(scores(&g), scores_bfs(&g), "{variant:?} {graph:?} {window}");
                }
            }
        }
    }
}

#[test]
fn real_jodie_wikipedia_exact_matches_bfs() {
    let path = std::path::Path::new("../../../shared/datasets/jodie/wikipedia.tsv");
    if !path.exists() {
        eprintln!("skipping: {} is absent", path.display());
        return;
    }
    let loaded = trustrec_data::load(path, trustrec_data::Format::Jodie, &Default::default())
        .expect("load wikipedia");
    let data = ProtocolData::new(&loaded.log, 0, 0.1).unwrap();
    let g = Graph::build(&data, &CasperOptions::default());
    let t = std::time::Instant::now();
    let fast = scores(&g);
    let t_fast = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let slow = scores_bfs(&g);
    let t_slow = t.elapsed().as_secs_f64();
    assert_eq!(fast, slow);
    let best = fast.iter().max().unwrap();
    eprintln!(
        "wikipedia: {} nodes, {} edges, best score {best}; exact bitset {t_fast:.3} s, BFS {t_slow:.3} s",
        g.len(),
        g.n_edges()
    );
    assert!(*best > 1000, "cascades on wikipedia are large (got {best})");
}
