//! ISCON's data protocol (step 1): stable time sort, users with at least `min_user`
//! interactions, sessions cut where a user's gap exceeds `gap_seconds`, and the per-user role of
//! every interaction.
//!
//! The counting rule reproduces claws-lab/iscon exactly (pinned by `tests/reference.rs`): with
//! `n` interactions of a user, position `k` (0-based, time order) and `cutoff = 0.9 * n`,
//! `cutoff2 = cutoff * 0.9` (both `f64`, so "81%" is `(0.9 n) * 0.9`, not `0.81 n`):
//! `k >= cutoff` is test, `cutoff2 <= k < cutoff` validation, `0 < k < cutoff2` training, and
//! `k = 0` is no example at all (nothing precedes it). `k >= cutoff` gives exactly the last
//! `floor(0.1 n)` interactions, the CASPER test tail of `trustrec-robust`.

use anyhow::ensure;
use trustrec_data::InteractionLog;

/// What one interaction is, as a prediction target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A user's first interaction: context only, never a target.
    First,
    Train,
    Valid,
    Test,
}

/// One session: a maximal run of a user's interactions with gaps <= the threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub user: u32,
    /// Index of the first interaction in [`IsconData::items`].
    pub start: usize,
    pub len: usize,
    /// Seconds from this session's last interaction to the user's next session (0 for the last),
    /// the "gap" feature of the original code.
    pub gap_after: f64,
    /// Seconds from the first to the last interaction.
    pub duration: f64,
    /// True when every interaction lies in the user's first `train_ratio` part (the graph part):
    /// these sessions define the contexts (k-means is fit on them only).
    pub in_graph: bool,
}

/// The protocol's view of a log: interactions grouped by (dense, kept) user in time order.
#[derive(Clone, Debug)]
pub struct IsconData {
    pub n_users: usize,
    pub n_items: usize,
    /// Original id of each dense kept user / item.
    pub user_names: Vec<String>,
    pub item_names: Vec<String>,
    /// `user_offsets[u]..user_offsets[u + 1]` are user `u`'s interactions.
    pub user_offsets: Vec<usize>,
    pub items: Vec<u32>,
    pub times: Vec<f64>,
    pub roles: Vec<Role>,
    /// Session id of each interaction (sessions are numbered user by user, in time order).
    pub session_of: Vec<u32>,
    pub sessions: Vec<Session>,
    /// `session_offsets[u]..session_offsets[u + 1]` are user `u`'s sessions.
    pub session_offsets: Vec<usize>,
    /// Whether an interaction is in the user's first `train_ratio` part (a graph edge).
    pub in_graph: Vec<bool>,
}

/// Protocol parameters (defaults = the paper's).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProtocolConfig {
    pub min_user: usize,
    pub gap_seconds: f64,
    /// Share of a user's interactions before test (0.9); validation starts at `ratio * ratio`.
    pub train_ratio: f64,
}

impl Default for ProtocolConfig {
    fn default() -> Self {
        Self {
            min_user: 10,
            gap_seconds: 3600.0,
            train_ratio: 0.9,
        }
    }
}

/// Counts for reports and the reference test.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProtocolStats {
    pub users: usize,
    pub items: usize,
    pub interactions: usize,
    pub sessions: usize,
    pub train_examples: usize,
    pub valid_examples: usize,
    pub test_examples: usize,
}

/// Role of position `k` among `n` interactions (see the module docs for the rule).
pub fn role_of(k: usize, n: usize, train_ratio: f64) -> Role {
    let cutoff = train_ratio * n as f64;
    let cutoff2 = cutoff * train_ratio;
    let k = k as f64;
    if k >= cutoff {
        Role::Test
    } else if k >= cutoff2 {
        Role::Valid
    } else if k == 0.0 {
        Role::First
    } else {
        Role::Train
    }
}

