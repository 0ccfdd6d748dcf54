//! Item metadata in the shape the metadata-aware models (M2TRec, HierSRec) read: per attribute
//! field a padded value-index matrix with mean-pooling weights, and each item's category labels.
//!
//! Value index 0 of every field means "no value", so an item without metadata still has an
//! embedding (the learned "unknown" row) and nothing here grows a parameter per item.

use std::fmt;
use std::str::FromStr;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use trustrec_data::{AttributeField, ItemCatalog};

/// How an item's single primary category is taken from a multi-valued category field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CategoryRule {
    /// The first value as listed in the metadata file.
    First,
    /// The value shared by the most items (the broadest one, e.g. a top-level category).
    Commonest,
    /// The value shared by the fewest items (the most specific one; ties: smaller value id).
    /// The default: it partitions the catalogue finely, which category candidates need.
    #[default]
    Rarest,
}

impl FromStr for CategoryRule {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "first" => Ok(Self::First),
            "commonest" => Ok(Self::Commonest),
            "rarest" => Ok(Self::Rarest),
            o => anyhow::bail!("unknown category rule '{o}' (expected first, commonest or rarest)"),
        }
    }
}

impl fmt::Display for CategoryRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::First => "first",
            Self::Commonest => "commonest",
            Self::Rarest => "rarest",
        })
    }
}

/// Name of the field [`ItemFeatures::with_popularity`] adds.
pub const POPULARITY_FIELD: &str = "popularity";

/// One attribute field as padded index rows: item `i` reads `idx[i*width..(i+1)*width]`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldIndex {
    pub name: String,
    /// Embedding rows: the field's values + 1 (row 0 = no value).
    pub n_values: usize,
    pub width: usize,
    /// `[n_items * width]` value index + 1, 0 at padding (and the one slot of items without
    /// values).
    pub idx: Vec<i64>,
    /// `[n_items * width]` mean-pooling weights: 1 / (number of values) at real slots.
    pub weight: Vec<f32>,
}

/// Item metadata for the metadata-aware models.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemFeatures {
    pub n_items: usize,
    pub fields: Vec<FieldIndex>,
    /// Name of the field categories come from.
    pub category_field: String,
    /// Primary category of every item (`n_categories - 1` = "no category").
    pub category: Vec<u32>,
    pub n_categories: usize,
    /// All values of the category field per item (the sub-category multi-labels), offsets into
    /// `sub_flat` (`n_items + 1` entries); value ids are 0-based.
    pub sub_offsets: Vec<u32>,
    pub sub_flat: Vec<u32>,
    pub n_sub: usize,
    /// Fixed sentence vectors of the items' texts, for the text-based models (UniSRec).
    pub text: Option<Arc<TextVectors>>,
}

/// Sentence vectors of every item's text, row-major `[n_items, dim]` (an item without text has
/// the vector of the empty string).
#[derive(Clone, Debug, PartialEq)]
pub struct TextVectors {
    pub dim: usize,
    pub data: Vec<f32>,
}

impl ItemFeatures {
    /// Features that carry only text vectors (no attribute fields; one dummy category).
    pub fn text_only(n_items: usize, text: TextVectors) -> anyhow::Result<Self> {
        anyhow::ensure!(
            text.dim > 0 && text.data.len() == n_items * text.dim,
            "{} text floats for {n_items} items of width {}",
            text.data.len(),
            text.dim
        );
        Ok(Self {
            n_items,
            fields: Vec::new(),
            category_field: String::new(),
            category: vec![0; n_items],
            n_categories: 1,
            sub_offsets: vec![0; n_items + 1],
            sub_flat: Vec::new(),
            n_sub: 1,
            text: Some(Arc::new(text)),
        })
    }

