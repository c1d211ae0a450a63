//! Evaluation on BEIR-format retrieval benchmarks (e.g. SciFact).
//!
//! A BEIR folder holds `corpus.jsonl` (`_id`, `title`, `text`),
//! `queries.jsonl` (`_id`, `text`) and `qrels/<split>.tsv` with the header
//! `query-id corpus-id score`.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::time::Instant;

use serde::Deserialize;

/// One corpus document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Document {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub text: String,
}

/// One query.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Query {
    #[serde(rename = "_id")]
    pub id: String,
    pub text: String,
}

/// A loaded benchmark split.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub corpus: Vec<Document>,
    /// All queries of the folder, in file order.
    pub queries: Vec<Query>,
    /// query id → (corpus id → graded relevance), for the loaded split.
    pub qrels: BTreeMap<String, HashMap<String, i32>>,
}

/// Retrieval quality and latency over the judged queries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    pub ndcg_at_10: f64,
    pub recall_at_100: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub queries: usize,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> io::Result<Vec<T>> {
    let reader = BufReader::new(File::open(path)?);
    let mut out = Vec::new();
    for (number, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let item = serde_json::from_str(&line)
            .map_err(|e| invalid(format!("{}:{}: {e}", path.display(), number + 1)))?;
        out.push(item);
    }
    Ok(out)
}

/// Loads `dir/corpus.jsonl`, `dir/queries.jsonl` and `dir/qrels/<qrels_file>`.
pub fn load(dir: &Path, qrels_file: &str) -> io::Result<Dataset> {
    let corpus = read_jsonl(&dir.join("corpus.jsonl"))?;
    let queries = read_jsonl(&dir.join("queries.jsonl"))?;
    let path = dir.join("qrels").join(qrels_file);
    let reader = BufReader::new(File::open(&path)?);
    let mut qrels: BTreeMap<String, HashMap<String, i32>> = BTreeMap::new();
    for (number, line) in reader.lines().enumerate() {
        let line = line?;
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        if line.trim().is_empty() || (number == 0 && fields.first() == Some(&"query-id")) {
            continue;
        }
        let [query, doc, score] = fields[..] else {
            return Err(invalid(format!(
                "{}:{}: expected 3 tab-separated fields",
                path.display(),
                number + 1
            )));
        };
        let score: i32 = score
            .parse()
            .map_err(|e| invalid(format!("{}:{}: {e}", path.display(), number + 1)))?;
        qrels
            .entry(query.to_owned())
            .or_default()
            .insert(doc.to_owned(), score);
    }
    Ok(Dataset {
        corpus,
        queries,
        qrels,
    })
}

/// nDCG@k with graded (linear) gains and a log2(rank + 1) discount.
pub fn ndcg_at(k: usize, ranked: &[String], judged: &HashMap<String, i32>) -> f64 {
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, id)| {
            let gain = judged.get(id).copied().unwrap_or(0).max(0);
            f64::from(gain) / (i as f64 + 2.0).log2()
        })
        .sum();
    let mut ideal: Vec<i32> = judged.values().copied().filter(|&g| g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| f64::from(g) / (i as f64 + 2.0).log2())
        .sum();
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

/// Share of the relevant (score > 0) documents found in the top `k`.
pub fn recall_at(k: usize, ranked: &[String], judged: &HashMap<String, i32>) -> f64 {
    let relevant = judged.values().filter(|&&g| g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let mut seen = std::collections::HashSet::new();
    let found = ranked
        .iter()
        .take(k)
        .filter(|id| judged.get(*id).is_some_and(|&g| g > 0) && seen.insert(*id))
        .count();
    found as f64 / relevant as f64
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.clamp(1, sorted.len()) - 1)
        .copied()
        .unwrap_or(0.0)
}

