//! Training: owners add websites and documents to a widget; background
//! jobs crawl and extract them into clean text per page or document, cut
//! it into chunks and embed them. A job's chunks go live together when it
//! ends (the knowledge the answering side reads, versioned per widget).

pub mod crawl;
pub mod documents;
pub mod progress;
pub mod service;
pub mod worker;

use witzo_retrieval::{chunk, vector};
use witzo_store::sources::NewChunk;

pub use witzo_store::jobs::{Progress, Stage};

use crate::answers::embedding::Embeddings;
use worker::JobError;

/// Cuts a page's text into chunks and embeds each.
pub async fn chunk_and_embed(
    embeddings: &Embeddings,
    title: &str,
    text: &str,
) -> Result<Vec<NewChunk>, JobError> {
    let chunks = chunk(title, text);
    let texts = chunks.iter().map(chunk::Chunk::search_text).collect();
    let vectors = embeddings
        .embed(texts)
        .await
        .map_err(|e| JobError::Embedding(e.to_string()))?;
    Ok(chunks
        .into_iter()
        .zip(vectors)
        .map(|(chunk, vector)| NewChunk {
            heading_path: chunk.heading_path.join("\n"),
            text: chunk.text,
            vector: vector::to_bytes(&vector),
        })
        .collect())
}
