//! `witzo bench retrieval` (quality and latency on a BEIR folder, with
//! fusion and "I don't know" calibration) and `witzo bench index` (the
//! per-widget index at 10k–100k chunks).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use witzo_retrieval::beir::{self, Dataset, Metrics, percentile};
use witzo_retrieval::lexical::LexicalIndex;
use witzo_retrieval::relevance::term_set;
use witzo_retrieval::{Fusion, VectorIndex, fuse, vector};
use witzo_store::sources::KnowledgeChunk;

use crate::answers::embedding::Embeddings;
use crate::answers::index::KnowledgeIndex;
use crate::config::Config;

/// Candidates each retriever contributes, as in answering.
const CANDIDATES: usize = 100;

fn line(mode: &str, m: &Metrics) {
    println!(
        "{mode:<8} nDCG@10={:.4} Recall@100={:.4} p50={:.3}ms p99={:.3}ms ({} queries)",
        m.ndcg_at_10, m.recall_at_100, m.p50_ms, m.p99_ms, m.queries
    );
}

/// Everything a mode needs: the corpus indexed both ways, and each judged
/// query's embedding.
struct Prepared {
    lexical: LexicalIndex,
    vectors: VectorIndex,
    questions: HashMap<String, Vec<f32>>,
}

impl Prepared {
    fn ids(&self, dataset: &Dataset, hits: Vec<(u32, f32)>) -> Vec<String> {
        hits.into_iter()
            .filter_map(|(i, _)| dataset.corpus.get(i as usize).map(|d| d.id.clone()))
            .collect()
    }

    fn hybrid(&self, query: &str, fusion: Fusion) -> Vec<(u32, f32)> {
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
    line("lexical", &lexical);
    let dense = beir::evaluate(&dataset, |q| {
        let hits = prepared
            .questions
            .get(q)
            .map(|v| prepared.vectors.search(v, CANDIDATES))
            .unwrap_or_default();
        prepared.ids(&dataset, hits)
    });
    line("vector", &dense);
    let hybrid = beir::evaluate(&dataset, |q| {
        prepared.ids(&dataset, prepared.hybrid(q, embeddings.fusion()))
    });
    line("hybrid", &hybrid);
    println!(
        "embedder {} ({dims} dims): {} documents in {:.2} s ({:.0}/s); question embedding p50={:.3}ms p99={:.3}ms; BM25 built in {lexical_ms} ms; hybrid = {}",
        embeddings.model_id(),
        texts.len(),
        embed_secs,
        texts.len() as f64 / embed_secs.max(1e-9),
        percentile(&question_ms, 50.0),
        percentile(&question_ms, 99.0),
        embeddings.fusion().name()
    );
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
            line(&fusion.name(), &m);
        }
    }
    if calibrate {
        calibrate_threshold(&dataset, &prepared, &embeddings).await;
    }
    Ok(())
}

/// Questions a business website's visitors ask that a scientific corpus
/// cannot answer.
const OFF_TOPIC: &[&str] = &[
    "What are your opening hours?",
    "Do you ship to Canada?",
    "How much does the premium plan cost?",
    "Can I return my shoes after 30 days?",
    "Where is your store located?",
    "How do I reset my password?",
    "Do you have vegan pizza?",
    "Who won the football game yesterday?",
    "Tell me a joke",
    "What's the weather in Paris tomorrow?",
    "Can I pay with PayPal?",
    "Is there free parking near the restaurant?",
    "How long does delivery take?",
    "Do you offer gift cards?",
    "What is your phone number?",
    "Can I book a table for four on Friday?",
    "Do you have this jacket in size M?",
    "How do I cancel my subscription?",
    "Are dogs allowed in the hotel?",
    "What is the Wi-Fi password?",
];

/// How well the best chunk's cosine similarity separates answerable
/// questions from questions the knowledge does not cover: an answerable
/// question's score is its best gold document's similarity; a "hard"
/// unanswerable one is the same question with its gold documents removed
/// (the best remaining document, often on the same topic); an off-topic
/// one is a business question against the whole corpus.
async fn calibrate_threshold(dataset: &Dataset, prepared: &Prepared, embeddings: &Embeddings) {
    let position: HashMap<&str, usize> = dataset
        .corpus
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let all = prepared.vectors.len();
    let mut answerable = Vec::new();
    let mut hard = Vec::new();
    for query in &dataset.queries {
        let (Some(judged), Some(v)) = (
            dataset.qrels.get(&query.id),
            prepared.questions.get(&query.text),
        ) else {
            continue;
        };
        let gold: HashSet<usize> = judged
            .iter()
            .filter(|(_, grade)| **grade > 0)
            .filter_map(|(id, _)| position.get(id.as_str()).copied())
            .collect();
        let ranked = prepared.vectors.search(v, all);
        if let Some(best_gold) = ranked.iter().find(|(i, _)| gold.contains(&(*i as usize))) {
            answerable.push(best_gold.1);
        }
        if let Some(best_other) = ranked.iter().find(|(i, _)| !gold.contains(&(*i as usize))) {
            hard.push(best_other.1);
        }
    }
    let mut off_topic = Vec::new();
    for question in OFF_TOPIC {
        if let Some(v) = embeddings.embed_question(question).await
            && let Some(best) = prepared.vectors.search(&v, 1).first()
        {
            off_topic.push(best.1);
        }
    }
    let share = |scores: &[f32], pass: &dyn Fn(f32) -> bool| {
        scores.iter().filter(|s| pass(**s)).count() as f64 / scores.len().max(1) as f64
    };
    println!(
        "calibration ({}): {} answerable, {} hard unanswerable, {} off-topic questions",
        embeddings.model_id(),
        answerable.len(),
        hard.len(),
        off_topic.len()
    );
    println!("threshold  answered(answerable)  refused(hard)  refused(off-topic)");
    for step in 0..=14 {
        let t = 0.05 * step as f32;
        println!(
            "{t:>9.2}  {:>20.3}  {:>13.3}  {:>18.3}",
            share(&answerable, &|s| s >= t),
            share(&hard, &|s| s < t),
            share(&off_topic, &|s| s < t)
        );
    }
    gate(dataset, prepared, embeddings).await;
    let mut sorted = answerable.clone();
    sorted.sort_by(f32::total_cmp);
    let fifth = sorted.get(sorted.len() / 20).copied().unwrap_or_default();
    println!(
        "the highest threshold that still answers 95% of answerable questions: {fifth:.3} \
         (refuses {:.1}% of hard and {:.1}% of off-topic questions)",
        100.0 * share(&hard, &|s| s < fifth),
        100.0 * share(&off_topic, &|s| s < fifth)
    );
}

