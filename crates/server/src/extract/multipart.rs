//! Reading an upload form (`multipart/form-data`) under one set of rules:
//! the files of one field, each capped, and the short text fields beside
//! them. Documents, logos and Q&A imports are all read here.

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// How one upload form is read.
struct UploadRules {
    /// The field that carries the files.
    field: &'static str,
    /// The most bytes one file may have.
    max_bytes: usize,
    /// The most files kept; one more is read so callers can refuse the
    /// upload as having too many.
    max_files: usize,
    /// What a refused file is told (`413 payload_too_large`).
    too_large: &'static str,
}

/// Documents to train on: up to 10 `files` of 10 MB.
const DOCUMENTS: UploadRules = UploadRules {
    field: "files",
    max_bytes: witzo_app::training::service::MAX_FILE_BYTES,
    max_files: witzo_app::training::service::MAX_FILES,
    too_large: "files must be at most 10 MB.",
};

/// A widget's logo: one `logo` image of 256 KiB.
const LOGO: UploadRules = UploadRules {
    field: "logo",
    max_bytes: witzo_app::widgets::logo::MAX_LOGO_BYTES,
    max_files: 1,
    too_large: "The logo must be at most 256 KB.",
};

/// A Q&A import: one CSV `file` of 1 MB (and a `replace` flag).
const QA_IMPORT: UploadRules = UploadRules {
    field: "file",
    max_bytes: witzo_app::qa::sheet::MAX_IMPORT_BYTES,
    max_files: 1,
    too_large: "The file must be at most 1 MB.",
};

/// What an upload form sent.
#[derive(Debug, Default)]
struct Upload {
    /// (file name, bytes) of each file of the rules' field, in order.
    files: Vec<(String, Vec<u8>)>,
    /// The other fields, as text.
    texts: Vec<(String, String)>,
}

/// The longest text field kept beside the files.
const MAX_TEXT_BYTES: usize = 1024;

impl Upload {
    /// The one file the form needs, or `missing` with `code`.
    fn single(self, rules: &UploadRules, code: ErrorCode, missing: &str) -> ApiResult<Vec<u8>> {
        self.files
            .into_iter()
            .next()
            .map(|(_, bytes)| bytes)
            .ok_or_else(|| ApiError::new(code, missing).field(rules.field))
    }

    /// Whether checkbox-like field `name` was sent as `true` or `on`.
    fn flag(&self, name: &str) -> bool {
        self.texts
            .iter()
            .any(|(field, value)| field == name && matches!(value.trim(), "true" | "on"))
    }
}

/// The documents of an upload form (`files`), each at most 10 MB; one
/// more than the allowed count is read so the caller can refuse them.
pub async fn documents(multipart: Multipart) -> ApiResult<Vec<(String, Vec<u8>)>> {
    Ok(read_upload(multipart, &DOCUMENTS).await?.files)
}

/// The logo of an upload form (`logo`, at most 256 KiB).
pub async fn logo(multipart: Multipart) -> ApiResult<Vec<u8>> {
    read_upload(multipart, &LOGO).await?.single(
        &LOGO,
        ErrorCode::ValidationFailed,
        "Choose an image to upload.",
    )
}

/// A Q&A import: the CSV `file` (at most 1 MB) and whether it `replace`s
/// the widget's pairs.
pub async fn qa_import(multipart: Multipart) -> ApiResult<(Vec<u8>, bool)> {
    let upload = read_upload(multipart, &QA_IMPORT).await?;
    let replace = upload.flag("replace");
    Ok((
        upload.single(
            &QA_IMPORT,
            ErrorCode::MissingField,
            "Choose a CSV file to import.",
        )?,
        replace,
    ))
}

/// Reads `multipart` under `rules`.
async fn read_upload(mut multipart: Multipart, rules: &UploadRules) -> ApiResult<Upload> {
    let refuse = |err: MultipartError| {
        if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(rules)
        } else {
            ApiError::new(ErrorCode::ValidationFailed, err.body_text()).field(rules.field)
        }
    };
    let mut upload = Upload::default();
    while let Some(mut field) = multipart.next_field().await.map_err(refuse)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != rules.field {
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(refuse)? {
                if text.len() + chunk.len() > MAX_TEXT_BYTES {
                    return Err(ApiError::new(
                        ErrorCode::ValidationFailed,
                        format!("{name} is too long."),
                    )
                    .field(name));
                }
                text.extend_from_slice(&chunk);
            }
            upload
                .texts
                .push((name, String::from_utf8_lossy(&text).into_owned()));
            continue;
        }
        let file_name = field.file_name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(refuse)? {
            if bytes.len() + chunk.len() > rules.max_bytes {
                let refused = too_large(rules);
                return Err(match file_name.as_str() {
                    "" => refused,
                    name => ApiError::new(
                        ErrorCode::PayloadTooLarge,
                        format!("{name}: {}", rules.too_large),
                    )
                    .field(rules.field),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        upload.files.push((file_name, bytes));
        if upload.files.len() > rules.max_files {
            break;
        }
    }
    Ok(upload)
}

fn too_large(rules: &UploadRules) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge, rules.too_large).field(rules.field)
}
