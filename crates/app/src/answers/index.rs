//! Per-widget in-memory indexes over the knowledge in the database (lexical
//! BM25 + vectors), rebuilt when the widget's knowledge version moves,
//! bounded in number and in bytes (least recently used out).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use witzo_retrieval::chunk::search_text;
use witzo_retrieval::extractive::Passage;
use witzo_retrieval::facts::fact_words;
use witzo_retrieval::lexical::{LexicalIndex, tokens};
use witzo_retrieval::relevance::TermLookup;
use witzo_retrieval::{Fusion, QueryTerms, VectorIndex, fuse, vector};
use witzo_store::domain::WidgetId;
use witzo_store::sources::KnowledgeChunk;
use witzo_store::{Store, StoreError, StoreResult};

use super::embedding::{Calibration, Embeddings};

/// One chunk of knowledge and where it came from.
struct ChunkMeta {
    page_id: i64,
    url: String,
    title: String,
    heading_path: Vec<String>,
    text: String,
    /// The analysed words naming the kinds of fact its indexed text holds
    /// (with the lexical index's terms for it, its `term_set`: analysed
    /// once when the index is built, not per question).
    facts: Box<[Box<str>]>,
}

impl ChunkMeta {
    /// What BM25 indexes: title, headings, text, and words naming the
    /// kinds of fact the text holds ("phone" for a phone number).
    fn indexed_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.title,
            self.heading_path.join(" "),
            self.text,
            fact_words(&self.text).join(" ")
        )
    }
}

/// One chunk's terms as the relevance gate asks about them
/// ([`term_set`](witzo_retrieval::relevance::term_set) of its indexed text): the terms the lexical index holds
/// for it, and the words naming the kinds of fact its indexed text holds.
struct ChunkTerms<'a> {
    lexical: &'a LexicalIndex,
    position: usize,
    facts: &'a [Box<str>],
}

impl TermLookup for ChunkTerms<'_> {
    fn has(&self, term: &str) -> bool {
        self.lexical.term_number(term).is_some_and(|number| {
            self.lexical
                .document_terms(self.position)
                .binary_search(&number)
                .is_ok()
        }) || self.facts.iter().any(|fact| &**fact == term)
    }

    fn any_term(&self, matches: &mut dyn FnMut(&str) -> bool) -> bool {
        self.lexical
            .document_terms(self.position)
            .iter()
            .any(|&number| self.lexical.term_name(number).is_some_and(&mut *matches))
            || self.facts.iter().any(|fact| matches(fact))
    }
}

/// A widget's knowledge at one version, ready to search.
pub struct KnowledgeIndex {
    pub version: i64,
    chunks: Vec<ChunkMeta>,
    lexical: LexicalIndex,
    vectors: VectorIndex,
    calibration: Calibration,
}

/// What retrieval found for a question.
#[derive(Debug, Default)]
pub struct Retrieved {
    /// Best first; empty when nothing is relevant enough.
    pub passages: Vec<Passage>,
    /// Each passage's cosine similarity with the question, when known.
    pub similarities: Vec<Option<f32>>,
    /// The question's informative terms, weighted by rarity here.
    pub terms: QueryTerms,
    /// How well the best passage covers the question: its weighted term
    /// coverage and its cosine similarity (the relevance gate's inputs).
    pub coverage: f32,
    pub similarity: Option<f32>,
}

/// Passages a question retrieves at most, and from one page at most.
const TOP_K: usize = 6;
const PER_PAGE: usize = 2;
/// Candidates each retriever contributes to the fusion.
const CANDIDATES: usize = 100;

