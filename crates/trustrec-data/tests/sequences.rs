//! Sequences, filters and sessionization on hand-built logs.

use trustrec_data::{
    InteractionLog, ItemCatalog, Sequences, dedup_consecutive, filter_k_core, filter_min_count,
    sessionize_by_gap,
};

fn log_of(rows: &[(&str, &str, f64)]) -> InteractionLog {
    let mut log = InteractionLog::default();
    for (r, &(u, i, t)) in rows.iter().enumerate() {
        let u = log.user_ids.get_or_insert(u);
        let i = log.item_ids.get_or_insert(i);
        log.push(u, i, t, r as u32);
    }
    log
}

fn names(ids: &trustrec_data::IdMap, v: &[u32]) -> Vec<String> {
    v.iter().map(|&i| ids.original(i).to_string()).collect()
}

#[test]
fn stable_time_sort_keeps_file_order_on_ties() {
    let log = log_of(&[
        ("u", "a", 5.0),
        ("v", "z", 0.0),
        ("u", "b", 1.0),
        ("u", "c", 5.0),
        ("u", "d", 1.0),
    ]);
    let s = Sequences::from_log(&log);
    assert_eq!(s.len(), 2);
    assert_eq!(names(&log.item_ids, s.items_of(0)), ["b", "d", "a", "c"]);
    assert_eq!(s.times_of(0), [1.0, 1.0, 5.0, 5.0]);
    assert_eq!(s.rows_of(0), [2, 4, 0, 3]);
    assert_eq!(s.rows_of(1), [1]);
    assert_eq!(s.offsets, [0, 4, 5]);
}

#[test]
fn k_core_iterates_to_fixpoint_but_min_count_does_not() {
    // i3 occurs once; removing it leaves u3 with one interaction, which then goes too.
    let log = log_of(&[
        ("u1", "i1", 1.0),
        ("u1", "i2", 2.0),
        ("u2", "i1", 3.0),
        ("u3", "i3", 4.0),
        ("u2", "i2", 5.0),
        ("u3", "i1", 6.0),
    ]);
    let once = filter_min_count(&log, 2, 2);
    assert_eq!(once.len(), 5);
    assert_eq!(once.rows, [0, 1, 2, 4, 5]);
    let core = filter_k_core(&log, 2, 2);
    assert_eq!(core.len(), 4);
    assert_eq!(core.rows, [0, 1, 2, 4]);
    assert_eq!((core.n_users(), core.n_items()), (2, 2));
    assert_eq!(names(&core.user_ids, &core.users), ["u1", "u1", "u2", "u2"]);
    assert_eq!(names(&core.item_ids, &core.items), ["i1", "i2", "i1", "i2"]);
    assert_eq!(core.times, [1.0, 2.0, 3.0, 5.0]);
    // Ids are dense again.
    assert!(core.users.iter().all(|&u| (u as usize) < core.n_users()));
    assert!(core.items.iter().all(|&i| (i as usize) < core.n_items()));
    assert!(filter_k_core(&log, 3, 1).is_empty());
}

#[test]
fn catalog_follows_filtered_ids() {
    let log = log_of(&[("u", "a", 1.0), ("u", "b", 2.0), ("v", "b", 3.0)]);
    let mut cat = ItemCatalog::empty(2);
    cat.titles = vec![Some("A".into()), Some("B".into())];
    let f = filter_min_count(&log, 1, 2);
    let re = cat.reindex(&log.item_ids, &f.item_ids);
    assert_eq!(re.titles, [Some("B".to_string())]);
}

#[test]
fn dedup_consecutive_repeats() {
    let log = log_of(&[
        ("u", "a", 1.0),
        ("u", "a", 2.0),
        ("v", "a", 1.0),
        ("u", "b", 3.0),
        ("u", "a", 4.0),
        ("u", "a", 4.0),
    ]);
    let d = dedup_consecutive(&log);
    assert_eq!(d.rows, [0, 2, 3, 4]);
}

#[test]
fn sessionize_splits_on_gaps() {
    let log = log_of(&[
        ("u", "a", 0.0),
        ("w", "a", 0.0),
        ("u", "b", 100.0),
        ("u", "c", 1000.0),
        ("w", "b", 50.0),
        ("u", "d", 1050.0),
    ]);
    let s = sessionize_by_gap(&log, 300.0);
    assert_eq!(
        names(&s.user_ids, &s.users),
        ["u#0", "w#0", "u#0", "u#1", "w#0", "u#1"]
    );
    assert_eq!(s.items, log.items);
    assert_eq!(s.rows, log.rows);
    assert_eq!(s.n_users(), 3);
}

#[test]
fn stats_are_sensible() {
    let log = log_of(&[("u", "a", 3.0), ("u", "b", 1.0), ("v", "a", 2.0)]);
    let s = log.stats();
    assert_eq!(
        (s.interactions, s.users, s.items, s.active_items),
        (3, 2, 2, 2)
    );
    assert_eq!(
        (s.min_user_len, s.median_user_len, s.max_user_len),
        (1, 1.5, 2)
    );
    assert_eq!((s.time_min, s.time_max), (1.0, 3.0));
    assert!((s.density - 0.75).abs() < 1e-12);
    let json = serde_json::to_string(&s).unwrap();
    assert!(json.contains("\"interactions\":3"));
}
