//! Errors of the use cases, named for what the caller can do about them.

use formwork_model::validate::Problem;
use formwork_store::StoreError;

pub type RuntimeResult<T> = Result<T, RuntimeError>;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// Wrong username or password; deliberately does not say which.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// Too many failed sign-ins; try again after this many seconds.
    #[error("too many failed sign-ins")]
    Throttled { retry_after_secs: u64 },
    /// The account is suspended.
    #[error("account suspended")]
    Suspended,
    /// No valid session or token.
    #[error("not signed in")]
    Unauthenticated,
    /// Signed in, but not allowed to do this.
    #[error("forbidden")]
    Forbidden,
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// The thing is no longer in a state that allows this (a task already handled, a process
    /// that ended); `code` is the stable API code that says which, with its own message.
    #[error("conflict ({code}): {cause}")]
    StateConflict { code: &'static str, cause: String },
    /// The caller's copy is out of date (a revision moved on since they read it).
    #[error("stale: {0}")]
    Stale(String),
    /// The input cannot be read at all (e.g. broken JSON); the problem says where.
    #[error("malformed input: {}", problem.code)]
    Malformed { problem: Problem },
    /// The input is well-formed but breaks rules; each problem names where.
    #[error("invalid: {} problem(s)", problems.len())]
    Invalid { problems: Vec<Problem> },
    /// Something failed inside; the cause is for the logs.
    #[error("internal error: {0}")]
    Internal(String),
}

/// An id a published package (or the engine) names, as its type: a malformed one is a bug in
/// what was validated before publishing, not the caller's fault.
pub(crate) fn package_id<T>(parsed: Result<T, formwork_model::IdError>) -> RuntimeResult<T> {
    parsed.map_err(|e| RuntimeError::Internal(format!("published package: {e}")))
}

impl From<StoreError> for RuntimeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => RuntimeError::NotFound(what),
            StoreError::Conflict(what) => RuntimeError::Conflict(what),
            StoreError::Backend(cause) => RuntimeError::Internal(cause),
        }
    }
}
