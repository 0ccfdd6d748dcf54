//! The data protocol shared by CASPER and FINEST: a stable time sort, an optional minimum
//! number of interactions per user, and per user the last `floor(0.1 * n_u)` interactions as
//! test. Interactions live in one time-ordered event list so that a perturbation is an edit of
//! that list and every derived structure (sequences, graph, split) is rebuilt from it.

use anyhow::{Context, ensure};
use trustrec_data::{
    Case, IdMap, InteractionLog, Sequences, Split, SplitKind, check_leakage, group_by_key,
};

/// One interaction in protocol order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    /// 0-based data row of the input file; `None` for an inserted interaction.
    pub row: Option<u32>,
    pub user: u32,
    pub item: u32,
    pub time: f64,
    /// Part of the user's test tail (never perturbed, never a graph node).
    pub test: bool,
}

/// A log prepared by the protocol.
#[derive(Clone, Debug)]
pub struct ProtocolData {
    /// All kept interactions, stably sorted by time (ties keep file order).
    pub events: Vec<Event>,
    /// Dense user / item id spaces of the loaded log (filtered users keep their ids).
    pub user_ids: IdMap,
    pub item_ids: IdMap,
    pub min_user: usize,
    pub test_fraction: f64,
}

impl ProtocolData {
    /// Applies the protocol to `log`. `min_user = 0` keeps every user (the original CASPER
    /// code's behaviour, whose `>= 10` filter was a no-op); users below `min_user` are dropped.
    pub fn new(log: &InteractionLog, min_user: usize, test_fraction: f64) -> anyhow::Result<Self> {
        ensure!(
            (0.0..1.0).contains(&test_fraction),
            "test fraction must be in [0, 1), got {test_fraction}"
        );
        ensure!(!log.is_empty(), "the interaction log is empty");
        if let Some(i) = log.times.iter().position(|t| !t.is_finite()) {
            anyhow::bail!("timestamp of data row {} is not finite", log.rows[i]);
        }
        let mut per_user = vec![0usize; log.n_users()];
        for &u in &log.users {
            per_user[u as usize] += 1;
        }
        let mut order: Vec<u32> = (0..log.len() as u32)
            .filter(|&i| per_user[log.users[i as usize] as usize] >= min_user)
            .collect();
        // Stable: equal timestamps (30k rows on reddit) keep file order.
        order.sort_by(|&a, &b| log.times[a as usize].total_cmp(&log.times[b as usize]));
        ensure!(
            !order.is_empty(),
            "no user has at least {min_user} interactions"
        );
        let n_test: Vec<usize> = per_user
            .iter()
            .map(|&n| (test_fraction * n as f64).floor() as usize)
            .collect();
        let mut seen = vec![0usize; log.n_users()];
        let events = order
            .iter()
            .map(|&i| {
                let i = i as usize;
                let u = log.users[i] as usize;
                seen[u] += 1;
                Event {
                    row: Some(log.rows[i]),
                    user: u as u32,
                    item: log.items[i],
                    time: log.times[i],
                    test: seen[u] > per_user[u] - n_test[u],
                }
            })
            .collect();
        Ok(Self {
            events,
            user_ids: log.user_ids.clone(),
            item_ids: log.item_ids.clone(),
            min_user,
            test_fraction,
        })
    }

    pub fn n_users(&self) -> usize {
        self.user_ids.len()
    }

    pub fn n_items(&self) -> usize {
        self.item_ids.len()
    }

    /// Indices (into `events`) of the training interactions, in time order.
    pub fn train_indices(&self) -> Vec<u32> {
        (0..self.events.len() as u32)
            .filter(|&i| !self.events[i as usize].test)
            .collect()
    }

    pub fn n_train(&self) -> usize {
        self.events.iter().filter(|e| !e.test).count()
    }

    /// Training occurrences of every item (length [`ProtocolData::n_items`]).
    pub fn train_item_counts(&self) -> Vec<u32> {
        let mut c = vec![0u32; self.n_items()];
        for e in self.events.iter().filter(|e| !e.test) {
            c[e.item as usize] += 1;
        }
        c
    }

    /// The split of the original events.
    pub fn split(&self) -> anyhow::Result<Split> {
        self.split_of(&self.events)
    }

    /// Per-user sequences of `events` (original or perturbed) with the training prefix and the
    /// test cases; no validation part (the papers train a fixed number of epochs).
    pub fn split_of(&self, events: &[Event]) -> anyhow::Result<Split> {
        let n_users = self.n_users();
        let (offsets, members) = group_by_key(events.iter().map(|e| e.user), n_users);
        let n = events.len();
        let (mut items, mut times, mut rows) = (vec![0u32; n], vec![0f64; n], vec![0u32; n]);
        let mut train_len = vec![0u32; n_users];
        let mut test = Vec::new();
        for u in 0..n_users {
            for (pos, &i) in members[offsets[u]..offsets[u + 1]].iter().enumerate() {
                let (e, p) = (&events[i as usize], offsets[u] + pos);
                items[p] = e.item;
                times[p] = e.time;
                rows[p] = e.row.unwrap_or(u32::MAX);
                let pos = pos as u32;
                if e.test {
                    test.push(Case { user: e.user, pos });
                } else {
                    ensure!(
                        pos == train_len[u],
                        "user {} has a training interaction after a test one",
                        self.user_ids.original(e.user)
                    );
                    train_len[u] += 1;
                }
            }
        }
        let split = Split {
            kind: SplitKind::UserRatio {
                test: self.test_fraction,
                valid: 0.0,
            },
            seqs: Sequences {
                offsets,
                items,
                times,
                rows,
            },
            train_len,
            valid: Vec::new(),
            test,
        };
        check_leakage(&split).context("protocol split")?;
        Ok(split)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Users a (12 rows), b (3 rows); b's rows tie a's times to test the stable sort.
    pub(crate) fn small_log() -> InteractionLog {
        let mut log = InteractionLog::default();
        let mut row = 0;
        for t in 0..12 {
            let u = log.user_ids.get_or_insert("a");
            let i = log.item_ids.get_or_insert(&format!("i{}", t % 4));
            log.push(u, i, t as f64, row);
            row += 1;
            if t < 3 {
                let u = log.user_ids.get_or_insert("b");
                let i = log.item_ids.get_or_insert(&format!("i{}", 3 - t));
                log.push(u, i, t as f64, row);
                row += 1;
            }
        }
        log
    }

    #[test]
    fn last_tenth_is_test_and_filter_drops_short_users() {
        let log = small_log();
        let all = ProtocolData::new(&log, 0, 0.1).unwrap();
        assert_eq!(all.events.len(), 15);
        // a: floor(1.2) = 1 test row (its last); b: floor(0.3) = 0.
        let tests: Vec<_> = all.events.iter().filter(|e| e.test).collect();
        assert_eq!(tests.len(), 1);
        assert_eq!(tests[0].row, Some(14));
        // Stable ties: at t = 0, a's row 0 precedes b's row 1.
        assert_eq!(all.events[0].row, Some(0));
        assert_eq!(all.events[1].row, Some(1));
        let filtered = ProtocolData::new(&log, 10, 0.1).unwrap();
        assert_eq!(filtered.events.len(), 12);
        assert!(filtered.events.iter().all(|e| e.user == 0));
        let s = filtered.split().unwrap();
        assert_eq!(s.train_len, vec![11, 0]);
        assert_eq!(s.test, vec![Case { user: 0, pos: 11 }]);
    }
}
