//! Owner corrections in chat: before anything is retrieved, a visitor's
//! question that asks what a stored Q&A pair asks (see [`matcher`]) gets the
//! owner's answer verbatim, with one source naming the business.

mod matcher;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use witzo_retrieval::{Answerer, FixedAnswer, Source};
use witzo_store::domain::WidgetId;
use witzo_store::{Store, StoreResult};

use super::embedding::Embeddings;
use crate::widgets::cache::LiveWidget;
use crate::widgets::settings::WidgetSettings;
use matcher::QaMatcher;
pub use matcher::content;

/// Most widgets whose matcher is kept in memory.
const MAX_WIDGETS: usize = 256;

/// Per-widget matchers, rebuilt when the widget's knowledge version moves
/// (every change to its pairs moves it), least recently used out.
#[derive(Default)]
pub struct QaCache {
    entries: Mutex<HashMap<WidgetId, (Arc<QaMatcher>, Instant)>>,
}

impl QaCache {
    /// The widget's matcher at its current knowledge version.
    async fn get(
        &self,
        store: &Store,
        embeddings: &Embeddings,
        live: &LiveWidget,
        version: i64,
    ) -> StoreResult<Arc<QaMatcher>> {
        let widget = &live.widget;
        if let Some((matcher, used)) = self.lock().get_mut(&widget.id)
            && matcher.version == version
        {
            *used = Instant::now();
            return Ok(matcher.clone());
        }
        let pairs: Vec<(String, String)> = store
            .qa_of(widget.account_id, widget.id)
            .await?
            .into_iter()
            .map(|p| (p.question, p.answer))
            .collect();
        let vectors = if pairs.is_empty() {
            Vec::new()
        } else {
            let questions = pairs.iter().map(|(q, _)| content(q)).collect();
            embeddings.embed(questions).await.unwrap_or_else(|err| {
                tracing::warn!(error = %err, "could not embed the Q&A questions; matching their words only");
                Vec::new()
            })
        };
        let matcher = Arc::new(QaMatcher::build(version, pairs, vectors));
        let mut entries = self.lock();
        if entries.len() >= MAX_WIDGETS
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(id, _)| *id)
        {
            entries.remove(&oldest);
        }
        entries.insert(widget.id, (matcher.clone(), Instant::now()));
        Ok(matcher)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<WidgetId, (Arc<QaMatcher>, Instant)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The owner's answer to `question` when one of the widget's pairs matches
/// it, as an answerer for the chat path (stored and metered like any answer).
pub async fn owner_answer(
    state: &crate::core::Core,
    live: &LiveWidget,
    knowledge: i64,
    question: &str,
) -> StoreResult<Option<Arc<dyn Answerer>>> {
    let embeddings = state.indexes.embeddings();
    let matcher = state
        .corrections
        .get(&state.store, embeddings, live, knowledge)
        .await?;
    if matcher.is_empty() {
        return Ok(None);
    }
    let embedded = embeddings.embed_question(&content(question)).await;
    let Some(answer) = matcher.answer(question, embedded.as_deref()) else {
        return Ok(None);
    };
    // The title visitors see, unless it is still the generic default.
    let title = &live.settings.title;
    let name = if title.trim().is_empty() || *title == WidgetSettings::default().title {
        &live.widget.name
    } else {
        title
    };
    Ok(Some(Arc::new(FixedAnswer {
        text: answer.to_owned(),
        sources: vec![Source {
            title: format!("Answer from {name}"),
            url: None,
        }],
    })))
}
