//! `witzo bench index`: the per-widget index at 10k–100k chunks. One line
//! for the embedder, then one per size; with `--json` one JSON object per
//! line, `kind` `embedder` then `index`.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;
use witzo_retrieval::beir::{self, percentile};
use witzo_retrieval::vector;
use witzo_store::sources::KnowledgeChunk;

use super::output::Format;
use witzo_app::answers::embedding::Embeddings;
use witzo_app::answers::index::KnowledgeIndex;
use witzo_app::config::Config;

/// How fast the corpus was embedded.
#[derive(Serialize)]
struct EmbedderLine {
    kind: &'static str,
    model: String,
    chunks: usize,
    seconds: f64,
    chunks_per_second: f64,
}

/// One index size: its cold build, memory and warm query latency.
#[derive(Serialize)]
struct IndexLine {
    kind: &'static str,
    chunks: usize,
    build_ms: f64,
    heap_mb: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Synthetic widgets of `sizes` chunks (SciFact abstracts, cycled), their
/// cold build from stored rows, and warm hybrid query latency.
pub(super) async fn index(
    config: &Config,
    dir: &Path,
    sizes: &[usize],
    format: Format,
) -> anyhow::Result<()> {
    let dataset = beir::load(dir, "test.tsv")
        .with_context(|| format!("reading the BEIR folder {}", dir.display()))?;
    let embeddings = Embeddings::from_config(&config.answers.embeddings)?;
    let passages: Vec<(String, String)> = dataset
        .corpus
        .iter()
        .map(|d| (d.title.clone(), d.text.clone()))
        .collect();
    anyhow::ensure!(!passages.is_empty(), "the corpus is empty");
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let texts: Vec<String> = (0..largest)
        .map(|i| {
            let (title, text) = &passages[i % passages.len()];
            format!("{title}\n\n{text} (part {})", i / passages.len())
        })
        .collect();
    let started = Instant::now();
    let mut vectors = Vec::with_capacity(texts.len());
    for batch in texts.chunks(1024) {
        vectors.extend(embeddings.embed(batch.to_vec()).await?);
    }
    let embed_secs = started.elapsed().as_secs_f64();
    let embedder = EmbedderLine {
        kind: "embedder",
        model: embeddings.model_id().to_owned(),
        chunks: texts.len(),
        seconds: embed_secs,
        chunks_per_second: texts.len() as f64 / embed_secs.max(1e-9),
    };
    format.print(&embedder, |e| {
        format!(
            "embedder {}: {} chunks in {:.2} s ({:.0} chunks/s)\n",
            e.model, e.chunks, e.seconds, e.chunks_per_second
        )
    })?;
    let questions: Vec<(String, Option<Vec<f32>>)> = {
        let mut out = Vec::new();
        for q in dataset.queries.iter().take(300) {
            out.push((q.text.clone(), embeddings.embed_question(&q.text).await));
        }
        out
    };
    for &size in sizes {
        let rows: Vec<KnowledgeChunk> = texts[..size]
            .iter()
            .zip(&vectors)
            .enumerate()
            .map(|(i, (text, v))| KnowledgeChunk {
                page_id: i64::try_from(i / 4).unwrap_or(i64::MAX),
                url: format!("https://bench.example/page/{}", i / 4),
                title: format!("Page {}", i / 4),
                heading_path: String::new(),
                text: text.clone(),
                model: embeddings.model_id().to_owned(),
                vector: vector::to_bytes(v),
            })
            .collect();
        // Cold build from stored rows: decode the vectors, index both ways.
        let started = Instant::now();
        let decoded: Vec<Vec<f32>> = rows
            .iter()
            .map(|r| vector::from_bytes(&r.vector).unwrap_or_default())
            .collect();
        let built = KnowledgeIndex::build(1, rows, decoded, embeddings.calibration());
        let build_ms = started.elapsed().as_secs_f64() * 1000.0;
        let mut latencies = Vec::new();
        for _ in 0..2 {
            for (text, v) in &questions {
                let started = Instant::now();
                let found = built.search(text, v.as_deref());
                latencies.push(started.elapsed().as_secs_f64() * 1000.0);
                std::hint::black_box(found);
            }
        }
        latencies.sort_by(f64::total_cmp);
        let line = IndexLine {
            kind: "index",
            chunks: size,
            build_ms,
            heap_mb: built.heap_bytes() as f64 / 1_048_576.0,
            p50_ms: percentile(&latencies, 50.0),
            p99_ms: percentile(&latencies, 99.0),
        };
        format.print(&line, |l| {
            format!(
                "{:>7} chunks: cold build {:.0} ms, {:.0} MB; hybrid query p50={:.3}ms p99={:.3}ms\n",
                l.chunks, l.build_ms, l.heap_mb, l.p50_ms, l.p99_ms
            )
        })?;
    }
    Ok(())
}