impl KnowledgeIndex {
    /// Builds the index of one version from its chunks and their vectors
    /// (same order; an empty vector stays out of vector search).
    pub fn build(
        version: i64,
        rows: Vec<KnowledgeChunk>,
        vectors: Vec<Vec<f32>>,
        calibration: Calibration,
    ) -> Self {
        let dims = vectors.iter().map(Vec::len).max().unwrap_or(0);
        let mut index = VectorIndex::with_capacity(dims, vectors.len());
        for vector in &vectors {
            index.push(vector);
        }
        let mut docs = Vec::with_capacity(rows.len());
        let chunks: Vec<ChunkMeta> = rows
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                let mut chunk = ChunkMeta {
                    page_id: row.page_id,
                    url: row.url,
                    title: row.title,
                    heading_path: row
                        .heading_path
                        .lines()
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    text: row.text,
                    facts: Box::default(),
                };
                let indexed = chunk.indexed_text();
                chunk.facts = tokens(&fact_words(&indexed).join(" "))
                    .into_iter()
                    .map(String::into_boxed_str)
                    .collect();
                docs.push((u32::try_from(i).unwrap_or(u32::MAX), indexed));
                chunk
            })
            .collect();
        let lexical = LexicalIndex::build(docs);
        Self {
            version,
            chunks,
            lexical,
            vectors: index,
            calibration,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Memory held, roughly.
    pub fn heap_bytes(&self) -> usize {
        self.lexical.heap_bytes()
            + self.vectors.heap_bytes()
            + self
                .chunks
                .iter()
                .map(|c| c.url.len() + c.title.len() + c.text.len() + 24 * c.facts.len() + 64)
                .sum::<usize>()
    }

    /// The question's informative terms, each weighted by its rarity in
    /// this knowledge (a term no chunk holds weighs the most).
    pub fn query_terms(&self, question: &str) -> QueryTerms {
        self.lexical.query_terms(question)
    }

    /// The passages that best answer `question` (lexical and vector
    /// candidates fused, at most two per page), or none when the knowledge
    /// does not cover it: no passage among the best covers enough of the
    /// question's weighted terms, and none is similar enough in meaning
    /// (the embedder's calibrated thresholds).
    pub fn search(&self, question: &str, embedded: Option<&[f32]>) -> Retrieved {
        let terms = self.query_terms(question);
        // Words the knowledge never uses are searched by their synonyms too.
        let query = terms
            .synonyms()
            .fold(question.to_owned(), |query, synonym| query + " " + synonym);
        let lexical: Vec<(u32, f32)> = self
            .lexical
            .search(&query, CANDIDATES)
            .into_iter()
            .filter(|(_, score)| *score > 0.0)
            .collect();
        let dense = embedded
            .map(|q| self.vectors.search(q, CANDIDATES))
            .unwrap_or_default();
        let mut per_page: HashMap<i64, usize> = HashMap::new();
        let mut retrieved = Retrieved {
            similarity: dense.first().map(|&(_, s)| s),
            ..Retrieved::default()
        };
        let fusion = Fusion::Weighted {
            dense_weight: self.calibration.dense_weight,
        };
        for (id, score) in fuse(&lexical, &dense, fusion) {
            if retrieved.passages.len() == TOP_K {
                break;
            }
            let Some(chunk) = self.chunks.get(id as usize) else {
                continue;
            };
            let seen = per_page.entry(chunk.page_id).or_default();
            if *seen == PER_PAGE {
                continue;
            }
            *seen += 1;
            let chunk_terms = ChunkTerms {
                lexical: &self.lexical,
                position: id as usize,
                facts: &chunk.facts,
            };
            retrieved.coverage = retrieved.coverage.max(terms.coverage(&chunk_terms));
            retrieved.passages.push(Passage {
                title: chunk.title.clone(),
                url: Some(chunk.url.clone()).filter(|u| u.starts_with("http")),
                heading_path: chunk.heading_path.clone(),
                text: chunk.text.clone(),
                score,
            });
            retrieved
                .similarities
                .push(embedded.and_then(|q| self.vectors.similarity(q, id)));
        }
        let similar = matches!(
            (self.calibration.min_similarity, retrieved.similarity),
            (Some(min), Some(best)) if best >= min
        );
        if !similar && retrieved.coverage < self.calibration.min_coverage {
            retrieved.passages.clear();
            retrieved.similarities.clear();
        }
        retrieved.terms = terms;
        retrieved
    }
}

/// Most widgets whose index is kept in memory.
const MAX_WIDGETS: usize = 64;

struct Entry {
    index: Arc<KnowledgeIndex>,
    bytes: usize,
    used: Instant,
}

pub struct IndexCache {
    embeddings: Embeddings,
    max_bytes: usize,
    entries: Mutex<HashMap<WidgetId, Entry>>,
    /// Per widget whose index is being built: the build's lock, so the
    /// requests that find it missing wait for one build instead of each
    /// building their own (a cold widget under load built it once per
    /// request in flight, all at once).
    building: Mutex<HashMap<WidgetId, Arc<tokio::sync::Mutex<()>>>>,
    /// Indexes built since start.
    builds: AtomicU64,
}

impl IndexCache {
    pub fn new(embeddings: Embeddings, max_bytes: usize) -> Self {
        Self {
            embeddings,
            max_bytes,
            entries: Mutex::default(),
            building: Mutex::default(),
            builds: AtomicU64::new(0),
        }
    }

    pub fn embeddings(&self) -> &Embeddings {
        &self.embeddings
    }

