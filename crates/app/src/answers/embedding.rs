//! The configured embedder, behind one async interface for the worker
//! (chunks) and the chat path (questions).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use witzo_embed::{Bert, Embedder, StaticEmbedder};
use witzo_retrieval::extractive::Rules;
use witzo_retrieval::{Fusion, RemoteEmbedder};

use crate::config::{EmbeddingProvider, EmbeddingSettings};

/// How an embedder's scores are used, measured per embedder with
/// `witzo bench retrieval --fusion-sweep --calibrate` on SciFact (figures
/// in docs/ARCHITECTURE.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Weight of the vector ranking in the hybrid fusion.
    pub dense_weight: f32,
    /// Cosine similarity (question ↔ best chunk) from which the knowledge
    /// is taken to cover a question even when its words do not.
    pub min_similarity: Option<f32>,
    /// Cosine similarity below which a sentence's meaning counts for
    /// nothing (the extractive rules' `min_meaning` is measured from it):
    /// the highest threshold that still lets 95% of answerable SciFact
    /// questions through.
    pub similarity_floor: f32,
    /// Weighted share of a question's terms (rarer terms weigh more) that
    /// the best passages must cover when none is similar enough.
    pub min_coverage: f32,
    /// When the extractive answer may quote a sentence.
    pub rules: Rules,
}

fn calibration(model_id: &str) -> Calibration {
    match model_id {
        // Gates measured with `witzo bench answers` on the siteqa dev
        // suite and `witzo bench retrieval --calibrate` on SciFact
        // (figures in docs/ARCHITECTURE.md): passages must cover 40% of a
        // question's weighted terms (SciFact's answerable claims: 76%
        // pass; siteqa loses nothing against 50%, which would refuse a
        // third of SciFact's), else a chunk must be this similar (0.75);
        // the quoted sentence must cover 50% (`Rules`) or be similar
        // (0.49 + 0.5 · 0.51 ≈ 0.745).
        witzo_embed::BUILTIN_MODEL_ID => Calibration {
            dense_weight: 0.2,
            min_similarity: Some(0.75),
            similarity_floor: 0.49,
            min_coverage: 0.4,
            rules: Rules::default(),
        },
        // Its similarities are lower on the whole: chunk 0.4, sentence
        // 0.28 + 0.5 · 0.72 ≈ 0.64; 60% passage coverage measured one
        // off-topic refusal better than 40% on siteqa (SciFact not
        // re-measured: embedding it takes ~10 minutes here).
        "all-MiniLM-L6-v2" => Calibration {
            dense_weight: 0.4,
            min_similarity: Some(0.4),
            similarity_floor: 0.28,
            min_coverage: 0.6,
            rules: Rules::default(),
        },
        // Unknown models: an even-handed fusion and no threshold.
        _ => Calibration {
            dense_weight: 0.4,
            min_similarity: None,
            similarity_floor: 0.0,
            min_coverage: 0.5,
            rules: Rules::default(),
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

    /// Whether the embedder runs in this process (not a remote service
    /// that may fail or change): the same text always gets the same vector.
    pub fn is_local(&self) -> bool {
        matches!(self.kind, Kind::Static(_) | Kind::Transformer(_))
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code: panics are failures

    use axum::routing::post;
    use serde_json::{Value, json};

    use super::*;

    fn dot(a: &[f32], b: &[f32]) -> f32 {
        witzo_retrieval::vector::dot(a, b)
    }

    #[tokio::test]
    async fn the_builtin_embedder_needs_nothing_and_is_calibrated() {
        let embeddings = Embeddings::builtin().unwrap();
        assert_eq!(embeddings.model_id(), witzo_embed::BUILTIN_MODEL_ID);
        assert_eq!(embeddings.calibration().min_similarity, Some(0.75));
        assert_eq!(embeddings.calibration().similarity_floor, 0.49);
        let vectors = embeddings
            .embed(vec!["Opening hours".to_owned(), String::new()])
            .await
            .unwrap();
        assert_eq!(vectors[0].len(), 256);
        assert!((dot(&vectors[0], &vectors[0]) - 1.0).abs() < 1e-4);
        assert!(
            vectors[1].iter().all(|v| *v == 0.0),
            "no token, no direction"
        );
    }

    #[tokio::test]
    async fn a_local_transformer_directory_is_used_when_configured() {
        let dir = std::env::var_os("WITZO_TEST_MINILM_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::PathBuf::from("/root/.cache/witzo/models/all-MiniLM-L6-v2")
            });
        if !dir.join("model.safetensors").exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI needs the all-MiniLM-L6-v2 directory (WITZO_TEST_MINILM_DIR)"
            );
            eprintln!("skipped: no all-MiniLM-L6-v2 directory");
            return;
        }
        let settings = EmbeddingSettings {
            provider: EmbeddingProvider::Local,
            model_dir: Some(dir),
            ..EmbeddingSettings::default()
        };
        let embeddings = Embeddings::from_config(&settings).unwrap();
        assert_eq!(embeddings.model_id(), "all-MiniLM-L6-v2");
        assert_eq!(embeddings.calibration().min_similarity, Some(0.4));
        assert_eq!(embeddings.embed_now("x"), None, "never on the request path");
        let q = embeddings
            .embed_question("The weather is lovely today.")
            .await
            .unwrap();
        let docs = embeddings
            .embed(vec![
                "It's so sunny outside!".to_owned(),
                "He drove to the stadium.".to_owned(),
            ])
            .await
            .unwrap();
        assert_eq!(q.len(), 384);
        assert!((dot(&q, &docs[0]) - 0.6660).abs() < 0.005);
        assert!((dot(&q, &docs[1]) - 0.1046).abs() < 0.005);
    }

    #[tokio::test]
    async fn a_remote_api_is_used_when_configured_and_its_failure_is_survivable() {
        let app = axum::Router::new().route(
            "/v1/embeddings",
            post(|axum::Json(body): axum::Json<Value>| async move {
                let inputs = body["input"].as_array().map_or(0, Vec::len);
                if body["input"][0] == "fail" {
                    return (
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        axum::Json(json!({})),
                    );
                }
                let data: Vec<Value> = (0..inputs)
                    .map(|i| json!({"index": i, "embedding": [1.0, i as f32]}))
                    .collect();
                (
                    axum::http::StatusCode::OK,
                    axum::Json(json!({"data": data})),
                )
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let settings = EmbeddingSettings {
            provider: EmbeddingProvider::Openai,
            base_url: Some(url::Url::parse(&format!("http://{address}/v1/")).unwrap()),
            model: "tiny".to_owned(),
            ..EmbeddingSettings::default()
        };
        let embeddings = Embeddings::from_config(&settings).unwrap();
        assert_eq!(embeddings.model_id(), "remote:127.0.0.1:tiny");
        assert_eq!(embeddings.calibration().min_similarity, None);
        let vectors = embeddings
            .embed(vec!["a".to_owned(), "b".to_owned()])
            .await
            .unwrap();
        assert_eq!(vectors[0], vec![1.0, 0.0]);
        assert_eq!(
            embeddings.embed_question("fail").await,
            None,
            "lexical only, no error"
        );
        assert!(embeddings.embed(vec!["fail".to_owned()]).await.is_err());
    }
}
