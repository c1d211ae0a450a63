//! The configured embedder, behind one async interface for the worker
//! (chunks) and the chat path (questions).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use witzo_embed::{Bert, Embedder, StaticEmbedder};
use witzo_retrieval::{Fusion, RemoteEmbedder};

use crate::config::{EmbeddingProvider, EmbeddingSettings};

/// How an embedder's scores are used, measured per embedder with
/// `witzo bench retrieval --fusion-sweep --calibrate` on SciFact (figures
/// in docs/ARCHITECTURE.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Weight of the vector ranking in the hybrid fusion.
    pub dense_weight: f32,
    /// Cosine similarity (question ↔ best chunk) below which the knowledge
    /// is taken not to cover a question that no chunk matches word for
    /// word: the highest threshold that still lets 95% of answerable
    /// SciFact questions through.
    pub min_similarity: Option<f32>,
}

fn calibration(model_id: &str) -> Calibration {
    match model_id {
        // The static table adds little to BM25 in ranking (nDCG@10 0.684
        // at 0.2 against 0.687 alone) but finds paraphrases BM25 cannot.
        witzo_embed::BUILTIN_MODEL_ID => Calibration {
            dense_weight: 0.2,
            min_similarity: Some(0.49),
        },
        "all-MiniLM-L6-v2" => Calibration {
            dense_weight: 0.4,
            min_similarity: Some(0.28),
        },
        // Unknown models: an even-handed fusion and no threshold.
        _ => Calibration {
            dense_weight: 0.4,
            min_similarity: None,
        },
    }
}

#[derive(Clone)]
enum Kind {
    /// Microseconds per text: called inline.
    Static(Arc<StaticEmbedder>),
    /// Milliseconds per text: run on the blocking pool.
    Transformer(Arc<Bert>),
    Remote(RemoteEmbedder),
}

/// Turns texts into unit vectors with one model, named by [`Embeddings::model_id`].
#[derive(Clone)]
pub struct Embeddings {
    kind: Kind,
    model_id: String,
    calibration: Calibration,
}

impl Embeddings {
    pub fn from_config(settings: &EmbeddingSettings) -> anyhow::Result<Self> {
        let kind = match settings.provider {
            EmbeddingProvider::Builtin => Kind::Static(builtin_table()?),
            EmbeddingProvider::Local => {
                let dir = settings
                    .model_dir
                    .as_deref()
                    .context("answers.embeddings.model_dir is not set")?;
                Kind::Transformer(Arc::new(
                    Bert::load(dir, settings.max_tokens)
                        .with_context(|| format!("loading the model in {}", dir.display()))?,
                ))
            }
            EmbeddingProvider::Openai => {
                let base_url = settings
                    .base_url
                    .as_ref()
                    .context("answers.embeddings.base_url is not set")?;
                Kind::Remote(RemoteEmbedder::new(
                    base_url,
                    &settings.model,
                    settings
                        .api_key
                        .as_ref()
                        .map(|k| k.expose_secret().to_owned()),
                    Duration::from_secs(settings.timeout_secs.max(1)),
                )?)
            }
        };
        let model_id = match &kind {
            Kind::Static(e) => e.model_id().to_owned(),
            Kind::Transformer(e) => e.model_id().to_owned(),
            Kind::Remote(e) => e.model_id().to_owned(),
        };
        let mut calibration = calibration(&model_id);
        if let Some(min) = settings.min_similarity {
            calibration.min_similarity = Some(min);
        }
        Ok(Self {
            kind,
            model_id,
            calibration,
        })
    }

    /// The built-in embedder (tests, tools).
    pub fn builtin() -> anyhow::Result<Self> {
        Self::from_config(&EmbeddingSettings::default())
    }

    /// Stored beside every vector; vectors of other models are not compared.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    pub fn calibration(&self) -> Calibration {
        self.calibration
    }

    /// The fusion answers use with this embedder.
    pub fn fusion(&self) -> Fusion {
        Fusion::Weighted {
            dense_weight: self.calibration.dense_weight,
        }
    }

    /// Embeds texts for storage or search.
    pub async fn embed(&self, texts: Vec<String>) -> anyhow::Result<Vec<Vec<f32>>> {
        match &self.kind {
            Kind::Static(embedder) => {
                let embedder = Arc::clone(embedder);
                Ok(tokio::task::spawn_blocking(move || embed_local(&*embedder, &texts)).await?)
            }
            Kind::Transformer(embedder) => {
                let embedder = Arc::clone(embedder);
                Ok(tokio::task::spawn_blocking(move || embed_local(&*embedder, &texts)).await?)
            }
            Kind::Remote(embedder) => Ok(embedder.embed(&texts).await?),
        }
    }

    /// Embeds a text right away when that costs microseconds (the static
    /// table); `None` for the other embedders.
    pub fn embed_now(&self, text: &str) -> Option<Vec<f32>> {
        match &self.kind {
            Kind::Static(embedder) => Some(embedder.embed(text)),
            Kind::Transformer(_) | Kind::Remote(_) => None,
        }
    }

    /// Embeds a visitor's question; `None` when the embedder failed (the
    /// answer then uses lexical retrieval alone).
    pub async fn embed_question(&self, text: &str) -> Option<Vec<f32>> {
        if let Some(vector) = self.embed_now(text) {
            return Some(vector);
        }
        match self.embed(vec![text.to_owned()]).await {
            Ok(mut vectors) => vectors.pop(),
            Err(err) => {
                tracing::warn!(error = %err, model = %self.model_id, "could not embed a question; lexical retrieval only");
                None
            }
        }
    }
}

/// The built-in table, decoded once per process (~31 MB as `f32`).
fn builtin_table() -> anyhow::Result<Arc<StaticEmbedder>> {
    static BUILTIN: OnceLock<Arc<StaticEmbedder>> = OnceLock::new();
    if let Some(table) = BUILTIN.get() {
        return Ok(Arc::clone(table));
    }
    let table =
        Arc::new(StaticEmbedder::builtin().context("loading the built-in embedding table")?);
    Ok(Arc::clone(BUILTIN.get_or_init(|| table)))
}

fn embed_local(embedder: &dyn Embedder, texts: &[String]) -> Vec<Vec<f32>> {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    embedder.embed_batch(&refs)
}
