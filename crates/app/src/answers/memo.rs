//! Answers given recently, by widget, knowledge version and question, so
//! a question asked again (a widget's suggested questions, the handful
//! every business is asked all day) is answered without retrieving and
//! quoting again. Only a repeatable answerer's answers are kept (the
//! built-in extractive one with a local embedder, not an LLM), and the key
//! names everything such an answer depends on, so a kept answer is the
//! answer the question would get now: a retrain moves the knowledge
//! version, an edit of the widget its `updated_at`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hashlink::LruCache;
use witzo_retrieval::Source;
use witzo_store::domain::WidgetId;

use super::respond::{RetrievalFigures, Score};

/// What an answer depends on besides the knowledge index itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MemoKey {
    pub widget: WidgetId,
    pub knowledge_version: i64,
    /// The widget's `updated_at`: its language, instructions and lead form.
    pub settings: i64,
    /// The visitor's message.
    pub message: String,
    /// What retrieval searched with (a follow-up with the question before).
    pub query: String,
}

/// One answer as it was given.
#[derive(Debug)]
pub struct Memo {
    pub text: String,
    pub sources: Vec<Source>,
    pub scores: Vec<Score>,
    pub figures: RetrievalFigures,
}

/// The most recently used answers, at most `capacity` of them, over all
/// widgets (one lock held for a lookup or an insert, never across an
/// answer).
pub struct AnswerMemo {
    entries: Mutex<LruCache<MemoKey, Arc<Memo>>>,
    /// Questions answered from here since start.
    hits: AtomicU64,
}

impl AnswerMemo {
    /// Keeps at most `capacity` answers; 0 keeps none.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(LruCache::new(capacity)),
            hits: AtomicU64::new(0),
        }
    }

    pub fn get(&self, key: &MemoKey) -> Option<Arc<Memo>> {
        let found = self.lock().get(key).cloned();
        if found.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        found
    }

    /// Questions answered from here since start.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    pub fn insert(&self, key: MemoKey, memo: Memo) {
        let mut entries = self.lock();
        if entries.capacity() > 0 {
            entries.insert(key, Arc::new(memo));
        }
    }

    /// Answers kept now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<MemoKey, Arc<Memo>>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(message: &str, version: i64) -> MemoKey {
        MemoKey {
            widget: WidgetId::from_raw(1),
            knowledge_version: version,
            settings: 7,
            message: message.to_owned(),
            query: message.to_owned(),
        }
    }

    fn memo(text: &str) -> Memo {
        Memo {
            text: text.to_owned(),
            sources: Vec::new(),
            scores: Vec::new(),
            figures: RetrievalFigures {
                coverage: 1.0,
                similarity: None,
            },
        }
    }

    #[test]
    fn the_least_recently_used_answer_goes_first_and_versions_never_mix() {
        let answers = AnswerMemo::new(2);
        answers.insert(key("a", 1), memo("A"));
        answers.insert(key("b", 1), memo("B"));
        assert_eq!(
            answers.get(&key("a", 1)).map(|m| m.text.clone()),
            Some("A".to_owned())
        );
        answers.insert(key("c", 1), memo("C"));
        assert_eq!(answers.len(), 2);
        assert_eq!(answers.hits(), 1);
        assert!(
            answers.get(&key("b", 1)).is_none(),
            "b was used least recently"
        );
        assert!(
            answers.get(&key("a", 2)).is_none(),
            "another version's answer"
        );
        let retitled = MemoKey {
            settings: 8,
            ..key("a", 1)
        };
        assert!(
            answers.get(&retitled).is_none(),
            "another edit of the widget"
        );
    }

    #[test]
    fn capacity_zero_keeps_nothing() {
        let answers = AnswerMemo::new(0);
        answers.insert(key("a", 1), memo("A"));
        assert!(answers.is_empty());
        assert!(answers.get(&key("a", 1)).is_none());
    }
}