/// Runs `search` for every query that has judgements (in query-id order of
/// the qrels) and averages nDCG@10 and Recall@100; latencies are measured
/// around each `search` call.
pub fn evaluate(dataset: &Dataset, search: impl Fn(&str) -> Vec<String>) -> Metrics {
    let texts: HashMap<&str, &str> = dataset
        .queries
        .iter()
        .map(|q| (q.id.as_str(), q.text.as_str()))
        .collect();
    let mut ndcg = 0.0;
    let mut recall = 0.0;
    let mut latencies = Vec::new();
    for (id, judged) in &dataset.qrels {
        let Some(text) = texts.get(id.as_str()) else {
            continue;
        };
        let start = Instant::now();
        let ranked = search(text);
        latencies.push(start.elapsed().as_secs_f64() * 1000.0);
        ndcg += ndcg_at(10, &ranked, judged);
        recall += recall_at(100, &ranked, judged);
    }
    let queries = latencies.len();
    latencies.sort_by(f64::total_cmp);
    let n = queries.max(1) as f64;
    Metrics {
        ndcg_at_10: ndcg / n,
        recall_at_100: recall / n,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        queries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(pairs: &[(&str, i32)]) -> HashMap<String, i32> {
        pairs.iter().map(|&(d, g)| (d.to_owned(), g)).collect()
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|&s| s.to_owned()).collect()
    }

    #[test]
    fn ndcg_uses_graded_gains_and_log2_discount() {
        let j = judged(&[("a", 2), ("b", 1), ("z", 0)]);
        assert!((ndcg_at(10, &ids(&["a", "b"]), &j) - 1.0).abs() < 1e-12);
        // b then a: (1 + 2/log2 3) / (2 + 1/log2 3)
        let expected = (1.0 + 2.0 / 3f64.log2()) / (2.0 + 1.0 / 3f64.log2());
        assert!((ndcg_at(10, &ids(&["b", "a"]), &j) - expected).abs() < 1e-12);
        assert_eq!(ndcg_at(10, &ids(&["z", "x"]), &j), 0.0);
        // Beyond the cut-off nothing counts.
        let late: Vec<String> = (0..10)
            .map(|i| format!("x{i}"))
            .chain(ids(&["a"]))
            .collect();
        assert_eq!(ndcg_at(10, &late, &j), 0.0);
    }

    #[test]
    fn recall_counts_relevant_documents_only_once() {
        let j = judged(&[("a", 1), ("b", 1), ("c", 0)]);
        assert_eq!(recall_at(100, &ids(&["a", "a", "c"]), &j), 0.5);
        assert_eq!(recall_at(1, &ids(&["x", "a", "b"]), &j), 0.0);
        assert_eq!(recall_at(100, &ids(&["b", "a"]), &j), 1.0);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), 50.0);
        assert_eq!(percentile(&values, 99.0), 99.0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
    }

    #[test]
    fn loads_a_beir_folder_and_evaluates_only_judged_queries() -> io::Result<()> {
        let dir = std::env::temp_dir().join(format!("witzo-beir-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("qrels"))?;
        std::fs::write(
            dir.join("corpus.jsonl"),
            "{\"_id\":\"d1\",\"title\":\"Cats\",\"text\":\"Cats purr.\"}\n\
             {\"_id\":\"d2\",\"title\":\"\",\"text\":\"Dogs bark.\"}\n",
        )?;
        std::fs::write(
            dir.join("queries.jsonl"),
            "{\"_id\":\"q1\",\"text\":\"purring\"}\n{\"_id\":\"q2\",\"text\":\"barking\"}\n",
        )?;
        std::fs::write(
            dir.join("qrels").join("test.tsv"),
            "query-id\tcorpus-id\tscore\nq1\td1\t1\n",
        )?;
        let dataset = load(&dir, "test.tsv")?;
        std::fs::remove_dir_all(&dir)?;
        assert_eq!(dataset.corpus.len(), 2);
        assert_eq!(dataset.corpus[1].title, "");
        assert_eq!(dataset.queries.len(), 2);
        assert_eq!(dataset.qrels.len(), 1);
        let metrics = evaluate(&dataset, |query| {
            assert_eq!(query, "purring");
            ids(&["d2", "d1"])
        });
        assert_eq!(metrics.queries, 1);
        assert!((metrics.ndcg_at_10 - 1.0 / 3f64.log2()).abs() < 1e-12);
        assert_eq!(metrics.recall_at_100, 1.0);
        Ok(())
    }
}
