//! Embed health — which origins use a widget — counted in memory and
//! written in batches, so neither widget loads nor floods of refused
//! origins cost a database write per request.

use std::collections::HashMap;
use std::sync::Mutex;

use witzo_store::domain::WidgetId;
use witzo_store::{Store, StoreResult};

/// Distinct (widget, origin) pairs held between flushes at most; beyond
/// it new pairs wait for the next flush (known pairs keep counting).
const MAX_PENDING: usize = 10_000;

#[derive(Default)]
pub struct EmbedHealth {
    pending: Mutex<HashMap<(WidgetId, String, bool), i64>>,
}

impl EmbedHealth {
    /// Counts one use of `widget` by `origin`.
    pub fn record(&self, widget: WidgetId, origin: &str, allowed: bool) {
        let origin: String = origin.chars().take(200).collect::<String>().to_lowercase();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let key = (widget, origin, allowed);
        if pending.len() >= MAX_PENDING && !pending.contains_key(&key) {
            return;
        }
        *pending.entry(key).or_default() += 1;
    }

    /// Writes what was counted since the last flush.
    pub async fn flush(&self, store: &Store) -> StoreResult<()> {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        let now = witzo_store::now();
        for ((widget, origin, allowed), hits) in pending {
            store
                .record_embed_origin(widget, &origin, allowed, hits, now)
                .await?;
        }
        Ok(())
    }
}
