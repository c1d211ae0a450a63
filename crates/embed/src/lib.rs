//! Text embedders for Witzo.
//!
//! * [`StaticEmbedder`] — a Model2Vec-style static table compiled into the
//!   binary ([`StaticEmbedder::builtin`]): no downloads, tens of thousands of
//!   chunks per second.
//! * [`Bert`] — an optional local transformer (sentence-transformers
//!   `all-MiniLM-L6-v2` or another BERT) loaded from a model directory.
//! * [`distill`] — turns a [`Bert`] into a [`StaticTable`] (how the built-in
//!   table was made).
//!
//! Every embedder returns L2-normalised vectors, so cosine similarity is a dot
//! product.
//!
//! ```
//! use witzo_embed::{Embedder, StaticEmbedder, dot};
//!
//! let model = StaticEmbedder::builtin()?;
//! let v = model.embed_batch(&["How do I reset my password?", "I forgot my login credentials"]);
//! assert_eq!(v[0].len(), model.dimensions());
//! assert!(dot(&v[0], &v[1]) > 0.3);
//! # Ok::<(), witzo_embed::EmbedError>(())
//! ```

mod bert;
mod distill;
mod error;
mod static_model;
mod wordpiece;

pub use bert::Bert;
pub use distill::{distill, distill_first};
pub use error::EmbedError;
pub use static_model::{BUILTIN_MODEL_ID, MAX_TOKENS, StaticEmbedder, StaticTable};
pub use wordpiece::{SpecialIds, WordPiece};

/// A text embedding model.
pub trait Embedder: Send + Sync {
    /// A stable name of the model, stored beside every vector so that vectors
    /// from different models are never compared (e.g.
    /// `witzo-static-minilm-l6-v2-256`, `all-MiniLM-L6-v2`).
    fn model_id(&self) -> &str;

    /// Length of the produced vectors.
    fn dimensions(&self) -> usize;

    /// Embeds each text; vectors are L2-normalised (or all-zero when a text has
    /// no known token).
    fn embed_batch(&self, texts: &[&str]) -> Vec<Vec<f32>>;
}

/// Scales `v` to unit length in place; leaves an all-zero vector unchanged.
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v
        .iter()
        .map(|x| f64::from(*x) * f64::from(*x))
        .sum::<f64>()
        .sqrt();
    if norm > 0.0 && norm.is_finite() {
        let inv = (1.0 / norm) as f32;
        v.iter_mut().for_each(|x| *x *= inv);
    }
}

/// Dot product (= cosine similarity for normalised vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
