//! Answering visitors' questions.
//!
//! The server calls one [`Answerer`] per question and streams what it yields
//! to the widget. Retrieval over trained knowledge (chunking, embeddings,
//! hybrid ranking, extractive and LLM answers) plugs in here as further
//! implementations; until a widget has knowledge, [`NoKnowledgeYet`] says so
//! honestly instead of inventing an answer.

pub mod beir;
pub mod chunk;
pub mod extractive;
pub mod facts;
pub mod hybrid;
pub mod lexical;
pub mod llm;
mod quotable;
pub mod relevance;
pub mod remote_embed;
pub mod sentences;
pub mod smalltalk;
pub mod thesaurus;
pub mod vector;

pub use chunk::{Chunk, chunk};
pub use extractive::{ExtractiveAnswer, Passage};
pub use facts::Expect;
pub use hybrid::{Fusion, fuse};
pub use lexical::{Bm25Params, LexicalIndex, tokens};
pub use llm::{LlmAnswerer, LlmConfig, LlmError};
pub use relevance::QueryTerms;
pub use remote_embed::{RemoteEmbedError, RemoteEmbedder};
pub use vector::VectorIndex;

use std::pin::Pin;

use futures_util::Stream;
use serde::Serialize;

/// A visitor's question and what the answerer may use besides it.
#[derive(Debug, Clone)]
pub struct Question {
    pub text: String,
    /// The widget's default language (BCP 47, e.g. `en`, `de-AT`).
    pub language: String,
    /// The owner's custom instructions for the assistant.
    pub instructions: String,
    /// What retrieval found in the widget's knowledge, best first.
    pub passages: Vec<Passage>,
    /// The conversation so far (oldest first, without this question),
    /// already cut to the configured window.
    pub history: Vec<Turn>,
    /// The question's informative terms, weighted by their rarity in the
    /// widget's knowledge (a follow-up's include the earlier question's).
    pub terms: QueryTerms,
    /// Whether the widget can open its lead form, so a reply may offer
    /// to take contact details.
    pub lead_form: bool,
}

/// One earlier message of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// Whether the visitor (not the assistant) wrote it.
    pub visitor: bool,
    pub text: String,
}

/// A source an answer is grounded in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub title: String,
    pub url: Option<String>,
}

/// What an answerer yields, in order: text pieces, then (optionally) sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerEvent {
    Token(String),
    Sources(Vec<Source>),
}

pub type AnswerStream = Pin<Box<dyn Stream<Item = AnswerEvent> + Send>>;

pub trait Answerer: Send + Sync {
    fn answer(&self, question: Question) -> AnswerStream;

    /// Whether the same question always gets the same answer: one that
    /// depends only on the question's text, language, instructions, lead
    /// form and passages (not on the conversation so far, the clock or a
    /// remote service), so an answer given once may be given again.
    fn repeatable(&self) -> bool {
        false
    }
}

/// The answer of a widget that has not been taught anything yet.
pub struct NoKnowledgeYet;

impl NoKnowledgeYet {
    fn text(language: &str) -> &'static str {
        match language.split(['-', '_']).next().unwrap_or_default() {
            "de" => {
                "Ich habe noch kein Wissen, mit dem ich antworten könnte. Der Betreiber dieser Website richtet mich gerade ein."
            }
            "fr" => {
                "Je n'ai pas encore de connaissances pour répondre. Le propriétaire de ce site est en train de me configurer."
            }
            "es" => {
                "Todavía no tengo conocimientos para responder. El propietario de este sitio me está configurando."
            }
            _ => {
                "I don't have any knowledge yet, so I can't answer that. The owner of this website is still setting me up."
            }
        }
    }
}

impl Answerer for NoKnowledgeYet {
    fn answer(&self, question: Question) -> AnswerStream {
        // Word by word, so the widget's streaming path is exercised for real.
        Box::pin(futures_util::stream::iter(words(Self::text(
            &question.language,
        ))))
    }
}

/// A reply known in advance (small talk, an owner's own answer), streamed
/// word by word, then its sources if it has any.
pub struct FixedAnswer {
    pub text: String,
    pub sources: Vec<Source>,
}

impl Answerer for FixedAnswer {
    fn answer(&self, _question: Question) -> AnswerStream {
        let mut events = words(&self.text);
        if !self.sources.is_empty() {
            events.push(AnswerEvent::Sources(self.sources.clone()));
        }
        Box::pin(futures_util::stream::iter(events))
    }
}

/// Splits text into word-sized tokens for streaming (spaces kept).
pub fn words(text: &str) -> Vec<AnswerEvent> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(' ') {
        tokens.push(AnswerEvent::Token(rest[..=at].to_owned()));
        rest = &rest[at + 1..];
    }
    if !rest.is_empty() {
        tokens.push(AnswerEvent::Token(rest.to_owned()));
    }
    tokens
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn question(language: &str) -> Question {
        Question {
            text: "What are your opening hours?".to_owned(),
            language: language.to_owned(),
            instructions: String::new(),
            passages: Vec::new(),
            history: Vec::new(),
            terms: QueryTerms::default(),
            lead_form: false,
        }
    }

    async fn collect(language: &str) -> (String, usize) {
        let events: Vec<AnswerEvent> = NoKnowledgeYet.answer(question(language)).collect().await;
        let count = events.len();
        let text = events
            .into_iter()
            .map(|event| match event {
                AnswerEvent::Token(token) => token,
                AnswerEvent::Sources(_) => panic!("no sources without knowledge"),
            })
            .collect();
        (text, count)
    }

    #[tokio::test]
    async fn says_plainly_that_it_knows_nothing_yet_token_by_token() {
        let (text, tokens) = collect("en").await;
        assert_eq!(text, NoKnowledgeYet::text("en"));
        assert!(text.starts_with("I don't have any knowledge yet"));
        assert_eq!(tokens, text.split(' ').count());
    }

    #[tokio::test]
    async fn answers_in_the_widget_language_when_it_can() {
        assert!(
            collect("de-AT")
                .await
                .0
                .starts_with("Ich habe noch kein Wissen")
        );
        assert!(collect("xx").await.0.starts_with("I don't have"));
    }
}
