//! From a visitor's message to what answers it: an owner's correction
//! that matches answers verbatim; small talk is answered from the
//! widget's settings; anything else is retrieved from the widget's
//! knowledge (a follow-up together with the question before it)
//! and handed to the configured answerer. One path for the chat API and
//! `witzo ask`.

use std::sync::Arc;

use witzo_retrieval::smalltalk::{self, Persona, SmallTalk};
use witzo_retrieval::{
    AnswerEvent, Answerer, FixedAnswer, NoKnowledgeYet, QueryTerms, Question, Source, Turn,
};
use witzo_store::StoreResult;

use super::index::Retrieved;
use super::memo::{Memo, MemoKey};
use crate::core::Core;
use crate::widgets::cache::LiveWidget;

/// How retrieval scored one passage: fused rank score, and cosine
/// similarity with the question when vectors were compared.
#[derive(Debug, Clone)]
pub struct Score {
    /// The passage's source: URL, or title without one.
    pub key: String,
    pub score: f32,
    pub similarity: Option<f32>,
}

/// A message ready to be answered.
pub struct Prepared {
    pub answerer: Arc<dyn Answerer>,
    pub question: Question,
    /// Retrieval's scores of each passage (kept with the answer).
    pub scores: Vec<Score>,
    /// What retrieval measured, for `witzo ask`.
    pub retrieved: Option<RetrievalFigures>,
    /// Whether an answer without sources should open the widget's lead
    /// form: a refusal, or a visitor asking for a person, on a widget
    /// that has one — never a greeting.
    pub offer_lead_form: bool,
    /// Small talk, answered from the widget's settings: never a refusal
    /// and never a question for analytics.
    pub small_talk: bool,
}

/// The relevance gate's inputs for one question.
#[derive(Debug, Clone, Copy)]
pub struct RetrievalFigures {
    pub coverage: f32,
    pub similarity: Option<f32>,
}

/// Whether the widget has a lead form to open.
fn has_lead_form(live: &LiveWidget) -> bool {
    live.settings.lead_form.enabled && !live.settings.lead_form.fields.is_empty()
}

/// Words that refer back to what was asked before.
const BACK_REFERENCES: &[&str] = &[
    "it", "its", "it's", "that", "this", "they", "them", "those", "these", "one", "ones", "there",
];
const CONTINUATIONS: &[&str] = &[
    "and ",
    "what about",
    "how about",
    "also",
    "and?",
    "same for",
];

/// The text to retrieve with: a follow-up ("And how much is it?") is
/// completed by the visitor's previous question.
fn retrieval_text(message: &str, history: &[Turn]) -> String {
    let Some(previous) = history
        .iter()
        .rev()
        .find(|turn| turn.visitor && smalltalk::small_talk(&turn.text).is_none())
    else {
        return message.to_owned();
    };
    let lower = message.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let informative = QueryTerms::new(message, |_| 1.0).terms().count();
    let continues = CONTINUATIONS.iter().any(|c| lower.starts_with(c));
    let refers_back = words.iter().any(|w| BACK_REFERENCES.contains(w));
    if (continues || refers_back) && informative <= 3 {
        format!("{} {message}", previous.text)
    } else {
        message.to_owned()
    }
}

/// Prepares the answer to `message` from the widget `live` at knowledge
/// version `knowledge`, with the conversation so far.
pub async fn prepare(
    state: &Core,
    live: &LiveWidget,
    knowledge: i64,
    message: &str,
    history: Vec<Turn>,
) -> StoreResult<Prepared> {
    match early(state, live, knowledge, message, history).await? {
        Early::Known(prepared) => Ok(prepared),
        Early::Retrieve(pending) => Ok(retrieve(state, pending).await),
    }
}

/// What [`early`] found.
pub enum Early {
    /// Known without retrieving (an owner's correction, small talk, no
    /// knowledge yet, an answer given before): a fixed answer, ready
    /// before the turn is written.
    Known(Prepared),
    /// To be answered by [`retrieve`].
    Retrieve(Pending),
}

/// A question to retrieve for.
pub struct Pending {
    question: Question,
    index: Arc<super::index::KnowledgeIndex>,
    key: MemoKey,
    lead_form: bool,
}