impl IsconData {
    /// Applies the protocol to `log`; errors (never panics) on unusable input.
    pub fn new(log: &InteractionLog, cfg: &ProtocolConfig) -> anyhow::Result<Self> {
        ensure!(
            cfg.train_ratio > 0.0 && cfg.train_ratio < 1.0,
            "train ratio must be in (0, 1), got {}",
            cfg.train_ratio
        );
        ensure!(
            cfg.gap_seconds >= 0.0 && cfg.gap_seconds.is_finite(),
            "session gap must be a finite number of seconds >= 0, got {}",
            cfg.gap_seconds
        );
        ensure!(!log.is_empty(), "the interaction log is empty");
        if let Some(i) = log.times.iter().position(|t| !t.is_finite()) {
            anyhow::bail!("timestamp of data row {} is not finite", log.rows[i]);
        }
        // Stable: equal timestamps keep file order.
        let mut order: Vec<usize> = (0..log.len()).collect();
        order.sort_by(|&a, &b| log.times[a].total_cmp(&log.times[b]));
        let mut per_user: Vec<Vec<usize>> = vec![Vec::new(); log.n_users()];
        // Users in order of their first (time-sorted) interaction, like the original's dict.
        let mut user_order = Vec::new();
        for &i in &order {
            let u = log.users[i] as usize;
            if per_user[u].is_empty() {
                user_order.push(u);
            }
            per_user[u].push(i);
        }
        user_order.retain(|&u| per_user[u].len() >= cfg.min_user.max(1));
        ensure!(
            !user_order.is_empty(),
            "no user has at least {} interactions",
            cfg.min_user
        );
        Ok(Self::build(log, cfg, &user_order, &per_user))
    }

    fn build(
        log: &InteractionLog,
        cfg: &ProtocolConfig,
        user_order: &[usize],
        per_user: &[Vec<usize>],
    ) -> Self {
        let mut item_dense = vec![u32::MAX; log.n_items()];
        let mut d = Self {
            n_users: user_order.len(),
            n_items: 0,
            user_names: Vec::new(),
            item_names: Vec::new(),
            user_offsets: vec![0],
            items: Vec::new(),
            times: Vec::new(),
            roles: Vec::new(),
            session_of: Vec::new(),
            sessions: Vec::new(),
            session_offsets: vec![0],
            in_graph: Vec::new(),
        };
        for &u in user_order {
            d.user_names
                .push(log.user_ids.original(u as u32).to_string());
            let rows = &per_user[u];
            let n = rows.len();
            let cutoff = cfg.train_ratio * n as f64;
            let mut last = f64::NEG_INFINITY;
            for (k, &i) in rows.iter().enumerate() {
                let raw = log.items[i] as usize;
                if item_dense[raw] == u32::MAX {
                    item_dense[raw] = d.item_names.len() as u32;
                    d.item_names
                        .push(log.item_ids.original(raw as u32).to_string());
                }
                let t = log.times[i];
                if k == 0 || t - last > cfg.gap_seconds {
                    if let Some(prev) = d.sessions.last_mut().filter(|_| k > 0) {
                        prev.gap_after = t - last;
                    }
                    d.sessions.push(Session {
                        user: d.user_names.len() as u32 - 1,
                        start: d.items.len(),
                        len: 0,
                        gap_after: 0.0,
                        duration: 0.0,
                        in_graph: true,
                    });
                }
                let s = d.sessions.last_mut().expect("a session was just opened");
                s.len += 1;
                s.duration = t - d.times.get(s.start).copied().unwrap_or(t);
                let graph = (k as f64) < cutoff;
                s.in_graph &= graph;
                d.session_of.push(d.sessions.len() as u32 - 1);
                d.items.push(item_dense[raw]);
                d.times.push(t);
                d.roles.push(role_of(k, n, cfg.train_ratio));
                d.in_graph.push(graph);
                last = t;
            }
            d.user_offsets.push(d.items.len());
            d.session_offsets.push(d.sessions.len());
        }
        d.n_items = d.item_names.len();
        d
    }

