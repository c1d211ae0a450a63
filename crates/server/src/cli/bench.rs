//! `witzo bench retrieval`: quality and latency on a BEIR folder, with
//! fusion and "I don't know" calibration. Each result is a line on
//! standard output; with `--json` one JSON object per line whose `kind`
//! names its shape (`mode`, `embedder`; with `--calibrate` those of
//! [`calibration`]).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;
use witzo_retrieval::beir::{self, Dataset, Metrics, percentile};
use witzo_retrieval::lexical::LexicalIndex;
use witzo_retrieval::{Fusion, VectorIndex, fuse};

mod calibration;

use super::output::Format;
use witzo_app::answers::embedding::Embeddings;
use witzo_app::config::Config;

/// Candidates each retriever contributes, as in answering.
const CANDIDATES: usize = 100;

/// One retrieval mode's (or fusion's) quality and latency.
#[derive(Serialize)]
struct ModeLine<'a> {
    kind: &'static str,
    /// `lexical`, `vector`, `hybrid`, or a fusion's name with `--fusion-sweep`.
    mode: &'a str,
    ndcg_at_10: f64,
    recall_at_100: f64,
    p50_ms: f64,
    p99_ms: f64,
    queries: usize,
}

fn line(format: Format, mode: &str, m: &Metrics) -> anyhow::Result<()> {
    let line = ModeLine {
        kind: "mode",
        mode,
        ndcg_at_10: m.ndcg_at_10,
        recall_at_100: m.recall_at_100,
        p50_ms: m.p50_ms,
        p99_ms: m.p99_ms,
        queries: m.queries,
    };
    format.print(&line, |l| {
        format!(
            "{:<8} nDCG@10={:.4} Recall@100={:.4} p50={:.3}ms p99={:.3}ms ({} queries)\n",
            l.mode, l.ndcg_at_10, l.recall_at_100, l.p50_ms, l.p99_ms, l.queries
        )
    })
}

/// The embedder's figures on the corpus.
#[derive(Serialize)]
struct EmbedderLine {
    kind: &'static str,
    model: String,
    dims: usize,
    documents: usize,
    seconds: f64,
    documents_per_second: f64,
    question_p50_ms: f64,
    question_p99_ms: f64,
    bm25_ms: u128,
    /// The fusion the hybrid mode used.
    fusion: String,
}

/// Everything a mode needs: the corpus indexed both ways, and each judged
/// query's embedding.
pub(super) struct Prepared {
    pub lexical: LexicalIndex,
    pub vectors: VectorIndex,
    pub questions: HashMap<String, Vec<f32>>,
}

impl Prepared {
    fn ids(&self, dataset: &Dataset, hits: Vec<(u32, f32)>) -> Vec<String> {
        hits.into_iter()
            .filter_map(|(i, _)| dataset.corpus.get(i as usize).map(|d| d.id.clone()))
            .collect()
    }

    pub fn hybrid(&self, query: &str, fusion: Fusion) -> Vec<(u32, f32)> {
        let lexical = self.lexical.search(query, CANDIDATES);
        let dense = self
            .questions
            .get(query)
            .map(|q| self.vectors.search(q, CANDIDATES))
            .unwrap_or_default();
        let mut fused = fuse(&lexical, &dense, fusion);
        fused.truncate(CANDIDATES);
        fused
    }
}

pub(super) async fn retrieval(
    config: &Config,
    dir: &Path,
    qrels: &str,
    sweep: bool,
    calibrate: bool,
    format: Format,
) -> anyhow::Result<()> {
    let dataset = beir::load(dir, qrels)
        .with_context(|| format!("reading the BEIR folder {}", dir.display()))?;
    let embeddings = Embeddings::from_config(&config.answers.embeddings)?;
    let texts: Vec<String> = dataset
        .corpus
        .iter()
        .map(|doc| format!("{} {}", doc.title, doc.text))
        .collect();

    let started = Instant::now();
    let lexical = LexicalIndex::build(
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| (u32::try_from(i).unwrap_or(u32::MAX), t.clone())),
    );
    let lexical_ms = started.elapsed().as_millis();

    let started = Instant::now();
    let mut embedded = Vec::with_capacity(texts.len());
    for batch in texts.chunks(256) {
        embedded.extend(embeddings.embed(batch.to_vec()).await?);
    }
    let embed_secs = started.elapsed().as_secs_f64();
    let dims = embedded.first().map_or(0, Vec::len);
    let mut vectors = VectorIndex::with_capacity(dims, embedded.len());
    for v in &embedded {
        vectors.push(v);
    }

    let judged: HashSet<&str> = dataset.qrels.keys().map(String::as_str).collect();
    let mut questions = HashMap::new();
    let mut question_ms = Vec::new();
    for query in dataset
        .queries
        .iter()
        .filter(|q| judged.contains(q.id.as_str()))
    {
        let started = Instant::now();
        if let Some(v) = embeddings.embed_question(&query.text).await {
            question_ms.push(started.elapsed().as_secs_f64() * 1000.0);
            questions.insert(query.text.clone(), v);
        }
    }
    question_ms.sort_by(f64::total_cmp);
    let prepared = Prepared {
        lexical,
        vectors,
        questions,
    };

    let lexical = beir::evaluate(&dataset, |q| {
        prepared.ids(&dataset, prepared.lexical.search(q, CANDIDATES))
    });
    line(format, "lexical", &lexical)?;
    let dense = beir::evaluate(&dataset, |q| {
        let hits = prepared
            .questions
            .get(q)
            .map(|v| prepared.vectors.search(v, CANDIDATES))
            .unwrap_or_default();
        prepared.ids(&dataset, hits)
    });
    line(format, "vector", &dense)?;
    let hybrid = beir::evaluate(&dataset, |q| {
        prepared.ids(&dataset, prepared.hybrid(q, embeddings.fusion()))
    });
    line(format, "hybrid", &hybrid)?;
    let embedder = EmbedderLine {
        kind: "embedder",
        model: embeddings.model_id().to_owned(),
        dims,
        documents: texts.len(),
        seconds: embed_secs,
        documents_per_second: texts.len() as f64 / embed_secs.max(1e-9),
        question_p50_ms: percentile(&question_ms, 50.0),
        question_p99_ms: percentile(&question_ms, 99.0),
        bm25_ms: lexical_ms,
        fusion: embeddings.fusion().name(),
    };
    format.print(&embedder, |e| {
        format!(
            "embedder {} ({} dims): {} documents in {:.2} s ({:.0}/s); question embedding p50={:.3}ms p99={:.3}ms; BM25 built in {} ms; hybrid = {}\n",
            e.model,
            e.dims,
            e.documents,
            e.seconds,
            e.documents_per_second,
            e.question_p50_ms,
            e.question_p99_ms,
            e.bm25_ms,
            e.fusion
        )
    })?;
    if sweep {
        let mut fusions = vec![Fusion::Rrf { k: 60.0 }, Fusion::Rrf { k: 20.0 }];
        fusions.extend(
            [0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
                .into_iter()
                .map(|dense_weight| Fusion::Weighted { dense_weight }),
        );
        for fusion in fusions {
            let m = beir::evaluate(&dataset, |q| {
                prepared.ids(&dataset, prepared.hybrid(q, fusion))
            });
            line(format, &fusion.name(), &m)?;
        }
    }
    if calibrate {
        calibration::calibrate_threshold(&dataset, &prepared, &embeddings, format).await?;
    }
    Ok(())
}