    /// Builds features for `n_items` items from `catalog` (keyed by the same dense ids), using
    /// the fields named in `fields` (all when empty) and categories from `category_field`
    /// (default: a field named `class`, `category` or `categories`, else the first used field).
    pub fn from_catalog(
        catalog: &ItemCatalog,
        n_items: usize,
        fields: &[String],
        category_field: Option<&str>,
        rule: CategoryRule,
    ) -> anyhow::Result<Self> {
        let known: Vec<&str> = catalog.fields.iter().map(|f| f.name.as_str()).collect();
        anyhow::ensure!(
            !known.is_empty(),
            "this model needs item metadata (categorical attributes), but the data has none: \
             pass --items PATH (a RecBole .item file, an S3-Rec item2attributes.json or an LLMRank \
             .item file) and --item-fields"
        );
        let chosen: Vec<&AttributeField> = if fields.is_empty() {
            catalog.fields.iter().collect()
        } else {
            fields
                .iter()
                .map(|name| {
                    catalog
                        .fields
                        .iter()
                        .find(|f| &f.name == name)
                        .ok_or_else(|| {
                            anyhow::anyhow!(
                                "unknown item field '{name}' (the metadata has: {})",
                                known.join(", ")
                            )
                        })
                })
                .collect::<anyhow::Result<_>>()?
        };
        let cat_name = match category_field {
            Some(n) => n.to_string(),
            None => chosen
                .iter()
                .find(|f| ["class", "category", "categories"].contains(&f.name.as_str()))
                .unwrap_or(&chosen[0])
                .name
                .clone(),
        };
        let cat = catalog
            .fields
            .iter()
            .find(|f| f.name == cat_name)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown category field '{cat_name}' (the metadata has: {})",
                    known.join(", ")
                )
            })?;
        let (category, n_categories) = primary_categories(cat, n_items, rule);
        let mut sub_offsets = vec![0u32];
        let mut sub_flat = Vec::new();
        for i in 0..n_items {
            sub_flat.extend_from_slice(cat.values_of(i));
            sub_offsets.push(sub_flat.len() as u32);
        }
        Ok(Self {
            n_items,
            fields: chosen.iter().map(|f| field_index(f, n_items)).collect(),
            category_field: cat_name,
            category,
            n_categories,
            sub_offsets,
            sub_flat,
            n_sub: cat.values.len().max(1),
            text: None,
        })
    }

    /// (choice) Adds a `popularity` field: each item's training count in buckets (0-4 exactly,
    /// then one per power of two: 5-7, 8-15, ...). Items that share all their metadata otherwise
    /// share one vector and tie exactly; with this field they part by how often they were
    /// bought. The table has one row per bucket, so the parameter count still does not grow
    /// with the catalogue, and a cold item (count 0) is scored like any other.
    pub fn with_popularity(mut self, counts: &[u32]) -> Self {
        let bucket = |c: u32| if c <= 4 { c } else { 3 + c.ilog2() };
        let idx: Vec<i64> = (0..self.n_items)
            .map(|i| bucket(counts.get(i).copied().unwrap_or(0)) as i64 + 1)
            .collect();
        let n_values = idx.iter().copied().max().unwrap_or(1) as usize + 1;
        self.fields.push(FieldIndex {
            name: POPULARITY_FIELD.into(),
            n_values,
            width: 1,
            weight: vec![1.0; self.n_items],
            idx,
        });
        self
    }

    /// Sub-category value ids of `item`.
    pub fn subs_of(&self, item: usize) -> &[u32] {
        &self.sub_flat[self.sub_offsets[item] as usize..self.sub_offsets[item + 1] as usize]
    }

    /// Items of every category, each list most popular first by `counts` (ties: smaller id).
    pub fn items_by_category(&self, counts: &[u32]) -> Vec<Vec<u32>> {
        let mut out = vec![Vec::new(); self.n_categories];
        for (i, &c) in self.category.iter().enumerate() {
            out[c as usize].push(i as u32);
        }
        for list in &mut out {
            list.sort_by_key(popularity_key(counts));
        }
        out
    }
}

/// Sort key putting items most popular first by `counts` (ties: smaller id): the order of each
/// category's items and of HierSRec's popular head, which must agree.
pub(crate) fn popularity_key(
    counts: &[u32],
) -> impl Fn(&u32) -> (std::cmp::Reverse<Option<u32>>, u32) + Copy + '_ {
    move |&i| (std::cmp::Reverse(counts.get(i as usize).copied()), i)
}

fn field_index(f: &AttributeField, n_items: usize) -> FieldIndex {
    let width = (0..n_items)
        .map(|i| f.values_of(i).len())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut idx = vec![0i64; n_items * width];
    let mut weight = vec![0f32; n_items * width];
    for i in 0..n_items {
        let vals = f.values_of(i);
        let row = i * width;
        if vals.is_empty() {
            weight[row] = 1.0;
            continue;
        }
        for (j, &v) in vals.iter().enumerate() {
            idx[row + j] = v as i64 + 1;
            weight[row + j] = 1.0 / vals.len() as f32;
        }
    }
    FieldIndex {
        name: f.name.clone(),
        n_values: f.values.len() + 1,
        width,
        idx,
        weight,
    }
}

/// Primary category per item under `rule`; items without a value get the extra last category.
fn primary_categories(f: &AttributeField, n_items: usize, rule: CategoryRule) -> (Vec<u32>, usize) {
    let n_values = f.values.len();
    let mut freq = vec![0usize; n_values];
    for i in 0..n_items {
        for &v in f.values_of(i) {
            freq[v as usize] += 1;
        }
    }
    let none = n_values as u32;
    let cats = (0..n_items)
        .map(|i| {
            let vals = f.values_of(i);
            let pick = match rule {
                CategoryRule::First => vals.first().copied(),
                CategoryRule::Commonest => vals
                    .iter()
                    .copied()
                    .min_by_key(|&v| (std::cmp::Reverse(freq[v as usize]), v)),
                CategoryRule::Rarest => vals.iter().copied().min_by_key(|&v| (freq[v as usize], v)),
            };
            pick.unwrap_or(none)
        })
        .collect();
    (cats, n_values + 1)
}
