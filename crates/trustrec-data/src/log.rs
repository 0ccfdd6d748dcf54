//! The columnar interaction log: four flat columns plus id maps, so tens of millions of rows
//! cost a few hundred MB instead of one heap object each.

use serde::Serialize;

use crate::IdMap;

/// Interactions in file order, one entry per row across the parallel columns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InteractionLog {
    /// Dense user (or session) id per interaction.
    pub users: Vec<u32>,
    /// Dense item id per interaction.
    pub items: Vec<u32>,
    /// Timestamp per interaction (format-specific unit; positions when the source has none).
    pub times: Vec<f64>,
    /// 0-based data row in the input (header excluded) the interaction came from; with several
    /// input files, rows continue counting across them.
    pub rows: Vec<u32>,
    /// Dense user id <-> original user id.
    pub user_ids: IdMap,
    /// Dense item id <-> original item id (may also hold catalog-only items, see `ItemCatalog`).
    pub item_ids: IdMap,
}

/// Summary numbers for reports and sanity checks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogStats {
    pub interactions: usize,
    /// Size of the user id space.
    pub users: usize,
    /// Size of the item id space (includes catalog-only items).
    pub items: usize,
    /// Items that occur in at least one interaction.
    pub active_items: usize,
    /// `interactions / (users * items)`.
    pub density: f64,
    pub min_user_len: usize,
    pub median_user_len: f64,
    pub max_user_len: usize,
    pub time_min: f64,
    pub time_max: f64,
}

impl InteractionLog {
    /// Number of interactions.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// True when there are no interactions.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Size of the user id space.
    pub fn n_users(&self) -> usize {
        self.user_ids.len()
    }

    /// Size of the item id space.
    pub fn n_items(&self) -> usize {
        self.item_ids.len()
    }

    /// Appends one interaction; the caller keeps ids within the id maps.
    pub fn push(&mut self, user: u32, item: u32, time: f64, row: u32) {
        self.users.push(user);
        self.items.push(item);
        self.times.push(time);
        self.rows.push(row);
    }

    /// Counts, density, per-user length spread and time range.
    pub fn stats(&self) -> LogStats {
        let mut per_user = vec![0usize; self.n_users()];
        for &u in &self.users {
            per_user[u as usize] += 1;
        }
        let mut seen = vec![false; self.n_items()];
        for &i in &self.items {
            seen[i as usize] = true;
        }
        per_user.sort_unstable();
        let median = match per_user.len() {
            0 => 0.0,
            n if n % 2 == 1 => per_user[n / 2] as f64,
            n => (per_user[n / 2 - 1] + per_user[n / 2]) as f64 / 2.0,
        };
        let cells = self.n_users() as f64 * self.n_items() as f64;
        let (time_min, time_max) = self
            .times
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &t| {
                (lo.min(t), hi.max(t))
            });
        LogStats {
            interactions: self.len(),
            users: self.n_users(),
            items: self.n_items(),
            active_items: seen.iter().filter(|&&s| s).count(),
            density: if cells > 0.0 {
                self.len() as f64 / cells
            } else {
                0.0
            },
            min_user_len: per_user.first().copied().unwrap_or(0),
            median_user_len: median,
            max_user_len: per_user.last().copied().unwrap_or(0),
            time_min: if self.is_empty() { 0.0 } else { time_min },
            time_max: if self.is_empty() { 0.0 } else { time_max },
        }
    }
}
