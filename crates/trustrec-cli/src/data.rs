//! Loading, filtering and splitting the data a run names.

use std::sync::Arc;

use anyhow::Context;
use trustrec_data::{ColumnMap, Format, InteractionLog, LoadOptions, Loaded, Split, SplitKind};
use trustrec_models::{ItemFeatures, ModelConfig};

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
        Ok(Some(Arc::new(feats)))
    }

    /// Title of a (filtered-log) dense item id, when the catalog has one.
    pub fn title(&self, item: u32) -> Option<&str> {
        let original = self.log.item_ids.original(item);
        let id = self.loaded.log.item_ids.get(original)?;
        self.loaded.catalog.titles.get(id as usize)?.as_deref()
    }
}
