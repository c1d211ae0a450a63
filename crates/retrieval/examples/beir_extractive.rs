//! How often the extractive answer quotes a gold rationale sentence.
//!
//! For each SciFact test claim with evidence, the evidence abstract is the
//! only passage; the first chosen sentence counts as a hit when it overlaps
//! a gold rationale sentence (one contains the other). The baseline is the
//! share of the abstract's sentences that are rationales.
//!
//! ```text
//! cargo run --release -p witzo-retrieval --example beir_extractive [-- --data DIR]
//! ```

use std::collections::HashMap;
use std::io::BufRead;
use std::path::PathBuf;

use serde::Deserialize;
use witzo_retrieval::beir;
use witzo_retrieval::extractive::{self, Passage, sentences};

#[derive(Deserialize)]
struct Evidence {
    query_id: String,
    doc_id: String,
    evidence: Vec<String>,
}

fn matches(sentence: &str, gold: &[String]) -> bool {
    gold.iter()
        .any(|g| g.contains(sentence) || sentence.contains(g.as_str()))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut data = PathBuf::from("/work/shared/bench/scifact");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => data = PathBuf::from(args.next().ok_or("--data needs a value")?),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let dataset = beir::load(&data, "test.tsv")?;
    let docs: HashMap<&str, &beir::Document> =
        dataset.corpus.iter().map(|d| (d.id.as_str(), d)).collect();
    let queries: HashMap<&str, &str> = dataset
        .queries
        .iter()
        .map(|q| (q.id.as_str(), q.text.as_str()))
        .collect();
    let file = std::fs::File::open(data.join("evidence-test.jsonl"))?;
    let (mut total, mut answered, mut hits, mut baseline) = (0usize, 0usize, 0usize, 0f64);
    for line in std::io::BufReader::new(file).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let row: Evidence = serde_json::from_str(&line)?;
        let (Some(doc), Some(query)) = (
            docs.get(row.doc_id.as_str()),
            queries.get(row.query_id.as_str()),
        ) else {
            continue;
        };
        total += 1;
        let all = sentences(&doc.text);
        let gold = all.iter().filter(|s| matches(s, &row.evidence)).count();
        baseline += gold as f64 / all.len().max(1) as f64;
        let passage = Passage {
            title: doc.title.clone(),
            url: None,
            heading_path: Vec::new(),
            text: doc.text.clone(),
            score: 1.0,
        };
        let Some(answer) = extractive::answer(query, &[passage], 1) else {
            continue;
        };
        answered += 1;
        let quoted = answer.text.trim_end_matches(" [1]").trim_end_matches(" …");
        if matches(quoted, &row.evidence) {
            hits += 1;
        }
    }
    println!(
        "extractive: {total} claims, answered {answered}, first sentence is a rationale in {:.1}% (random sentence: {:.1}%)",
        100.0 * hits as f64 / total.max(1) as f64,
        100.0 * baseline / total.max(1) as f64
    );
    Ok(())
}
