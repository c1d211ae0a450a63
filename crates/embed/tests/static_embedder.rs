//! Tests of the built-in static embedder (no model directory needed).

use std::sync::OnceLock;

use witzo_embed::{BUILTIN_MODEL_ID, Embedder, StaticEmbedder, StaticTable, dot};

fn embedder() -> &'static StaticEmbedder {
    static E: OnceLock<StaticEmbedder> = OnceLock::new();
    E.get_or_init(|| match StaticEmbedder::builtin() {
        Ok(e) => e,
        Err(e) => panic!("builtin table: {e}"),
    })
}

#[test]
fn builtin_table_loads() {
    let e = embedder();
    assert_eq!(e.table().vocab_size(), 30522);
    assert_eq!(e.table().dims(), 256);
    assert_eq!(e.dimensions(), 256);
    assert_eq!(e.model_id(), BUILTIN_MODEL_ID);
    assert_eq!(e.model_id(), "witzo-static-minilm-l6-v2-256");
}

#[test]
fn paraphrases_beat_unrelated() {
    let e = embedder();
    let v = e.embed_batch(&[
        "How do I reset my password?",
        "I forgot my login credentials",
        "What are your opening hours?",
    ]);
    let para = dot(&v[0], &v[1]);
    let unrelated_a = dot(&v[0], &v[2]);
    let unrelated_b = dot(&v[1], &v[2]);
    eprintln!("paraphrase {para:.3}, unrelated {unrelated_a:.3} / {unrelated_b:.3}");
    assert!(para > unrelated_a && para > unrelated_b);
    for x in &v {
        assert!((dot(x, x) - 1.0).abs() < 1e-4);
    }
}

#[test]
fn empty_and_unknown_text_gives_zero_vector() {
    let e = embedder();
    for text in ["", "   \n\t ", "🍕🚀", "\u{0}\u{7}"] {
        let v = e.embed(text);
        assert_eq!(v.len(), 256);
        assert!(v.iter().all(|x| *x == 0.0), "{text:?}");
    }
}

#[test]
fn batch_equals_single() {
    let e = embedder();
    let texts: Vec<String> = (0..40)
        .map(|i| format!("document number {i} about pricing"))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let batch = e.embed_batch(&refs);
    for (t, v) in refs.iter().zip(&batch) {
        assert_eq!(&e.embed(t), v);
    }
}

#[test]
fn hostile_input_never_panics() {
    let e = embedder();
    let huge_word = "a".repeat(10 * 1024 * 1024);
    let huge_spaced = "ab ".repeat(3 * 1024 * 1024);
    let huge_cjk = "中".repeat(1024 * 1024);
    let controls: String = (0u32..0x20)
        .chain(0x7f..0xa0)
        .filter_map(char::from_u32)
        .collect();
    let marks = "\u{301}\u{302}\u{303}\u{308}".repeat(1000);
    let mixed = format!("{marks} e\u{301} {controls} \u{feff}\u{200d}\u{fffd} \u{10ffff} \u{e000}");
    for text in [
        huge_word.as_str(),
        huge_spaced.as_str(),
        huge_cjk.as_str(),
        controls.as_str(),
        marks.as_str(),
        mixed.as_str(),
    ] {
        let v = e.embed(text);
        assert_eq!(v.len(), 256);
        assert!(v.iter().all(|x| x.is_finite()));
    }
}

#[test]
fn table_round_trips_through_safetensors() {
    let table = match StaticTable::new(3, 2, vec![0.5, -1.0, 0.25, 2.0, 0.0, 65504.0]) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let dir = std::env::temp_dir().join(format!("witzo-embed-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    let path = dir.join("t.safetensors");
    assert!(table.write_safetensors(&path).is_ok());
    let back = StaticTable::load_safetensors(&path).map_err(|e| e.to_string());
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(back, Ok(table));
}

#[test]
fn bad_files_are_errors() {
    assert!(StaticTable::from_safetensors_bytes(b"not a safetensors file").is_err());
    assert!(StaticTable::from_safetensors_bytes(&[]).is_err());
    assert!(
        StaticTable::load_safetensors(std::path::Path::new("/nonexistent/x.safetensors")).is_err()
    );
    assert!(witzo_embed::Bert::load(std::path::Path::new("/nonexistent"), 256).is_err());
    assert!(witzo_embed::WordPiece::from_vocab_text("").is_err());
    assert!(witzo_embed::WordPiece::from_vocab_text("a\nb\n").is_err());
}
