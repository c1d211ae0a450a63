//! The static (Model2Vec-style) embedder: one precomputed vector per
//! vocabulary token; a text's embedding is the L2-normalised mean of its
//! tokens' rows.

use std::path::Path;

use half::f16;
use rayon::prelude::*;
use safetensors::{Dtype, SafeTensors};

use crate::wordpiece::WordPiece;
use crate::{EmbedError, Embedder, l2_normalize};

/// Name of the single tensor in a static table's safetensors file.
pub const TENSOR_NAME: &str = "embeddings";

/// Stable id of the built-in table.
pub const BUILTIN_MODEL_ID: &str = "witzo-static-minilm-l6-v2-256";

/// At most this many word pieces of a text are embedded.
pub const MAX_TOKENS: usize = 512;

static BUILTIN_TABLE: &[u8] = include_bytes!("../model/minilm-l6-v2-static-256.safetensors");
static BUILTIN_VOCAB: &str = include_str!("../model/vocab.txt");

/// A `vocab_size × dims` table of f32 rows (stored on disk as f16).
#[derive(Debug, Clone, PartialEq)]
pub struct StaticTable {
    vocab_size: usize,
    dims: usize,
    data: Vec<f32>,
}

impl StaticTable {
    /// Wraps row-major data; `data.len()` must be `vocab_size * dims`.
    pub fn new(vocab_size: usize, dims: usize, data: Vec<f32>) -> Result<Self, EmbedError> {
        if vocab_size.checked_mul(dims) != Some(data.len()) {
            return Err(EmbedError::InvalidArgument(format!(
                "table data has {} values, expected {vocab_size} × {dims}",
                data.len()
            )));
        }
        Ok(Self {
            vocab_size,
            dims,
            data,
        })
    }

    /// Number of rows.
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// Row length.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Row `id`, if in range.
    pub fn row(&self, id: usize) -> Option<&[f32]> {
        self.data.get(id * self.dims..(id + 1) * self.dims)
    }

    /// The table rounded to f16, as an in-memory safetensors file with one
    /// tensor `embeddings` of shape `[vocab_size, dims]` (deterministic bytes).
    pub fn to_safetensors_bytes(&self) -> Result<Vec<u8>, EmbedError> {
        let bytes: Vec<u8> = self
            .data
            .iter()
            .flat_map(|&v| f16::from_f32(v).to_le_bytes())
            .collect();
        let view = safetensors::tensor::TensorView::new(
            Dtype::F16,
            vec![self.vocab_size, self.dims],
            &bytes,
        )
        .map_err(|e| EmbedError::BadSafetensors(e.to_string()))?;
        safetensors::serialize([(TENSOR_NAME, view)], &None)
            .map_err(|e| EmbedError::BadSafetensors(e.to_string()))
    }

