//! Reading a response body under a size cap.

use super::FetchError;

/// Reads the body, stopping with [`FetchError::TooLarge`] as soon as it exceeds `max`.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, FetchError> {
    if let Some(len) = response.content_length()
        && len > max as u64
    {
        return Err(FetchError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > max {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