/// The relevance gate the answer path applies (`answers/index.rs`): a
/// question is answered when the best of its passages covers enough of
/// its weighted terms or is similar enough. Answerable questions are
/// judged on their best-ranked gold document, hard unanswerable ones on
/// the best-ranked other document, off-topic ones on their best six.
async fn gate(dataset: &Dataset, prepared: &Prepared, embeddings: &Embeddings) {
    let calibration = embeddings.calibration();
    // (coverage, similarity) of each question's judged document.
    let mut answerable: Vec<(f32, Option<f32>)> = Vec::new();
    let mut hard: Vec<(f32, Option<f32>)> = Vec::new();
    let mut off_topic: Vec<(f32, Option<f32>)> = Vec::new();
    let text = |i: u32| {
        dataset
            .corpus
            .get(i as usize)
            .map(|d| term_set(&format!("{} {}", d.title, d.text)))
            .unwrap_or_default()
    };
    for query in &dataset.queries {
        let Some(judged) = dataset.qrels.get(&query.id) else {
            continue;
        };
        let terms = prepared.lexical.query_terms(&query.text);
        let ranked = prepared.hybrid(&query.text, embeddings.fusion());
        let vector = prepared.questions.get(&query.text);
        let similarity = |i: u32| vector.and_then(|v| prepared.vectors.similarity(v, i));
        let is_gold = |i: u32| {
            dataset
                .corpus
                .get(i as usize)
                .and_then(|d| judged.get(&d.id))
                .is_some_and(|grade| *grade > 0)
        };
        if let Some(&(gold, _)) = ranked.iter().find(|(i, _)| is_gold(*i)) {
            answerable.push((terms.coverage(&text(gold)), similarity(gold)));
        }
        if let Some(&(other, _)) = ranked.iter().find(|(i, _)| !is_gold(*i)) {
            hard.push((terms.coverage(&text(other)), similarity(other)));
        }
    }
    for question in OFF_TOPIC {
        let terms = prepared.lexical.query_terms(question);
        let vector = embeddings.embed_question(question).await;
        let lexical = prepared.lexical.search(question, 6);
        let dense = vector
            .as_ref()
            .map(|v| prepared.vectors.search(v, 6))
            .unwrap_or_default();
        let best_coverage = lexical
            .iter()
            .chain(&dense)
            .map(|&(i, _)| terms.coverage(&text(i)))
            .fold(0.0, f32::max);
        let best_similarity = dense.first().map(|&(_, s)| s);
        off_topic.push((best_coverage, best_similarity));
    }
    let share = |scores: &[(f32, Option<f32>)], coverage: f32, answered: bool| {
        let passes = |&&(c, s): &&(f32, Option<f32>)| {
            c >= coverage
                || matches!((calibration.min_similarity, s), (Some(min), Some(s)) if s >= min)
        };
        let n = scores.iter().filter(|s| passes(s) == answered).count();
        n as f64 / scores.len().max(1) as f64
    };
    println!(
        "answer gate: coverage >= c or similarity >= {}",
        calibration
            .min_similarity
            .map_or("-".to_owned(), |s| format!("{s:.2}"))
    );
    println!("        c  answered(answerable)  refused(hard)  refused(off-topic)");
    for step in 4..=12 {
        let c = 0.05 * step as f32;
        let marker = if (c - calibration.min_coverage).abs() < 1e-3 {
            " <- calibrated"
        } else {
            ""
        };
        println!(
            "{c:>9.2}  {:>20.3}  {:>13.3}  {:>18.3}{marker}",
            share(&answerable, c, true),
            share(&hard, c, false),
            share(&off_topic, c, false)
        );
    }
}

/// Synthetic widgets of `sizes` chunks (SciFact abstracts, cycled), their
/// cold build from stored rows, and warm hybrid query latency.
pub(super) async fn index(config: &Config, dir: &Path, sizes: &[usize]) -> anyhow::Result<()> {
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
    println!(
        "embedder {}: {} chunks in {:.2} s ({:.0} chunks/s)",
        embeddings.model_id(),
        texts.len(),
        embed_secs,
        texts.len() as f64 / embed_secs.max(1e-9)
    );
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
        println!(
            "{size:>7} chunks: cold build {build_ms:.0} ms, {:.0} MB; hybrid query p50={:.3}ms p99={:.3}ms",
            built.heap_bytes() as f64 / 1_048_576.0,
            percentile(&latencies, 50.0),
            percentile(&latencies, 99.0)
        );
    }
    Ok(())
}