    /// Writes [`StaticTable::to_safetensors_bytes`] to `path`.
    pub fn write_safetensors(&self, path: &Path) -> Result<(), EmbedError> {
        let bytes = self.to_safetensors_bytes()?;
        std::fs::write(path, bytes).map_err(|source| EmbedError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Parses a safetensors file holding an `embeddings` tensor (F16 or F32, 2-D).
    pub fn from_safetensors_bytes(bytes: &[u8]) -> Result<Self, EmbedError> {
        let st = SafeTensors::deserialize(bytes)
            .map_err(|e| EmbedError::BadSafetensors(e.to_string()))?;
        let view = st
            .tensor(TENSOR_NAME)
            .map_err(|_| EmbedError::MissingTensor(TENSOR_NAME.into()))?;
        let &[vocab_size, dims] = view.shape() else {
            return Err(EmbedError::WrongShape {
                name: TENSOR_NAME.into(),
                expected: vec![0, 0],
                actual: view.shape().to_vec(),
            });
        };
        let data: Vec<f32> = match view.dtype() {
            Dtype::F16 => view
                .data()
                .chunks_exact(2)
                .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            Dtype::F32 => view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            other => {
                return Err(EmbedError::WrongDtype {
                    name: TENSOR_NAME.into(),
                    expected: "F16 or F32",
                    actual: format!("{other:?}"),
                });
            }
        };
        Self::new(vocab_size, dims, data)
    }

    /// Reads a table written by [`StaticTable::write_safetensors`].
    pub fn load_safetensors(path: &Path) -> Result<Self, EmbedError> {
        let bytes = std::fs::read(path).map_err(EmbedError::read(path))?;
        Self::from_safetensors_bytes(&bytes)
    }
}

/// Embeds text as the normalised mean of per-token static vectors.
#[derive(Debug, Clone)]
pub struct StaticEmbedder {
    tokenizer: WordPiece,
    table: StaticTable,
    model_id: String,
    /// Ids that never contribute: `[UNK]`, `[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`.
    skip: [u32; 5],
}

impl StaticEmbedder {
    /// The table compiled into the binary (`witzo-static-minilm-l6-v2-256`:
    /// all-MiniLM-L6-v2 distilled to 256 dimensions). Decodes ~15 MB of f16;
    /// call once and share (e.g. in a `OnceLock` or `Arc`).
    pub fn builtin() -> Result<Self, EmbedError> {
        let table = StaticTable::from_safetensors_bytes(BUILTIN_TABLE)?;
        Self::from_parts(table, BUILTIN_VOCAB, BUILTIN_MODEL_ID)
    }

    /// Builds an embedder from a table and the text of its `vocab.txt`.
    pub fn from_parts(
        table: StaticTable,
        vocab_text: &str,
        model_id: impl Into<String>,
    ) -> Result<Self, EmbedError> {
        let tokenizer = WordPiece::from_vocab_text(vocab_text)?;
        if tokenizer.vocab_size() != table.vocab_size() {
            return Err(EmbedError::BadVocab(format!(
                "vocabulary has {} tokens but the table has {} rows",
                tokenizer.vocab_size(),
                table.vocab_size()
            )));
        }
        let sp = tokenizer.special_ids();
        let mask = tokenizer.token_id("[MASK]").unwrap_or(sp.unk);
        Ok(Self {
            skip: [sp.unk, sp.cls, sp.sep, sp.pad, mask],
            tokenizer,
            table,
            model_id: model_id.into(),
        })
    }

    /// Loads a table file and a `vocab.txt` from disk.
    pub fn load(
        table_path: &Path,
        vocab_path: &Path,
        model_id: impl Into<String>,
    ) -> Result<Self, EmbedError> {
        let table = StaticTable::load_safetensors(table_path)?;
        let vocab = std::fs::read_to_string(vocab_path).map_err(EmbedError::read(vocab_path))?;
        Self::from_parts(table, &vocab, model_id)
    }

    /// The underlying table.
    pub fn table(&self) -> &StaticTable {
        &self.table
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &WordPiece {
        &self.tokenizer
    }

    /// Embeds one text (first [`MAX_TOKENS`] word pieces). Returns the
    /// all-zero vector when no token is known.
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let mut ids = Vec::new();
        self.embed_with(text, &mut ids)
    }

    fn embed_with(&self, text: &str, ids: &mut Vec<u32>) -> Vec<f32> {
        self.tokenizer.encode_into(text, MAX_TOKENS, ids);
        let mut acc = vec![0f32; self.table.dims()];
        for &id in ids.iter() {
            if self.skip.contains(&id) {
                continue;
            }
            if let Some(row) = self.table.row(id as usize) {
                for (a, v) in acc.iter_mut().zip(row) {
                    *a += v;
                }
            }
        }
        l2_normalize(&mut acc);
        acc
    }
}

impl Embedder for StaticEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dimensions(&self) -> usize {
        self.table.dims()
    }

    fn embed_batch(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        if texts.len() < 16 {
            let mut ids = Vec::new();
            return texts.iter().map(|t| self.embed_with(t, &mut ids)).collect();
        }
        texts
            .par_iter()
            .map_init(Vec::new, |ids, t| self.embed_with(t, ids))
            .collect()
    }
}
