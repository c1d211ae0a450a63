//! Tests that need the all-MiniLM-L6-v2 model directory.
//!
//! The directory comes from `WITZO_TEST_MINILM_DIR`, else
//! `/root/.cache/witzo/models/all-MiniLM-L6-v2` if it exists. Without it the
//! tests are skipped — unless `CI` is set, in which case they fail.

use std::path::PathBuf;
use std::sync::OnceLock;

use witzo_embed::{Bert, Embedder, dot};

const DEFAULT_DIR: &str = "/root/.cache/witzo/models/all-MiniLM-L6-v2";

fn model_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WITZO_TEST_MINILM_DIR") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "WITZO_TEST_MINILM_DIR={} is not a directory",
            dir.display()
        );
        return Some(dir);
    }
    let dir = PathBuf::from(DEFAULT_DIR);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but the all-MiniLM-L6-v2 model directory is missing: set WITZO_TEST_MINILM_DIR or populate {DEFAULT_DIR}"
    );
    eprintln!("SKIPPED: no all-MiniLM-L6-v2 directory (set WITZO_TEST_MINILM_DIR)");
    None
}

fn bert() -> Option<&'static Bert> {
    static BERT: OnceLock<Bert> = OnceLock::new();
    let dir = model_dir()?;
    Some(BERT.get_or_init(|| match Bert::load(&dir, 256) {
        Ok(b) => b,
        Err(e) => panic!("loading {}: {e}", dir.display()),
    }))
}

#[test]
fn sentence_transformers_reference_similarities() {
    let Some(bert) = bert() else { return };
    let v = bert.embed_batch(&[
        "The weather is lovely today.",
        "It's so sunny outside!",
        "He drove to the stadium.",
    ]);
    assert_eq!(bert.dimensions(), 384);
    assert_eq!(bert.model_id(), "all-MiniLM-L6-v2");
    let (s12, s13, s23) = (dot(&v[0], &v[1]), dot(&v[0], &v[2]), dot(&v[1], &v[2]));
    eprintln!("similarities: {s12:.4} {s13:.4} {s23:.4}");
    assert!((s12 - 0.6660).abs() < 0.005, "1-2: {s12}");
    assert!((s13 - 0.1046).abs() < 0.005, "1-3: {s13}");
    assert!((s23 - 0.1411).abs() < 0.005, "2-3: {s23}");
    for x in &v {
        assert!((dot(x, x) - 1.0).abs() < 1e-4);
    }
}

#[test]
fn batching_does_not_change_results() {
    let Some(bert) = bert() else { return };
    let texts = [
        "short",
        "a somewhat longer sentence about business hours and prices",
        "",
    ];
    let together = bert.embed_batch(&texts);
    for (t, v) in texts.iter().zip(&together) {
        let alone = bert.embed_batch(&[t]);
        assert!(dot(&alone[0], v) > 0.99999, "{t:?}");
    }
}

#[test]
fn long_input_is_truncated() {
    let Some(bert) = bert() else { return };
    let long = "word ".repeat(5000);
    assert_eq!(bert.tokenize(&long).len(), 254);
    let v = bert.embed_batch(&[&long]);
    assert_eq!(v[0].len(), 384);
    let out_of_range = bert.embed_tokens(&[vec![u32::MAX, 5, 1_000_000]]);
    assert_eq!(out_of_range[0].len(), 384);
}

#[test]
fn distillation_subset_is_deterministic() {
    let Some(bert) = bert() else { return };
    let a = witzo_embed::distill_first(bert, 2000, 32).map_err(|e| e.to_string());
    let b = witzo_embed::distill_first(bert, 2000, 32).map_err(|e| e.to_string());
    let (a, b) = (
        a.and_then(|t| t.to_safetensors_bytes().map_err(|e| e.to_string())),
        b.and_then(|t| t.to_safetensors_bytes().map_err(|e| e.to_string())),
    );
    assert_eq!(a, b);
    assert!(a.is_ok());
}

#[test]
fn full_distillation_reproduces_builtin_table() {
    let Some(bert) = bert() else { return };
    let t0 = std::time::Instant::now();
    let table = match witzo_embed::distill(bert, 256) {
        Ok(t) => t,
        Err(e) => panic!("distill: {e}"),
    };
    let bytes = match table.to_safetensors_bytes() {
        Ok(b) => b,
        Err(e) => panic!("serialise: {e}"),
    };
    eprintln!("full distillation took {:.1}s", t0.elapsed().as_secs_f64());
    let committed = include_bytes!("../model/minilm-l6-v2-static-256.safetensors");
    assert!(
        bytes.as_slice() == committed.as_slice(),
        "distilled table differs from model/minilm-l6-v2-static-256.safetensors"
    );
}
