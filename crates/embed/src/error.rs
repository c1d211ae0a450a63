//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while loading or writing an embedding model.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A model file does not exist or cannot be read.
    #[error("cannot read model file {path}: {source}")]
    MissingFile {
        /// The file that was looked for.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing a file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// `config.json` is malformed or describes an unsupported model.
    #[error("bad model config: {0}")]
    BadConfig(String),
    /// The vocabulary is empty or lacks a required special token.
    #[error("bad vocabulary: {0}")]
    BadVocab(String),
    /// The safetensors file could not be parsed.
    #[error("bad safetensors file: {0}")]
    BadSafetensors(String),
    /// A tensor the model needs is absent.
    #[error("tensor `{0}` is missing from the safetensors file")]
    MissingTensor(String),
    /// A tensor has an unexpected data type.
    #[error("tensor `{name}` has dtype {actual}, expected {expected}")]
    WrongDtype {
        /// Tensor name.
        name: String,
        /// Expected dtype.
        expected: &'static str,
        /// Dtype found in the file.
        actual: String,
    },
    /// A tensor has an unexpected shape.
    #[error("tensor `{name}` has shape {actual:?}, expected {expected:?}")]
    WrongShape {
        /// Tensor name.
        name: String,
        /// Expected shape.
        expected: Vec<usize>,
        /// Shape found in the file.
        actual: Vec<usize>,
    },
    /// An argument is out of range (e.g. more PCA dimensions than the model has).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl EmbedError {
    pub(crate) fn read(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> EmbedError + '_ {
        move |source| EmbedError::MissingFile {
            path: path.to_path_buf(),
            source,
        }
    }
}