    /// Number of kept interactions.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The user of interaction `i`.
    pub fn user_of(&self, i: usize) -> u32 {
        self.sessions[self.session_of[i] as usize].user
    }

    pub fn stats(&self) -> ProtocolStats {
        let count = |r: Role| self.roles.iter().filter(|&&x| x == r).count();
        ProtocolStats {
            users: self.n_users,
            items: self.n_items,
            interactions: self.len(),
            sessions: self.sessions.len(),
            train_examples: count(Role::Train),
            valid_examples: count(Role::Valid),
            test_examples: count(Role::Test),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// User "a": 10 interactions at t = 0, 10, 20 | 5000, 5010 | 9000 .. 9004 (3 sessions);
    /// user "b": 2 interactions (dropped by min_user = 10).
    pub(crate) fn toy_log() -> InteractionLog {
        let mut log = InteractionLog::default();
        let times = [
            0.0, 10.0, 20.0, 5000.0, 5010.0, 9000.0, 9001.0, 9002.0, 9003.0, 9004.0,
        ];
        for (row, &t) in times.iter().enumerate() {
            let u = log.user_ids.get_or_insert("a");
            let i = log.item_ids.get_or_insert(&format!("i{}", row % 4));
            log.push(u, i, t, row as u32);
        }
        for (row, t) in [(10u32, 1.0), (11, 2.0)] {
            let u = log.user_ids.get_or_insert("b");
            let i = log.item_ids.get_or_insert("z");
            log.push(u, i, t, row);
        }
        log
    }

    #[test]
    fn sessions_roles_and_gaps_by_hand() {
        let d = IsconData::new(&toy_log(), &ProtocolConfig::default()).unwrap();
        assert_eq!((d.n_users, d.n_items, d.len()), (1, 4, 10));
        let lens: Vec<usize> = d.sessions.iter().map(|s| s.len).collect();
        assert_eq!(lens, vec![3, 2, 5]);
        assert_eq!(d.sessions[0].gap_after, 4980.0);
        assert_eq!(d.sessions[1].gap_after, 3990.0);
        assert_eq!(d.sessions[2].gap_after, 0.0);
        assert_eq!(d.sessions[0].duration, 20.0);
        // n = 10: cutoff 9, cutoff2 8.1 -> k 0 first, 1..=8 train, none valid, 9 test.
        use Role::*;
        assert_eq!(
            d.roles,
            vec![
                First, Train, Train, Train, Train, Train, Train, Train, Train, Test
            ]
        );
        assert_eq!(
            d.sessions.iter().map(|s| s.in_graph).collect::<Vec<_>>(),
            vec![true, true, false]
        );
        assert_eq!(d.stats().test_examples, 1);
    }

    #[test]
    fn role_rule_matches_float_cutoffs() {
        // n = 20: cutoff 18, cutoff2 16.2 -> 16 train, 17 valid, 18 test.
        assert_eq!(role_of(16, 20, 0.9), Role::Train);
        assert_eq!(role_of(17, 20, 0.9), Role::Valid);
        assert_eq!(role_of(18, 20, 0.9), Role::Test);
        assert_eq!(role_of(0, 20, 0.9), Role::First);
    }

    #[test]
    fn bad_input_is_an_error() {
        let empty = InteractionLog::default();
        assert!(IsconData::new(&empty, &ProtocolConfig::default()).is_err());
        let bad = ProtocolConfig {
            train_ratio: 1.5,
            ..Default::default()
        };
        assert!(IsconData::new(&toy_log(), &bad).is_err());
        let strict = ProtocolConfig {
            min_user: 11,
            ..Default::default()
        };
        let e = IsconData::new(&toy_log(), &strict).unwrap_err();
        assert!(e.to_string().contains("at least 11"));
    }
}
