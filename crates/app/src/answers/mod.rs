//! Answering from a widget's knowledge: a per-widget in-memory index built
//! from the database's clean text and keyed by the widget's knowledge
//! version (so every instance answers from the same committed knowledge),
//! lexical retrieval, and the offline extractive answer.

pub mod answering;
pub mod embedding;
pub mod index;
pub mod memo;
pub mod qa;
pub mod rating;
pub mod respond;
pub mod turn;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use secrecy::ExposeSecret;
use witzo_retrieval::{LlmAnswerer, LlmConfig};

use crate::config::LlmSettings;
use embedding::Embeddings;

use witzo_retrieval::extractive::{self, Quotable};
use witzo_retrieval::{AnswerEvent, AnswerStream, Answerer, Question, words};

/// The default answerer: quotes the sentences of the retrieved passages
/// that answer the question (by the weighted share of its words they
/// cover, and by meaning with the configured embedder, so paraphrases are
/// answered too), with numbered sources; says plainly when the knowledge
/// does not cover the question.
pub struct ExtractiveAnswerer {
    sentences: Embeddings,
}

impl ExtractiveAnswerer {
    pub fn new(sentences: Embeddings) -> Self {
        Self { sentences }
    }
}

/// Sentences an extractive answer quotes at most.
const MAX_SENTENCES: usize = 3;

impl ExtractiveAnswerer {
    /// The honest refusal; it offers to take contact details only when
    /// the widget can open its lead form (the widget then opens it).
    fn dont_know(language: &str, lead_form: bool) -> String {
        let (refusal, offer) = match language.split(['-', '_']).next().unwrap_or_default() {
            "de" => (
                "Dazu habe ich auf dieser Website nichts gefunden, und ich möchte nichts erfinden.",
                " Hinterlassen Sie gern im Formular Ihre Kontaktdaten, dann meldet sich jemand.",
            ),
            "fr" => (
                "Je n'ai rien trouvé à ce sujet sur ce site, et je préfère ne rien inventer.",
                " Laissez vos coordonnées dans le formulaire et quelqu'un vous répondra.",
            ),
            "es" => (
                "No he encontrado nada sobre eso en este sitio y prefiero no inventar nada.",
                " Deje sus datos de contacto en el formulario y alguien le responderá.",
            ),
            _ => (
                "I couldn't find that in this website's content, and I won't guess.",
                " Leave your contact details in the form and someone will get back to you.",
            ),
        };
        if lead_form {
            format!("{refusal}{offer}")
        } else {
            refusal.to_owned()
        }
    }
}

impl ExtractiveAnswerer {
    /// The cosine similarity of the question with each quotable sentence
    /// of its passages, embedded in one batch; empty if that failed.
    async fn similarities(
        sentences: &Embeddings,
        question: &str,
        quotable: &Quotable,
    ) -> HashMap<String, f32> {
        let quotes = quotable.quotes();
        if quotes.is_empty() {
            return HashMap::new();
        }
        let mut texts = Vec::with_capacity(quotes.len() + 1);
        texts.push(question.to_owned());
        texts.extend(quotes.iter().cloned());
        // The static table embeds a sentence in microseconds: here, not
        // through the blocking pool (a hop to another thread and back).
        let now: Option<Vec<Vec<f32>>> = texts.iter().map(|t| sentences.embed_now(t)).collect();
        let embedded = match now {
            Some(vectors) => Ok(vectors),
            None => sentences.embed(texts).await,
        };
        match embedded {
            Ok(vectors) => {
                let Some((asked, rest)) = vectors.split_first() else {
                    return HashMap::new();
                };
                quotes
                    .into_iter()
                    .zip(rest)
                    .map(|(quote, v)| {
                        let similarity = witzo_retrieval::vector::dot(asked, v);
                        (quote, similarity)
                    })
                    .collect()
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not embed the sentences; words alone choose");
                HashMap::new()
            }
        }
    }
}

impl Answerer for ExtractiveAnswerer {
    fn answer(&self, question: Question) -> AnswerStream {
        let sentences = self.sentences.clone();
        let events = async move {
            let quotable = Quotable::of(&question.passages);
            let similarities = Self::similarities(&sentences, &question.text, &quotable).await;
            let similarity = |quote: &str| similarities.get(quote).copied().unwrap_or(0.0);
            let calibration = sentences.calibration();
            let semantic = (!similarities.is_empty()).then_some(extractive::Semantic {
                similarity: &similarity,
                floor: calibration.similarity_floor,
            });
            let found = extractive::answer_with(
                &question.text,
                &question.terms,
                &question.passages,
                quotable,
                MAX_SENTENCES,
                semantic,
                calibration.rules,
            );
            let events = match found {
                Some(found) => {
                    let mut events = words(&found.text);
                    events.push(AnswerEvent::Sources(found.sources));
                    events
                }
                None => words(&Self::dont_know(&question.language, question.lead_form)),
            };
            futures_util::stream::iter(events)
        };
        Box::pin(futures_util::stream::once(events).flatten())
    }

    /// Quotes depend on the passages alone, and on the sentences'
    /// similarities when the embedder is local.
    fn repeatable(&self) -> bool {
        self.sentences.is_local()
    }
}

/// The configured answerer: an OpenAI-compatible LLM (falling back to the
/// extractive answer on any failure) when `answers.llm.base_url` is set,
/// else the extractive answer, offline.
pub fn from_config(
    settings: &LlmSettings,
    embeddings: Embeddings,
) -> anyhow::Result<Arc<dyn Answerer>> {
    let extractive: Arc<dyn Answerer> = Arc::new(ExtractiveAnswerer::new(embeddings));
    let Some(base_url) = settings.base_url.clone() else {
        return Ok(extractive);
    };
    let config = LlmConfig {
        api_key: settings
            .api_key
            .as_ref()
            .map(|k| k.expose_secret().to_owned()),
        timeout: Duration::from_secs(settings.timeout_secs),
        first_token_timeout: Duration::from_secs(settings.first_token_timeout_secs),
        max_tokens: settings.max_tokens,
        temperature: settings.temperature,
        ..LlmConfig::new(base_url, settings.model.clone())
    };
    Ok(Arc::new(LlmAnswerer::new(config, extractive)?))
}
