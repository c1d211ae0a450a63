//! Widgets looked up by public key, cached in memory. Every lookup first
//! reads the widget's `updated_at` by key (one indexed read, begun after
//! the lookup and shared with the lookups waiting with it), so a
//! regenerated or deleted key is refused at once — on every instance — and
//! an edited widget is reloaded; the cache only saves loading and parsing.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use witzo_store::domain::{AllowedDomain, WidgetKey};
use witzo_store::widgets::Widget;
use witzo_store::{Store, StoreResult};

use super::settings::WidgetSettings;

/// A widget ready for the public API.
#[derive(Debug)]
pub struct LiveWidget {
    pub widget: Widget,
    pub settings: WidgetSettings,
    pub domains: Vec<AllowedDomain>,
    pub logo_hash: Option<String>,
}

impl LiveWidget {
    /// Whether a page of this origin (scheme and host) may use the widget.
    pub fn allows_origin(&self, https: bool, host: &str) -> bool {
        self.domains.iter().any(|d| d.allows(https, host))
    }
}

/// Beyond this many cached widgets the cache starts over.
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct WidgetCache {
    entries: RwLock<HashMap<WidgetKey, Arc<LiveWidget>>>,
}

impl WidgetCache {
    /// The widget a key names as it is now, with the version of its
    /// knowledge (read in the same query).
    pub async fn get(&self, store: &Store, key: &WidgetKey) -> StoreResult<Option<Current>> {
        let Some(stamp) = store.widget_stamp(key).await? else {
            self.write().remove(key);
            return Ok(None);
        };
        let current = |live: Arc<LiveWidget>| Current {
            live,
            knowledge_version: stamp.knowledge_version,
        };
        if let Some(live) = self
            .read()
            .get(key)
            .filter(|live| live.widget.updated_at == stamp.updated_at)
        {
            return Ok(Some(current(live.clone())));
        }
        let Some(widget) = store.widget_by_key(key).await? else {
            return Ok(None);
        };
        let live = Arc::new(LiveWidget {
            settings: WidgetSettings::from_stored(&widget.settings),
            domains: widget
                .domains()
                .filter_map(|d| AllowedDomain::parse(d).ok())
                .collect(),
            logo_hash: store.widget_logo_hash(widget.id).await?,
            widget,
        });
        let mut entries = self.write();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key.clone(), live.clone());
        Ok(Some(current(live)))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<WidgetKey, Arc<LiveWidget>>> {
        self.entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<WidgetKey, Arc<LiveWidget>>> {
        self.entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A widget as this request found it.
#[derive(Debug, Clone)]
pub struct Current {
    pub live: Arc<LiveWidget>,
    /// The version of its knowledge (Q&A pairs included).
    pub knowledge_version: i64,
}

/// A widget verified for this request.
#[derive(Debug, Clone)]
pub struct PublicWidget {
    pub live: Arc<LiveWidget>,
    /// The version of its knowledge when the request came in.
    pub knowledge_version: i64,
    /// The calling page's origin, or `preview`.
    pub origin: String,
    pub preview: bool,
}
