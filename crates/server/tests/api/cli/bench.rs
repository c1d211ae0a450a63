//! `witzo bench retrieval` and `witzo bench index`: their lines on standard
//! output, or one JSON object per line with `--json`. (Benchmarks open no
//! configured database; `bench answers` is in `tests/api/bench.rs`.)

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::Workdir;

/// A two-document BEIR folder with one judged query.
fn beir(dir: &Path) -> PathBuf {
    let beir = dir.join("beir");
    std::fs::create_dir_all(beir.join("qrels")).unwrap();
    std::fs::write(
        beir.join("corpus.jsonl"),
        "{\"_id\":\"d1\",\"title\":\"Opening hours\",\"text\":\"The shop opens at nine.\"}\n\
         {\"_id\":\"d2\",\"title\":\"Shipping\",\"text\":\"We ship across Europe.\"}\n",
    )
    .unwrap();
    std::fs::write(
        beir.join("queries.jsonl"),
        "{\"_id\":\"q1\",\"text\":\"when does the shop open\"}\n",
    )
    .unwrap();
    std::fs::write(
        beir.join("qrels/test.tsv"),
        "query-id\tcorpus-id\tscore\nq1\td1\t1\n",
    )
    .unwrap();
    beir
}

const MODEL: &str = "witzo-static-minilm-l6-v2-256";

/// `value` without the fields that are timings.
fn untimed(mut value: Value, timings: &[&str]) -> Value {
    for key in timings {
        let field = value.as_object_mut().unwrap().remove(*key);
        assert!(
            field.is_some_and(|f| f.as_f64().is_some_and(|t| t >= 0.0)),
            "{key} in {value}"
        );
    }
    value
}

#[test]
fn bench_retrieval_reports_quality_and_latency_for_a_beir_folder() {
    let w = Workdir::sqlite();
    let beir = beir(w.path());
    let run = w.ok(&["bench", "retrieval", "--beir", beir.to_str().unwrap()]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{run:?}");
    for (line, mode) in lines.iter().zip(["lexical", "vector", "hybrid"]) {
        assert!(
            line.starts_with(&format!("{mode:<8} nDCG@10=1.0000 Recall@100=1.0000 p50=")),
            "{run:?}"
        );
        assert!(line.ends_with("ms (1 queries)"), "{run:?}");
    }
    assert!(
        lines[3].starts_with(&format!("embedder {MODEL} (256 dims): 2 documents in ")),
        "{run:?}"
    );
    assert!(!w.path().join("data").exists(), "no database opened");
}

#[test]
fn bench_retrieval_json_prints_one_object_per_line() {
    let w = Workdir::sqlite();
    let beir = beir(w.path());
    let lines = w
        .ok(&[
            "bench",
            "retrieval",
            "--beir",
            beir.to_str().unwrap(),
            "--json",
        ])
        .json_lines();
    assert_eq!(lines.len(), 4, "{lines:?}");
    for (line, mode) in lines.iter().zip(["lexical", "vector", "hybrid"]) {
        assert_eq!(
            untimed(line.clone(), &["p50_ms", "p99_ms"]),
            json!({"kind": "mode", "mode": mode, "ndcg_at_10": 1.0, "recall_at_100": 1.0,
                "queries": 1})
        );
    }
    let timings = [
        "seconds",
        "documents_per_second",
        "question_p50_ms",
        "question_p99_ms",
        "bm25_ms",
    ];
    assert_eq!(
        untimed(lines[3].clone(), &timings),
        json!({"kind": "embedder", "model": MODEL, "dims": 256, "documents": 2,
            "fusion": "weighted(dense=0.2)"})
    );
}

#[test]
fn bench_index_prints_the_embedder_and_a_line_per_size() {
    let w = Workdir::sqlite();
    let beir = beir(w.path());
    let beir = beir.to_str().unwrap();
    let text = w.ok(&["bench", "index", "--beir", beir, "--chunks", "4,8"]);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{text:?}");
    assert!(
        lines[0].starts_with(&format!("embedder {MODEL}: 8 chunks in ")),
        "{text:?}"
    );
    assert!(
        lines[1].starts_with("      4 chunks: cold build "),
        "{text:?}"
    );
    assert!(
        lines[2].starts_with("      8 chunks: cold build "),
        "{text:?}"
    );

    let lines = w
        .ok(&[
            "bench", "index", "--beir", beir, "--chunks", "4,8", "--json",
        ])
        .json_lines();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(
        untimed(lines[0].clone(), &["seconds", "chunks_per_second"]),
        json!({"kind": "embedder", "model": MODEL, "chunks": 8})
    );
    for (line, chunks) in lines[1..].iter().zip([4, 8]) {
        assert_eq!(
            untimed(line.clone(), &["build_ms", "heap_mb", "p50_ms", "p99_ms"]),
            json!({"kind": "index", "chunks": chunks})
        );
    }
}
