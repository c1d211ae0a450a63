//! Lexical (BM25) retrieval on a BEIR benchmark.
//!
//! ```text
//! cargo run --release -p witzo-retrieval --example beir_lexical -- \
//!     [--data /work/shared/bench/scifact] [--qrels test.tsv] [--k1 0.9 --b 0.4]
//! ```
//!
//! Without `--qrels` it evaluates `test.tsv` and then `holdout.tsv`.

use std::path::PathBuf;
use std::time::Instant;

use witzo_retrieval::beir;
use witzo_retrieval::lexical::{Bm25Params, LexicalIndex};

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut data = PathBuf::from("/work/shared/bench/scifact");
    let mut splits = Vec::new();
    let mut params = Bm25Params::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--data" => data = PathBuf::from(value()?),
            "--qrels" => splits.push(value()?),
            "--k1" => params.k1 = value()?.parse()?,
            "--b" => params.b = value()?.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if splits.is_empty() {
        splits = vec!["test.tsv".to_owned(), "holdout.tsv".to_owned()];
    }
    for split in &splits {
        let dataset = beir::load(&data, split)?;
        let start = Instant::now();
        let index = LexicalIndex::build_with(
            dataset
                .corpus
                .iter()
                .enumerate()
                .map(|(i, doc)| (i as u32, format!("{} {}", doc.title, doc.text))),
            params,
        );
        let build = start.elapsed();
        let metrics = beir::evaluate(&dataset, |query| {
            index
                .search(query, 100)
                .into_iter()
                .filter_map(|(i, _)| dataset.corpus.get(i as usize).map(|d| d.id.clone()))
                .collect()
        });
        println!(
            "{split} (k1={} b={}, {} docs, {} terms, built in {:.0} ms, index ~{:.1} MiB, peak RSS {} KiB, {} queries)",
            params.k1,
            params.b,
            index.len(),
            index.vocabulary_len(),
            build.as_secs_f64() * 1000.0,
            index.heap_bytes() as f64 / (1024.0 * 1024.0),
            peak_rss_kib().unwrap_or(0),
            metrics.queries,
        );
        println!(
            "lexical nDCG@10={:.4} Recall@100={:.4} p50={:.3}ms p99={:.3}ms",
            metrics.ndcg_at_10, metrics.recall_at_100, metrics.p50_ms, metrics.p99_ms
        );
    }
    Ok(())
}
