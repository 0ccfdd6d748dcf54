//! Item metadata keyed by the log's dense item ids, stored as flat offset buffers.
//!
//! The catalog shares the log's item [`IdMap`]: items that appear only in a metadata file get
//! ids appended after all log items, so `titles.len() == log.n_items()` always holds and a model
//! can index both with the same id.

use crate::IdMap;

/// Titles and categorical attributes per dense item id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItemCatalog {
    /// Title per dense item id; `None` for items without metadata.
    pub titles: Vec<Option<String>>,
    /// Categorical attribute fields (e.g. genres, brand).
    pub fields: Vec<AttributeField>,
}

/// One multi-valued categorical attribute: values of item `i` are `flat[offsets[i]..offsets[i+1]]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AttributeField {
    pub name: String,
    /// Dense value id <-> original value.
    pub values: IdMap,
    /// `n_items + 1` offsets into `flat`.
    pub offsets: Vec<u32>,
    pub flat: Vec<u32>,
}

impl AttributeField {
    /// Value ids of dense item `item` (empty when unknown or out of range).
    pub fn values_of(&self, item: usize) -> &[u32] {
        match (self.offsets.get(item), self.offsets.get(item + 1)) {
            (Some(&a), Some(&b)) => &self.flat[a as usize..b as usize],
            _ => &[],
        }
    }
}

impl ItemCatalog {
    /// A catalog with no metadata for `n_items` items.
    pub fn empty(n_items: usize) -> Self {
        ItemCatalog {
            titles: vec![None; n_items],
            fields: Vec::new(),
        }
    }

    /// Number of items covered.
    pub fn len(&self) -> usize {
        self.titles.len()
    }

    /// True when no items are covered.
    pub fn is_empty(&self) -> bool {
        self.titles.is_empty()
    }

    /// This catalog grown to `n_items` items plus `other`'s titles and fields (both keyed by
    /// the same dense ids); a field of `other` replaces a same-named one.
    pub(crate) fn merge(mut self, other: ItemCatalog, n_items: usize) -> ItemCatalog {
        self.titles.resize(n_items, None);
        for (t, o) in self.titles.iter_mut().zip(other.titles) {
            if o.is_some() {
                *t = o;
            }
        }
        self.fields
            .retain(|f| other.fields.iter().all(|o| o.name != f.name));
        for f in &mut self.fields {
            let last = f.offsets.last().copied().unwrap_or(0);
            f.offsets.resize(n_items + 1, last);
        }
        for mut f in other.fields {
            let last = f.offsets.last().copied().unwrap_or(0);
            f.offsets.resize(n_items + 1, last);
            self.fields.push(f);
        }
        self
    }

    /// Re-keys this catalog (keyed by `from`) to the ids of `to`, e.g. after a filter
    /// re-compacted the log's item ids; items unknown to `from` get no metadata.
    pub fn reindex(&self, from: &IdMap, to: &IdMap) -> ItemCatalog {
        let old: Vec<Option<usize>> = to.iter().map(|o| from.get(o).map(|i| i as usize)).collect();
        let titles = old
            .iter()
            .map(|o| o.and_then(|i| self.titles.get(i).cloned().flatten()))
            .collect();
        let fields = self
            .fields
            .iter()
            .map(|f| {
                let mut b = FieldBuilder::new(&f.name);
                b.values = f.values.clone();
                for (new, o) in old.iter().enumerate() {
                    if let Some(i) = *o {
                        b.set_ids(new as u32, f.values_of(i));
                    }
                }
                b.finish(to.len())
            })
            .collect();
        ItemCatalog { titles, fields }
    }
}

/// Collects attribute values in any item order, then lays them out by item id.
#[derive(Debug)]
pub(crate) struct FieldBuilder {
    name: String,
    pub(crate) values: IdMap,
    spans: Vec<(u32, u32)>,
    staging: Vec<u32>,
}

impl FieldBuilder {
    pub(crate) fn new(name: &str) -> Self {
        FieldBuilder {
            name: name.to_string(),
            values: IdMap::new(),
            spans: Vec::new(),
            staging: Vec::new(),
        }
    }

    /// Sets the values of `item` (a later call for the same item replaces them).
    pub(crate) fn set<'a>(&mut self, item: u32, vals: impl Iterator<Item = &'a str>) {
        let start = self.staging.len() as u32;
        for v in vals {
            let id = self.values.get_or_insert(v);
            self.staging.push(id);
        }
        self.set_span(item, start);
    }

    fn set_ids(&mut self, item: u32, ids: &[u32]) {
        let start = self.staging.len() as u32;
        self.staging.extend_from_slice(ids);
        self.set_span(item, start);
    }

    fn set_span(&mut self, item: u32, start: u32) {
        let i = item as usize;
        if self.spans.len() <= i {
            self.spans.resize(i + 1, (0, 0));
        }
        self.spans[i] = (start, self.staging.len() as u32 - start);
    }

    pub(crate) fn finish(mut self, n_items: usize) -> AttributeField {
        self.spans.resize(n_items, (0, 0));
        let mut offsets = Vec::with_capacity(n_items + 1);
        let mut flat = Vec::new();
        offsets.push(0);
        for &(s, n) in &self.spans {
            flat.extend_from_slice(&self.staging[s as usize..(s + n) as usize]);
            offsets.push(flat.len() as u32);
        }
        AttributeField {
            name: self.name,
            values: self.values,
            offsets,
            flat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FieldBuilder;

    #[test]
    fn builder_lays_out_by_item_and_replaces_duplicates() {
        let mut b = FieldBuilder::new("g");
        b.set(2, ["x", "y"].into_iter());
        b.set(0, ["y"].into_iter());
        b.set(2, ["z"].into_iter());
        let f = b.finish(4);
        assert_eq!(f.offsets, [0, 1, 1, 2, 2]);
        assert_eq!(f.values_of(2), [f.values.get("z").unwrap()]);
        assert!(f.values_of(3).is_empty() && f.values_of(9).is_empty());
    }
}
