//! Throughput of the embedders on ~200-word chunks.
//!
//! `cargo run --release -p witzo-embed --example embed_bench [-- <minilm_model_dir>]`

use std::path::PathBuf;
use std::time::Instant;

use witzo_embed::{Bert, Embedder, StaticEmbedder};

const WORDS: &[&str] = &[
    "the",
    "customer",
    "service",
    "team",
    "is",
    "available",
    "from",
    "monday",
    "to",
    "friday",
    "between",
    "nine",
    "and",
    "five",
    "o'clock",
    "please",
    "contact",
    "us",
    "by",
    "email",
    "or",
    "phone",
    "if",
    "you",
    "have",
    "questions",
    "about",
    "your",
    "order",
    "delivery",
    "returns",
    "refunds",
    "warranty",
    "pricing",
    "subscription",
    "account",
    "password",
    "reset",
    "shipping",
    "costs",
    "depend",
    "on",
    "destination",
    "weight",
    "of",
    "parcel",
    "we",
    "offer",
    "free",
    "installation",
    "for",
    "all",
    "products",
    "purchased",
    "in",
    "our",
    "store",
    "within",
    "30",
    "days",
    "receipt",
];

fn chunks(n: usize) -> Vec<String> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            let mut s = String::new();
            for i in 0..200 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                s.push_str(WORDS[(state % WORDS.len() as u64) as usize]);
                s.push(if i % 17 == 16 { '.' } else { ' ' });
                if i % 17 == 16 {
                    s.push(' ');
                }
            }
            s
        })
        .collect()
}

fn bench(name: &str, e: &dyn Embedder, texts: &[String]) {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let _ = e.embed_batch(&refs[..refs.len().min(8)]);
    let t = Instant::now();
    let out = e.embed_batch(&refs);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{name}: {} texts in {secs:.3}s = {:.0} texts/s ({} dims)",
        out.len(),
        out.len() as f64 / secs,
        e.dimensions()
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("threads: {}", rayon::current_num_threads());
    let t = Instant::now();
    let s = StaticEmbedder::builtin()?;
    println!(
        "builtin static table decoded in {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    bench(
        "static, ~200-word chunks (2 threads, embed_batch)",
        &s,
        &chunks(20_000),
    );
    let one = chunks(2_000);
    let t = Instant::now();
    for c in &one {
        std::hint::black_box(s.embed(c));
    }
    println!(
        "static (1 thread, embed): {:.0} chunks/s",
        one.len() as f64 / t.elapsed().as_secs_f64()
    );
    let short: Vec<String> = (0..200_000)
        .map(|i| format!("How do I reset my password for account {i}?"))
        .collect();
    bench("static, short sentences (2 threads)", &s, &short);

    if let Some(dir) = std::env::args().nth(1).map(PathBuf::from) {
        let bert = Bert::load(&dir, 256)?;
        bench(
            "transformer, ~200-word chunks (max 256 tokens)",
            &bert,
            &chunks(200),
        );
    } else {
        println!("transformer: skipped (pass the model directory as an argument)");
    }
    Ok(())
}
