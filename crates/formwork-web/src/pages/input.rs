//! A submitted page form: `multipart/form-data` (so files can come along) or
//! `application/x-www-form-urlencoded`, read into name/value pairs and file parts.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};

use super::PageError;

/// One uploaded file part.
pub(crate) struct FilePart {
    /// The input's name (the attachment field's key).
    pub field: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// The fields and files of a submitted form.
#[derive(Default)]
pub(crate) struct Submitted {
    pub pairs: Vec<(String, String)>,
    pub files: Vec<FilePart>,
}

impl Submitted {
    /// The last value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

fn too_large() -> PageError {
    PageError::status(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
}

impl<S: Send + Sync> FromRequest<S> for Submitted {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
        if !multipart {
            let body = Bytes::from_request(req, state)
                .await
                .map_err(|_| too_large())?;
            let pairs = serde_urlencoded::from_bytes(&body)
                .map_err(|_| PageError::status(StatusCode::BAD_REQUEST, "bad_request"))?;
            return Ok(Submitted {
                pairs,
                files: Vec::new(),
            });
        }
        let mut form = Multipart::from_request(req, state)
            .await
            .map_err(|_| PageError::status(StatusCode::BAD_REQUEST, "bad_request"))?;
        let mut out = Submitted::default();
        while let Some(field) = form.next_field().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                PageError::status(StatusCode::BAD_REQUEST, "bad_request")
            }
        })? {
            let name = field.name().unwrap_or_default().to_owned();
            match field.file_name().map(str::to_owned) {
                Some(filename) => {
                    let bytes = field.bytes().await.map_err(|_| too_large())?;
                    // A file input left empty still sends a part without a name or bytes.
                    if !filename.is_empty() || !bytes.is_empty() {
                        out.files.push(FilePart {
                            field: name,
                            filename,
                            bytes: bytes.to_vec(),
                        });
                    }
                }
                None => {
                    let value = field.text().await.map_err(|_| too_large())?;
                    // PostgreSQL cannot store U+0000; refuse it here like every other way in.
                    if value.contains('\0') || name.contains('\0') {
                        return Err(PageError::status(StatusCode::BAD_REQUEST, "bad_request"));
                    }
                    out.pairs.push((name, value));
                }
            }
        }
        Ok(out)
    }
}
