//! Dense `u32` ids for original string ids, so the hot data is plain integer columns.

use std::collections::HashMap;

/// Bidirectional map between dense ids `0..len` (in insertion order) and original ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdMap {
    to_dense: HashMap<Box<str>, u32>,
    originals: Vec<Box<str>>,
}

impl IdMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.originals.len()
    }

    /// True when no id was inserted.
    pub fn is_empty(&self) -> bool {
        self.originals.is_empty()
    }

    /// Original id of dense `id`. Panics if `id >= len()` (a programming error, not bad input).
    pub fn original(&self, id: u32) -> &str {
        &self.originals[id as usize]
    }

    /// Dense id of `original`, if known.
    pub fn get(&self, original: &str) -> Option<u32> {
        self.to_dense.get(original).copied()
    }

    /// Dense id of `original`, assigning the next free id on first sight.
    pub fn get_or_insert(&mut self, original: &str) -> u32 {
        if let Some(&id) = self.to_dense.get(original) {
            return id;
        }
        let id = u32::try_from(self.originals.len()).expect("more than u32::MAX ids");
        self.originals.push(original.into());
        self.to_dense.insert(original.into(), id);
        id
    }

    /// Original ids in dense-id order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.originals.iter().map(|s| &**s)
    }
}

#[cfg(test)]
mod tests {
    use super::IdMap;

    #[test]
    fn dense_ids_in_insertion_order() {
        let mut m = IdMap::new();
        assert!(m.is_empty());
        assert_eq!(m.get_or_insert("b"), 0);
        assert_eq!(m.get_or_insert("a"), 1);
        assert_eq!(m.get_or_insert("b"), 0);
        assert_eq!((m.len(), m.get("a"), m.get("z")), (2, Some(1), None));
        assert_eq!(m.original(1), "a");
        assert_eq!(m.iter().collect::<Vec<_>>(), ["b", "a"]);
    }
}
