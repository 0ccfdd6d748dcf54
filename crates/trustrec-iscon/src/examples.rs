//! Prediction examples (steps 4-5). An example is one target interaction, named by its index in
//! [`IsconData::items`]; every input (previous sessions, items so far, the previous session's
//! last item) is sliced from the user's contiguous history at batch time, so the example lists
//! cost one `usize` each and nothing after the target can leak in.

use crate::sessions::{IsconData, Role};

/// Lengths and feature scales shared by both predictors.
#[derive(Clone, Debug, PartialEq)]
pub struct ExampleConfig {
    /// Items kept per sequence (the original `look_back`, 50).
    pub max_len: usize,
    /// Previous sessions kept for the context predictor (50, counting the leading zero vector).
    pub max_sessions: usize,
}

/// Interaction indices of the targets of one role, in data order.
pub fn targets(d: &IsconData, role: Role) -> Vec<usize> {
    (0..d.len()).filter(|&i| d.roles[i] == role).collect()
}

/// The item predictor's input for target `i`: the previous session's last item (if any), then
/// the items so far in the current session, the last `max_len` of them (oldest first).
pub fn item_sequence(d: &IsconData, i: usize, max_len: usize) -> &[u32] {
    let s = &d.sessions[d.session_of[i] as usize];
    let user_start = d.user_offsets[s.user as usize];
    let from = if s.start > user_start {
        s.start - 1
    } else {
        s.start
    };
    &d.items[from.max(i.saturating_sub(max_len))..i]
}

/// The context predictor's item input for target `i`: a start token 0 followed by the items so
/// far in the session shifted by one (item `j` -> `j + 1`), the last `max_len` of them.
pub fn context_items(d: &IsconData, i: usize, max_len: usize) -> Vec<i64> {
    let s = &d.sessions[d.session_of[i] as usize];
    let mut v: Vec<i64> = std::iter::once(0)
        .chain(d.items[s.start..i].iter().map(|&x| x as i64 + 1))
        .collect();
    let cut = v.len().saturating_sub(max_len);
    v.drain(..cut);
    v
}

/// The context predictor's session input for target `i`: `None` (the zero vector) followed by
/// the user's previous sessions, the last `max_sessions` entries.
pub fn previous_sessions(d: &IsconData, i: usize, max_sessions: usize) -> Vec<Option<usize>> {
    let s = d.session_of[i] as usize;
    let first = d.session_offsets[d.sessions[s].user as usize];
    let mut v: Vec<Option<usize>> = std::iter::once(None).chain((first..s).map(Some)).collect();
    let cut = v.len().saturating_sub(max_sessions);
    v.drain(..cut);
    v
}

/// Per-session features appended to the session embedding: gap to the next session, duration
/// and length, each divided by its maximum over the graph-part sessions (at least 1, as the
/// original's running maxima start at 1).
pub fn session_features(d: &IsconData) -> Vec<[f32; 3]> {
    let graph = d.sessions.iter().filter(|s| s.in_graph);
    let (mut g, mut du, mut l) = (1f64, 1f64, 1f64);
    for s in graph {
        g = g.max(s.gap_after);
        du = du.max(s.duration);
        l = l.max(s.len as f64);
    }
    d.sessions
        .iter()
        .map(|s| {
            [
                (s.gap_after / g) as f32,
                (s.duration / du) as f32,
                (s.len as f64 / l) as f32,
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::{ProtocolConfig, tests::toy_log};

    #[test]
    fn inputs_by_hand() {
        // Items of user a: i0 i1 i2 | i3 i0 | i1 i2 i3 i0 i1 (dense ids = first appearance).
        let d = IsconData::new(&toy_log(), &ProtocolConfig::default()).unwrap();
        assert_eq!(d.items, vec![0, 1, 2, 3, 0, 1, 2, 3, 0, 1]);
        // Target 4 (2nd item of session 1): last item of session 0, then item 3.
        assert_eq!(item_sequence(&d, 4, 50), &[2, 3]);
        assert_eq!(item_sequence(&d, 4, 1), &[3]);
        // Target 5 starts session 2: only the previous session's last item.
        assert_eq!(item_sequence(&d, 5, 50), &[0]);
        assert_eq!(item_sequence(&d, 1, 50), &[0]);
        assert_eq!(context_items(&d, 7, 50), vec![0, 2, 3]);
        assert_eq!(context_items(&d, 7, 2), vec![2, 3]);
        assert_eq!(context_items(&d, 5, 50), vec![0]);
        assert_eq!(previous_sessions(&d, 7, 50), vec![None, Some(0), Some(1)]);
        assert_eq!(previous_sessions(&d, 7, 2), vec![Some(0), Some(1)]);
        assert_eq!(previous_sessions(&d, 1, 50), vec![None]);
        assert_eq!(targets(&d, Role::Test), vec![9]);
        let f = session_features(&d);
        // Graph sessions 0, 1: max gap 4980, max duration 20, max len 3.
        assert_eq!(f[0], [1.0, 1.0, 1.0]);
        assert_eq!(f[1], [3990.0 / 4980.0, 10.0 / 20.0, 2.0 / 3.0]);
    }
}
