//! HMAC-SHA256, the one signature every channel here uses (shared with inbound hooks).

pub(crate) use formwork_runtime::signature::{fingerprint, hmac_sha256};
