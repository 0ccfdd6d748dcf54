//! The session-item bipartite multigraph (step 2): node `s` is session `s`, node
//! `n_sessions + i` is item `i`, and every interaction of the graph part is one edge, so a
//! repeated item in a session is a repeated edge (and is walked to more often).

use crate::sessions::IsconData;

/// Undirected multigraph in CSR form (each edge stored at both ends).
#[derive(Clone, Debug, PartialEq)]
pub struct Bipartite {
    pub n_sessions: usize,
    pub n_items: usize,
    pub offsets: Vec<usize>,
    pub neighbours: Vec<u32>,
}

impl Bipartite {
    /// The graph of the interactions in the users' first `train_ratio` part (`in_graph`), as the
    /// original's `G_train`: validation and test targets of the item predictor never appear.
    pub fn from_data(d: &IsconData) -> Self {
        let edges = (0..d.len())
            .filter(|&i| d.in_graph[i])
            .map(|i| (d.session_of[i], d.items[i]));
        Self::from_edges(d.sessions.len(), d.n_items, edges)
    }

    /// The graph of every interaction, as the original's `G_all`: GraphSAGE embeds each node
    /// (validation and test sessions too) from its neighbourhood here, with the weights trained
    /// on [`Self::from_data`]'s graph.
    pub fn from_all(d: &IsconData) -> Self {
        let edges = (0..d.len()).map(|i| (d.session_of[i], d.items[i]));
        Self::from_edges(d.sessions.len(), d.n_items, edges)
    }

    /// Builds the graph from `(session, item)` edges; ids must be in range.
    pub fn from_edges(
        n_sessions: usize,
        n_items: usize,
        edges: impl Iterator<Item = (u32, u32)> + Clone,
    ) -> Self {
        let n = n_sessions + n_items;
        let mut deg = vec![0usize; n + 1];
        for (s, i) in edges.clone() {
            deg[s as usize + 1] += 1;
            deg[n_sessions + i as usize + 1] += 1;
        }
        for v in 0..n {
            deg[v + 1] += deg[v];
        }
        let offsets = deg;
        let mut cursor = offsets.clone();
        let mut neighbours = vec![0u32; offsets[n]];
        for (s, i) in edges {
            let (a, b) = (s as usize, n_sessions + i as usize);
            neighbours[cursor[a]] = b as u32;
            cursor[a] += 1;
            neighbours[cursor[b]] = a as u32;
            cursor[b] += 1;
        }
        Self {
            n_sessions,
            n_items,
            offsets,
            neighbours,
        }
    }

    pub fn n_nodes(&self) -> usize {
        self.n_sessions + self.n_items
    }

    pub fn n_edges(&self) -> usize {
        self.neighbours.len() / 2
    }

    pub fn degree(&self, v: usize) -> usize {
        self.offsets[v + 1] - self.offsets[v]
    }

    pub fn neighbours_of(&self, v: usize) -> &[u32] {
        &self.neighbours[self.offsets[v]..self.offsets[v + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::{IsconData, ProtocolConfig, tests::toy_log};

    #[test]
    fn multigraph_by_hand() {
        // Sessions 0: {item 0, item 1, item 0}, 1: {item 1}.
        let g = Bipartite::from_edges(2, 2, [(0, 0), (0, 1), (0, 0), (1, 1)].into_iter());
        assert_eq!((g.n_nodes(), g.n_edges()), (4, 4));
        assert_eq!(g.neighbours_of(0), &[2, 3, 2]);
        assert_eq!(g.neighbours_of(1), &[3]);
        assert_eq!(g.neighbours_of(2), &[0, 0]);
        assert_eq!(g.neighbours_of(3), &[0, 1]);
        assert_eq!(g.degree(2), 2);
    }

    #[test]
    fn graph_holds_only_the_first_ninety_percent() {
        let d = IsconData::new(&toy_log(), &ProtocolConfig::default()).unwrap();
        let g = Bipartite::from_data(&d);
        // 10 interactions, the last (test) one is not an edge.
        assert_eq!(g.n_edges(), 9);
        assert_eq!(g.degree(2), 4); // session 2 has 5 interactions, 4 in the graph
    }
}
