//! The one error type of the persistence API, named for what the caller can do.

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row the call names does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A unique key is taken, or an expected revision no longer matches.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed or could not be reached; the cause is for logs only.
    #[error("database error: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn backend(e: impl std::fmt::Display) -> Self {
        StoreError::Backend(e.to_string())
    }
}
