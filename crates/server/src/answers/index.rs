//! Per-widget in-memory indexes over the knowledge in the database, rebuilt
//! when the widget's knowledge version moves, bounded in number (least
//! recently used out).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use witzo_retrieval::chunk::chunk;
use witzo_retrieval::extractive::Passage;
use witzo_retrieval::lexical::LexicalIndex;
use witzo_store::domain::WidgetId;
use witzo_store::{Store, StoreResult};

/// One chunk of knowledge and where it came from.
struct ChunkMeta {
    url: String,
    title: String,
    heading_path: Vec<String>,
    text: String,
}

/// A widget's knowledge at one version, ready to search.
pub struct KnowledgeIndex {
    pub version: i64,
    chunks: Vec<ChunkMeta>,
    lexical: LexicalIndex,
}

/// Passages a question retrieves at most, and from one page at most.
const TOP_K: usize = 6;
const PER_PAGE: usize = 2;
/// Passages scoring at or below this are not considered. BM25 scores are
/// not comparable across corpora (a one-page widget gives every term a
/// tiny IDF), so for now any match counts and relevance is decided by the
/// extractive answer's term coverage; a calibrated threshold comes with
/// the hybrid retrieval work.
pub const MIN_SCORE: f32 = 0.0;

impl KnowledgeIndex {
    fn build(version: i64, pages: Vec<witzo_store::sources::KnowledgeText>) -> Self {
        let mut chunks = Vec::new();
        for page in pages {
            for piece in chunk(&page.title, &page.text) {
                chunks.push(ChunkMeta {
                    url: page.url.clone(),
                    title: page.title.clone(),
                    heading_path: piece.heading_path,
                    text: piece.text,
                });
            }
        }
        let docs = chunks.iter().enumerate().map(|(i, c)| {
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            (
                id,
                format!("{} {} {}", c.title, c.heading_path.join(" "), c.text),
            )
        });
        let lexical = LexicalIndex::build(docs);
        Self {
            version,
            chunks,
            lexical,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// The passages that best match `question`, at most two per page.
    pub fn search(&self, question: &str) -> Vec<Passage> {
        let mut per_page: HashMap<&str, usize> = HashMap::new();
        let mut passages = Vec::new();
        for (id, score) in self.lexical.search(question, TOP_K * 4) {
            if score <= MIN_SCORE || passages.len() == TOP_K {
                break;
            }
            let Some(chunk) = self.chunks.get(id as usize) else {
                continue;
            };
            let seen = per_page.entry(chunk.url.as_str()).or_default();
            if *seen == PER_PAGE {
                continue;
            }
            *seen += 1;
            passages.push(Passage {
                title: chunk.title.clone(),
                url: Some(chunk.url.clone()).filter(|u| u.starts_with("http")),
                heading_path: chunk.heading_path.clone(),
                text: chunk.text.clone(),
                score,
            });
        }
        passages
    }
}

/// Most widgets whose index is kept in memory.
const MAX_WIDGETS: usize = 64;

#[derive(Default)]
pub struct IndexCache {
    entries: Mutex<HashMap<WidgetId, (Arc<KnowledgeIndex>, Instant)>>,
}

impl IndexCache {
    /// The widget's index at its current knowledge version (built when the
    /// version moved; the previous one keeps serving until then).
    pub async fn get(&self, store: &Store, widget: WidgetId) -> StoreResult<Arc<KnowledgeIndex>> {
        let version = store.knowledge_version(widget).await?;
        if let Some(index) = self.lock().get_mut(&widget).and_then(|(index, used)| {
            (index.version == version).then(|| {
                *used = Instant::now();
                index.clone()
            })
        }) {
            return Ok(index);
        }
        let pages = store.knowledge_of(widget).await?;
        let built = tokio::task::spawn_blocking(move || KnowledgeIndex::build(version, pages))
            .await
            .map_err(|e| witzo_store::StoreError::Io(std::io::Error::other(e.to_string())))?;
        let index = Arc::new(built);
        let mut entries = self.lock();
        if entries.len() >= MAX_WIDGETS
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(id, _)| *id)
        {
            entries.remove(&oldest);
        }
        entries.insert(widget, (index.clone(), Instant::now()));
        Ok(index)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<WidgetId, (Arc<KnowledgeIndex>, Instant)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
