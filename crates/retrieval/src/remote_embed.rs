//! Embeddings from an OpenAI-compatible `/embeddings` endpoint (OpenAI,
//! Ollama, vLLM, llama.cpp, text-embeddings-inference, …), by configuration.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::llm::{LlmError, endpoint};

/// Why a batch could not be embedded. Never carries the API key or the
/// provider's free-text message (which may quote it).
#[derive(Debug, thiserror::Error)]
pub enum RemoteEmbedError {
    #[error("embeddings request failed: {0}")]
    Request(reqwest::Error),
    #[error("embeddings endpoint answered HTTP {0}")]
    Status(u16),
    #[error("embeddings response is malformed: {0}")]
    Malformed(String),
}

/// A client for one model of one endpoint.
#[derive(Debug, Clone)]
pub struct RemoteEmbedder {
    client: reqwest::Client,
    endpoint: Url,
    model: String,
    api_key: Option<String>,
    model_id: String,
}

#[derive(Deserialize)]
struct Response {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    index: usize,
    embedding: Vec<f32>,
}

impl RemoteEmbedder {
    /// `base_url` up to the version segment (e.g. `https://api.openai.com/v1/`);
    /// requests go to `{base_url}embeddings`.
    pub fn new(
        base_url: &Url,
        model: &str,
        api_key: Option<String>,
        timeout: Duration,
    ) -> Result<Self, LlmError> {
        let endpoint = endpoint(base_url, "embeddings")?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .map_err(LlmError::Client)?;
        let host = endpoint.host_str().unwrap_or_default().to_owned();
        Ok(Self {
            client,
            model_id: format!("remote:{host}:{model}"),
            endpoint,
            model: model.to_owned(),
            api_key,
        })
    }

    /// The name stored beside this model's vectors: the endpoint's host and
    /// the model, so another provider's vectors are never compared.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// Embeds `texts` (one request), L2-normalised, in input order. Every
    /// vector must be present, finite and of one length.
    pub async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, RemoteEmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let mut request = self
            .client
            .post(self.endpoint.clone())
            .json(&json!({ "model": self.model, "input": texts }));
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| RemoteEmbedError::Request(e.without_url()))?;
        if !response.status().is_success() {
            return Err(RemoteEmbedError::Status(response.status().as_u16()));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| RemoteEmbedError::Request(e.without_url()))?;
        let body: Response = serde_json::from_slice(&bytes)
            .map_err(|e| RemoteEmbedError::Malformed(e.to_string()))?;
        let mut vectors: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
        for item in body.data {
            let slot = vectors.get_mut(item.index).ok_or_else(|| {
                RemoteEmbedError::Malformed(format!("index {} out of range", item.index))
            })?;
            *slot = Some(item.embedding);
        }
        let mut out = Vec::with_capacity(texts.len());
        let mut dims = None;
        for (i, vector) in vectors.into_iter().enumerate() {
            let mut vector = vector.ok_or_else(|| {
                RemoteEmbedError::Malformed(format!("no embedding for input {i}"))
            })?;
            if vector.is_empty() || vector.iter().any(|v| !v.is_finite()) {
                return Err(RemoteEmbedError::Malformed(format!(
                    "embedding {i} is empty or not finite"
                )));
            }
            if *dims.get_or_insert(vector.len()) != vector.len() {
                return Err(RemoteEmbedError::Malformed(
                    "embeddings differ in length".to_owned(),
                ));
            }
            let norm = vector.iter().map(|v| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                vector.iter_mut().for_each(|v| *v /= norm);
            }
            out.push(vector);
        }
        Ok(out)
    }
}
