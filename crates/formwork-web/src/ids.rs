//! Ids the caller names in a path, a query or a form. A malformed id names nothing, so it is
//! `NotFound` (404), exactly as a well-formed id that names nothing.

use std::str::FromStr;

use formwork_model::IdError;
use formwork_runtime::RuntimeError;

/// `text` as the id it should be, or `NotFound`.
pub(crate) fn named<T: FromStr<Err = IdError>>(text: &str) -> Result<T, RuntimeError> {
    text.parse()
        .map_err(|e: IdError| RuntimeError::NotFound(format!("{} {}", e.kind, e.shown)))
}
