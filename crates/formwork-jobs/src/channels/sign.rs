//! HMAC-SHA256, the one signature every channel here uses.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// HMAC-SHA256 of `parts` (concatenated) under `key`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// A short, non-secret name for a secret-bearing URL (rate-limit keys, logs).
pub(crate) fn fingerprint(secret_bearing: &str) -> String {
    use sha2::Digest;
    hex::encode(&Sha256::digest(secret_bearing.as_bytes())[..8])
}