/// Everything [`prepare`] answers without retrieving.
pub async fn early(
    state: &Core,
    live: &LiveWidget,
    knowledge: i64,
    message: &str,
    history: Vec<Turn>,
) -> StoreResult<Early> {
    let settings = &live.settings;
    let lead_form = has_lead_form(live);
    let question = Question {
        text: message.to_owned(),
        language: settings.language.clone(),
        instructions: settings.instructions.clone(),
        passages: Vec::new(),
        history,
        terms: QueryTerms::default(),
        lead_form,
    };
    // The owner's own answer to a question like this one comes first.
    if let Some(corrected) = super::qa::owner_answer(state, live, knowledge, message).await? {
        return Ok(Early::Known(Prepared {
            answerer: corrected,
            question,
            scores: Vec::new(),
            retrieved: None,
            offer_lead_form: false,
            small_talk: false,
        }));
    }
    if let Some(kind) = smalltalk::small_talk(message) {
        let persona = Persona {
            name: live.widget.name.clone(),
            welcome: settings.welcome_message.clone(),
            lead_form,
        };
        return Ok(Early::Known(Prepared {
            answerer: Arc::new(FixedAnswer {
                text: smalltalk::reply(kind, &persona, &settings.language),
                sources: Vec::new(),
            }),
            question,
            scores: Vec::new(),
            retrieved: None,
            offer_lead_form: lead_form && kind == SmallTalk::Human,
            small_talk: true,
        }));
    }
    let index = state
        .indexes
        .get(&state.store, live.widget.id, knowledge)
        .await?;
    if index.is_empty() {
        return Ok(Early::Known(Prepared {
            answerer: Arc::new(NoKnowledgeYet),
            question,
            scores: Vec::new(),
            retrieved: None,
            offer_lead_form: lead_form,
            small_talk: false,
        }));
    }
    let query = retrieval_text(message, &question.history);
    // A repeatable answerer's answer to this question of this knowledge,
    // given before, is given again (answers/memo.rs).
    let key = MemoKey {
        widget: live.widget.id,
        knowledge_version: knowledge,
        settings: live.widget.updated_at,
        message: message.to_owned(),
        query,
    };
    if state.answerer.repeatable()
        && let Some(memo) = state.remembered.get(&key)
    {
        return Ok(Early::Known(Prepared {
            answerer: Arc::new(FixedAnswer {
                text: memo.text.clone(),
                sources: memo.sources.clone(),
            }),
            question,
            scores: memo.scores.clone(),
            retrieved: Some(memo.figures),
            offer_lead_form: lead_form,
            small_talk: false,
        }));
    }
    Ok(Early::Retrieve(Pending {
        question,
        index,
        key,
        lead_form,
    }))
}

/// Retrieves passages for the question and prepares its answerer (a
/// repeatable one's answer generated now and remembered).
pub async fn retrieve(state: &Core, pending: Pending) -> Prepared {
    let Pending {
        mut question,
        index,
        key,
        lead_form,
    } = pending;
    let query = &key.query;
    let embedded = state.indexes.embeddings().embed_question(query).await;
    let Retrieved {
        passages,
        similarities,
        terms,
        coverage,
        similarity,
    } = index.search(query, embedded.as_deref());
    let scores: Vec<Score> = passages
        .iter()
        .zip(&similarities)
        .map(|(p, similarity)| Score {
            key: p.url.clone().unwrap_or_else(|| p.title.clone()),
            score: p.score,
            similarity: *similarity,
        })
        .collect();
    question.passages = passages;
    question.terms = terms;
    let figures = RetrievalFigures {
        coverage,
        similarity,
    };
    let answerer = if state.answerer.repeatable() {
        let (text, sources) = collect(state.answerer.as_ref(), question.clone()).await;
        let memo = Memo {
            text: text.clone(),
            sources: sources.clone(),
            scores: scores.clone(),
            figures,
        };
        state.remembered.insert(key, memo);
        Arc::new(FixedAnswer { text, sources })
    } else {
        state.answerer.clone()
    };
    Prepared {
        answerer,
        question,
        scores,
        retrieved: Some(figures),
        offer_lead_form: lead_form,
        small_talk: false,
    }
}

/// An answer's sources as stored with it: a JSON array of `{title, url,
/// score, similarity}`, each with its best passage's scores.
pub fn sources_json(scores: &[Score], sources: &[Source]) -> String {
    let stored: Vec<serde_json::Value> = sources
        .iter()
        .map(|source| {
            let key = source.url.clone().unwrap_or_else(|| source.title.clone());
            let best = scores
                .iter()
                .filter(|s| s.key == key)
                .max_by(|a, b| a.score.total_cmp(&b.score));
            serde_json::json!({
                "title": source.title,
                "url": source.url,
                "score": best.map(|s| s.score),
                "similarity": best.and_then(|s| s.similarity),
            })
        })
        .collect();
    serde_json::Value::Array(stored).to_string()
}

/// Runs an answerer to the end: the answer's text and sources.
pub async fn collect(
    answerer: &dyn Answerer,
    question: Question,
) -> (String, Vec<witzo_retrieval::Source>) {
    use futures_util::StreamExt;
    let (mut text, mut sources) = (String::new(), Vec::new());
    let mut events = answerer.answer(question);
    while let Some(event) = events.next().await {
        match event {
            AnswerEvent::Token(token) => text.push_str(&token),
            AnswerEvent::Sources(found) => sources = found,
        }
    }
    (text, sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visitor(text: &str) -> Turn {
        Turn {
            visitor: true,
            text: text.to_owned(),
        }
    }

    #[test]
    fn a_follow_up_is_completed_by_the_previous_question() {
        let history = vec![
            visitor("hi"),
            visitor("Do you rent e-bikes?"),
            Turn {
                visitor: false,
                text: "Yes, we rent e-bikes. [1]".to_owned(),
            },
        ];
        assert_eq!(
            retrieval_text("And how much is it?", &history),
            "Do you rent e-bikes? And how much is it?"
        );
        assert_eq!(
            retrieval_text("What does that cost per day?", &history),
            "Do you rent e-bikes? What does that cost per day?"
        );
        // A new question stands on its own.
        assert_eq!(
            retrieval_text("When is the Saturday ride?", &history),
            "When is the Saturday ride?"
        );
        // Nothing to complete it with.
        assert_eq!(
            retrieval_text("And how much is it?", &[visitor("hello")]),
            "And how much is it?"
        );
    }
}
