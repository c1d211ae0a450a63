//! `witzo bench retrieval --calibrate`: how the similarity threshold and
//! the answer gate separate answerable from unanswerable questions. With
//! `--json` one JSON object per line: `calibration`, then a `threshold`
//! per similarity, `gate`, a `gate_coverage` per coverage, and
//! `suggested_threshold`.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use witzo_retrieval::beir::Dataset;
use witzo_retrieval::relevance::term_set;

use super::Prepared;
use crate::cli::output::Format;
use witzo_app::answers::embedding::Embeddings;

/// Shares of questions answered or refused at one threshold.
#[derive(Serialize)]
struct ShareLine {
    kind: &'static str,
    /// The similarity threshold (`threshold`) or the coverage (`gate_coverage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coverage: Option<f64>,
    answered_answerable: f64,
    refused_hard: f64,
    refused_off_topic: f64,
    /// The configured coverage (`gate_coverage` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    calibrated: Option<bool>,
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
pub(super) async fn calibrate_threshold(
    dataset: &Dataset,
    prepared: &Prepared,
    embeddings: &Embeddings,
    format: Format,
) -> anyhow::Result<()> {
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
    let counts = serde_json::json!({
        "kind": "calibration",
        "model": embeddings.model_id(),
        "answerable": answerable.len(),
        "hard": hard.len(),
        "off_topic": off_topic.len(),
    });
    format.print(&counts, |_| {
        format!(
            "calibration ({}): {} answerable, {} hard unanswerable, {} off-topic questions\n\
             threshold  answered(answerable)  refused(hard)  refused(off-topic)\n",
            embeddings.model_id(),
            answerable.len(),
            hard.len(),
            off_topic.len()
        )
    })?;
    for step in 0..=14 {
        let t = 0.05 * step as f32;
        let row = ShareLine {
            kind: "threshold",
            threshold: Some(f64::from(t)),
            coverage: None,
            answered_answerable: share(&answerable, &|s| s >= t),
            refused_hard: share(&hard, &|s| s < t),
            refused_off_topic: share(&off_topic, &|s| s < t),
            calibrated: None,
        };
        format.print(&row, |r| {
            format!(
                "{t:>9.2}  {:>20.3}  {:>13.3}  {:>18.3}\n",
                r.answered_answerable, r.refused_hard, r.refused_off_topic
            )
        })?;
    }
    gate(dataset, prepared, embeddings, format).await?;
    let mut sorted = answerable.clone();
    sorted.sort_by(f32::total_cmp);
    let fifth = sorted.get(sorted.len() / 20).copied().unwrap_or_default();
    let suggested = serde_json::json!({
        "kind": "suggested_threshold",
        "threshold": fifth,
        "answered_answerable": 0.95,
        "refused_hard": share(&hard, &|s| s < fifth),
        "refused_off_topic": share(&off_topic, &|s| s < fifth),
    });
    format.print(&suggested, |_| {
        format!(
            "the highest threshold that still answers 95% of answerable questions: {fifth:.3} \
             (refuses {:.1}% of hard and {:.1}% of off-topic questions)\n",
            100.0 * share(&hard, &|s| s < fifth),
            100.0 * share(&off_topic, &|s| s < fifth)
        )
    })
}

/// The relevance gate the answer path applies (`answers/index.rs`): a
/// question is answered when the best of its passages covers enough of
/// its weighted terms or is similar enough. Answerable questions are
/// judged on their best-ranked gold document, hard unanswerable ones on
/// the best-ranked other document, off-topic ones on their best six.
async fn gate(
    dataset: &Dataset,
    prepared: &Prepared,
    embeddings: &Embeddings,
    format: Format,
) -> anyhow::Result<()> {
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
    let header = serde_json::json!({
        "kind": "gate",
        "min_similarity": calibration.min_similarity,
    });
    format.print(&header, |_| {
        format!(
            "answer gate: coverage >= c or similarity >= {}\n        \
             c  answered(answerable)  refused(hard)  refused(off-topic)\n",
            calibration
                .min_similarity
                .map_or("-".to_owned(), |s| format!("{s:.2}"))
        )
    })?;
    for step in 4..=12 {
        let c = 0.05 * step as f32;
        let row = ShareLine {
            kind: "gate_coverage",
            threshold: None,
            coverage: Some(f64::from(c)),
            answered_answerable: share(&answerable, c, true),
            refused_hard: share(&hard, c, false),
            refused_off_topic: share(&off_topic, c, false),
            calibrated: Some((c - calibration.min_coverage).abs() < 1e-3),
        };
        format.print(&row, |r| {
            let marker = if r.calibrated == Some(true) {
                " <- calibrated"
            } else {
                ""
            };
            format!(
                "{c:>9.2}  {:>20.3}  {:>13.3}  {:>18.3}{marker}\n",
                r.answered_answerable, r.refused_hard, r.refused_off_topic
            )
        })?;
    }
    Ok(())
}
