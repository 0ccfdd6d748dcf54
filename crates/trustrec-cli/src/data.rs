//! Loading, filtering and splitting the data a run names.

use std::sync::Arc;

use anyhow::Context;
use trustrec_data::{ColumnMap, Format, InteractionLog, LoadOptions, Loaded, Split, SplitKind};
use trustrec_models::{ItemFeatures, ModelConfig, TextVectors};

use crate::config::DataConfig;

/// The loaded source plus the (filtered) log and its split.
pub struct Prepared {
    pub loaded: Loaded,
    pub log: InteractionLog,
    pub split: Split,
}

pub fn load(cfg: &DataConfig) -> anyhow::Result<Loaded> {
    let format: Format = cfg.format.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut opts = LoadOptions {
        items: cfg.items.clone(),
        ..LoadOptions::default()
    };
    if let Some([user, item, time]) = &cfg.columns {
        opts.csv_columns = Some(ColumnMap {
            user: user.clone(),
            item: item.clone(),
            time: (!time.is_empty()).then(|| time.clone()),
        });
    }
    trustrec_data::load(&cfg.path, format, &opts)
        .with_context(|| format!("loading {}", cfg.path.display()))
}

pub fn prepare(cfg: &DataConfig) -> anyhow::Result<Prepared> {
    let loaded = load(cfg)?;
    let log = if cfg.min_user > 0 || cfg.min_item > 0 {
        trustrec_data::filter_k_core(&loaded.log, cfg.min_user, cfg.min_item)
    } else {
        loaded.log.clone()
    };
    anyhow::ensure!(
        !log.is_empty(),
        "no interactions left in {} after filtering",
        cfg.path.display()
    );
    let kind: SplitKind = cfg.split.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let split = trustrec_data::split(&log, &kind)
        .with_context(|| format!("splitting {}", cfg.path.display()))?;
    Ok(Prepared { loaded, log, split })
}

impl Prepared {
    /// Item metadata for the (filtered) log's items, when `model` reads it; a clear error when
    /// it needs metadata the data does not have.
    pub fn features(&self, model: &ModelConfig) -> anyhow::Result<Option<Arc<ItemFeatures>>> {
        if model.name.needs_text() {
            return self.text_features().map(Some);
        }
        if !model.name.needs_features() {
            return Ok(None);
        }
        let catalog = self
            .loaded
            .catalog
            .reindex(&self.loaded.log.item_ids, &self.log.item_ids);
        let feats = ItemFeatures::from_catalog(
            &catalog,
            self.log.n_items().max(self.split.n_items()),
            &model.item_fields,
            model.category_field.as_deref(),
            model.category_rule,
        )
        .with_context(|| format!("model {}", model.name))?;
        let feats = if model.popularity_field {
            // Training counts only: validation and test targets must not leak into features.
            feats.with_popularity(&self.split.train_item_counts())
        } else {
            feats
        };
        Ok(Some(Arc::new(feats)))
    }

    /// all-MiniLM-L6-v2 vectors of every item's title ("" when it has none), through the disk
    /// cache `$TRUSTREC_MODELS/embeddings/all-MiniLM-L6-v2.bin`.
    fn text_features(&self) -> anyhow::Result<Arc<ItemFeatures>> {
        let n = self.log.n_items().max(self.split.n_items());
        let titles: Vec<String> = (0..n)
            .map(|i| self.title(i as u32).unwrap_or("").to_string())
            .collect();
        anyhow::ensure!(
            titles.iter().any(|t| !t.is_empty()),
            "model unisrec needs item texts, but no item of this data has a title"
        );
        let root = trustrec_text::models_dir();
        let dir = root.join("all-MiniLM-L6-v2");
        let enc = trustrec_text::SentenceEncoder::load(&dir, &trustrec_models::device(trustrec_models::DEFAULT_BACKEND)?)
            .with_context(|| "the text encoder is missing: run ../shared/scripts/get-models.sh (or set TRUSTREC_MODELS)")?;
        let mut cache = trustrec_text::cache::EmbeddingCache::open(
            &root.join("embeddings/all-MiniLM-L6-v2.bin"),
            enc.dim(),
        )?;
        let data = enc.encode_cached(&titles, &mut cache)?;
        let text = TextVectors {
            dim: enc.dim(),
            data,
        };
        Ok(Arc::new(ItemFeatures::text_only(n, text)?))
    }

    /// Title of a (filtered-log) dense item id, when the catalog has one.
    pub fn title(&self, item: u32) -> Option<&str> {
        let original = self.log.item_ids.original(item);
        let id = self.loaded.log.item_ids.get(original)?;
        self.loaded.catalog.titles.get(id as usize)?.as_deref()
    }
}
