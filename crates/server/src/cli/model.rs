//! `witzo model distill`: reproduces the built-in static embedding table.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use witzo_embed::{Bert, distill as distil_table};

/// Word pieces a token's forward pass needs: `[CLS] token [SEP]`.
const DISTILL_SEQ_LEN: usize = 8;

pub(super) fn distill(from: &Path, out: &Path, dims: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    let bert = Bert::load(from, DISTILL_SEQ_LEN)
        .with_context(|| format!("loading the model in {}", from.display()))?;
    eprintln!(
        "distilling {} tokens of {} into {dims} dimensions…",
        bert.vocab_size(),
        from.display()
    );
    let table = distil_table(&bert, dims).context("distilling")?;
    table
        .write_safetensors(out)
        .with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "wrote {} ({} × {}) in {:.1} s",
        out.display(),
        table.vocab_size(),
        table.dims(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