    /// How many indexes this process has built.
    pub fn builds(&self) -> u64 {
        self.builds.load(Ordering::Relaxed)
    }

    /// The widget's index at knowledge version `version`, as the request
    /// read it with the widget (built when the version moved; the previous
    /// one keeps serving until then). Each
    /// index is built from one read of the live chunks, so a question is
    /// answered from the old knowledge or the new, never a mix.
    pub async fn get(
        &self,
        store: &Store,
        widget: WidgetId,
        version: i64,
    ) -> StoreResult<Arc<KnowledgeIndex>> {
        if let Some(index) = self.cached(widget, version) {
            return Ok(index);
        }
        let build_lock = self
            .building
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(widget)
            .or_default()
            .clone();
        let _building = build_lock.lock().await;
        // Built by the request this one waited for.
        if let Some(index) = self.cached(widget, version) {
            return Ok(index);
        }
        let built = self.build(store, widget, version).await;
        self.building
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&widget);
        built
    }

    /// The cached index of the widget at `version`, marked as used.
    fn cached(&self, widget: WidgetId, version: i64) -> Option<Arc<KnowledgeIndex>> {
        self.lock().get_mut(&widget).and_then(|entry| {
            (entry.index.version == version).then(|| {
                entry.used = Instant::now();
                entry.index.clone()
            })
        })
    }

    /// Builds the widget's index at `version` and caches it, least recently
    /// used indexes out when the cache is full.
    async fn build(
        &self,
        store: &Store,
        widget: WidgetId,
        version: i64,
    ) -> StoreResult<Arc<KnowledgeIndex>> {
        self.builds.fetch_add(1, Ordering::Relaxed);
        let rows = store.knowledge_of(widget).await?;
        let vectors = self.vectors_of(&rows).await;
        let calibration = self.embeddings.calibration();
        let built = tokio::task::spawn_blocking(move || {
            KnowledgeIndex::build(version, rows, vectors, calibration)
        })
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))?;
        let index = Arc::new(built);
        let bytes = index.heap_bytes();
        let mut entries = self.lock();
        entries.remove(&widget);
        while !entries.is_empty()
            && (entries.len() >= MAX_WIDGETS
                || entries.values().map(|e| e.bytes).sum::<usize>() + bytes > self.max_bytes)
        {
            let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, entry)| entry.used)
                .map(|(id, _)| *id)
            else {
                break;
            };
            entries.remove(&oldest);
        }
        entries.insert(
            widget,
            Entry {
                index: index.clone(),
                bytes,
                used: Instant::now(),
            },
        );
        Ok(index)
    }

    /// The stored vectors of the configured model; chunks embedded by
    /// another model (the embedder was changed since they were trained)
    /// are embedded again in memory, or left out of vector search if that
    /// fails.
    async fn vectors_of(&self, rows: &[KnowledgeChunk]) -> Vec<Vec<f32>> {
        let model = self.embeddings.model_id();
        let mut vectors: Vec<Vec<f32>> = rows
            .iter()
            .map(|row| {
                (row.model == model)
                    .then(|| vector::from_bytes(&row.vector))
                    .flatten()
                    .unwrap_or_default()
            })
            .collect();
        let stale: Vec<usize> = (0..rows.len()).filter(|&i| vectors[i].is_empty()).collect();
        if stale.is_empty() {
            return vectors;
        }
        tracing::warn!(
            chunks = stale.len(),
            model,
            "chunks were embedded by another model; embedding them again in memory (retrain to store them)"
        );
        let texts = stale
            .iter()
            .map(|&i| search_text(&rows[i].heading_path, &rows[i].text))
            .collect();
        match self.embeddings.embed(texts).await {
            Ok(fresh) => {
                for (i, vector) in stale.into_iter().zip(fresh) {
                    vectors[i] = vector;
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not embed them; lexical retrieval only for those")
            }
        }
        vectors
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<WidgetId, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code: panics are failures

    use witzo_retrieval::chunk;

    use super::*;

    /// A small site whose right answers are known.
    const PAGES: &[(&str, &str)] = &[
        (
            "Shipping",
            "We deliver parcels worldwide. Standard delivery takes five business days; express delivery takes two.",
        ),
        (
            "Returns",
            "Unwanted items can be sent back within 30 days for a full refund of the purchase price.",
        ),
        (
            "Opening hours",
            "Our shop opens at nine in the morning and closes at six in the evening, Monday to Saturday.",
        ),
        (
            "Careers",
            "We are hiring baristas and bakers. Send your CV to jobs@example.com.",
        ),
        (
            "Grinders",
            "The XK-4411 grinder has ceramic burrs and forty settings.",
        ),
    ];

    async fn index() -> (KnowledgeIndex, Embeddings) {
        let embeddings = Embeddings::builtin().unwrap();
        let calibration = embeddings.calibration();
        index_with(calibration).await
    }

    /// The fixture's index, with the relevance gate of `calibration`.
    async fn index_with(calibration: Calibration) -> (KnowledgeIndex, Embeddings) {
        let embeddings = Embeddings::builtin().unwrap();
        let mut rows = Vec::new();
        for (n, (title, text)) in PAGES.iter().enumerate() {
            for piece in chunk(title, text) {
                rows.push(KnowledgeChunk {
                    page_id: n as i64,
                    url: format!("https://shop.example/{}", title.to_lowercase()),
                    title: (*title).to_owned(),
                    heading_path: piece.heading_path.join("\n"),
                    text: piece.text,
                    model: embeddings.model_id().to_owned(),
                    vector: Vec::new(),
                });
            }
        }
        let texts = rows
            .iter()
            .map(|r| search_text(&r.heading_path, &r.text))
            .collect();
        let vectors = embeddings.embed(texts).await.unwrap();
        (
            KnowledgeIndex::build(1, rows, vectors, calibration),
            embeddings,
        )
    }

    async fn top(question: &str) -> Option<String> {
        let (index, embeddings) = index().await;
        let embedded = embeddings.embed_question(question).await;
        index
            .search(question, embedded.as_deref())
            .passages
            .first()
            .map(|p| p.title.clone())
    }

    #[tokio::test]
    async fn a_paraphrase_sharing_no_word_with_its_page_is_found_by_meaning() {
        let question = "How long until my order arrives?";
        // A gate as open as a stronger embedder's: the vectors rank.
        let open = Calibration {
            min_similarity: Some(0.3),
            ..Embeddings::builtin().unwrap().calibration()
        };
        let (index, embeddings) = index_with(open).await;
        assert!(
            index.lexical.search(question, 5).is_empty(),
            "the question shares no word with any page"
        );
        let embedded = embeddings.embed_question(question).await;
        let found = index.search(question, embedded.as_deref());
        assert_eq!(
            found.passages.first().map(|p| p.title.as_str()),
            Some("Shipping")
        );
        assert_eq!(found.coverage, 0.0);
    }

    #[tokio::test]
    async fn an_off_topic_question_sharing_one_word_with_a_page_is_refused() {
        // "delivery" is on the Shipping page; the rest of the question is not.
        let question = "Who won the pizza delivery championship in Naples?";
        let (index, embeddings) = index().await;
        assert!(!index.lexical.search(question, 5).is_empty());
        let embedded = embeddings.embed_question(question).await;
        let found = index.search(question, embedded.as_deref());
        assert!(found.coverage < 0.5, "{}", found.coverage);
        assert!(found.passages.is_empty());
    }

    #[tokio::test]
    async fn exact_words_the_embedder_cannot_know_are_found_lexically() {
        assert_eq!(top("XK-4411 burrs").await.as_deref(), Some("Grinders"));
        assert_eq!(
            top("When does the shop open?").await.as_deref(),
            Some("Opening hours")
        );
    }

    #[tokio::test]
    async fn off_topic_questions_retrieve_nothing() {
        for question in [
            "Who won the football game yesterday?",
            "What's the capital of Mongolia?",
            "Tell me a joke about penguins",
        ] {
            assert_eq!(top(question).await, None, "{question}");
        }
    }

    #[tokio::test]
    async fn one_page_fills_at_most_two_slots() {
        let embeddings = Embeddings::builtin().unwrap();
        let rows: Vec<KnowledgeChunk> = (0..5)
            .map(|i| KnowledgeChunk {
                page_id: i / 4,
                url: format!("https://shop.example/{}", i / 4),
                title: format!("Tea {i}"),
                heading_path: String::new(),
                text: format!("Green tea number {i} is grown in the hills."),
                model: "another-model".to_owned(),
                vector: vec![1, 2, 3],
            })
            .collect();
        let vectors = rows.iter().map(|_| Vec::new()).collect();
        let index = KnowledgeIndex::build(1, rows, vectors, embeddings.calibration());
        let found = index.search("green tea hills", None);
        let pages: Vec<&str> = found
            .passages
            .iter()
            .map(|p| p.url.as_deref().unwrap())
            .collect();
        assert_eq!(
            pages,
            [
                "https://shop.example/0",
                "https://shop.example/0",
                "https://shop.example/1"
            ]
        );
        assert_eq!(found.similarities, [None, None, None]);
    }
}
