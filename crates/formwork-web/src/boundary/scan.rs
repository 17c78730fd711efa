//! Byte scans of what a request sends, before anything parses it: U+0000 (which PostgreSQL
//! cannot store in text or JSONB, so it must never get that far) and nesting depth (a deep
//! body costs every later recursive walk).

use percent_encoding::percent_decode;

/// Deepest JSON body accepted (arrays and objects inside each other).
pub const MAX_JSON_DEPTH: usize = 32;

/// What is wrong with a JSON body, found without parsing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonFault {
    /// A `\u0000` escape (raw control characters are already invalid JSON).
    Nul,
    TooDeep,
}

/// The first fault of a JSON text: one pass that follows strings and escapes only as far as
/// it must to tell a real `\u0000` escape from an escaped backslash followed by `u0000`.
pub fn json_fault(bytes: &[u8]) -> Option<JsonFault> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => {
                    if bytes.get(i + 1) == Some(&b'u') && is_nul_escape(&bytes[i + 2..]) {
                        return Some(JsonFault::Nul);
                    }
                    i += 1;
                }
                b'"' => in_string = false,
                0 => return Some(JsonFault::Nul),
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_JSON_DEPTH {
                        return Some(JsonFault::TooDeep);
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                0 => return Some(JsonFault::Nul),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

fn is_nul_escape(hex: &[u8]) -> bool {
    hex.len() >= 4 && hex[..4].iter().all(|c| *c == b'0')
}

/// Whether percent-encoded text (a path, a query, a form body) holds U+0000, encoded or raw.
pub fn encoded_has_nul(text: &[u8]) -> bool {
    text.contains(&0) || percent_decode(text).any(|b| b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_escape_is_found_but_an_escaped_backslash_is_not_one() {
        assert_eq!(json_fault(br#"{"a":"x\u0000"}"#), Some(JsonFault::Nul));
        assert_eq!(json_fault(br#"{"a\u0000":1}"#), Some(JsonFault::Nul));
        assert_eq!(json_fault(br#"["\\\u0000"]"#), Some(JsonFault::Nul));
        assert_eq!(json_fault(br#"{"a":"\\u0000"}"#), None);
        assert_eq!(json_fault(br#"{"a":"\u00001"}"#), Some(JsonFault::Nul));
        assert_eq!(json_fault(br#"{"a":"\u0001 \"[[[["}"#), None);
    }

    #[test]
    fn depth_counts_only_outside_strings() {
        let deep = "[".repeat(MAX_JSON_DEPTH + 1);
        assert_eq!(json_fault(deep.as_bytes()), Some(JsonFault::TooDeep));
        let ok = format!(
            "{}{}",
            "[".repeat(MAX_JSON_DEPTH),
            "]".repeat(MAX_JSON_DEPTH)
        );
        assert_eq!(json_fault(ok.as_bytes()), None);
        let quoted = format!("\"{}\"", "[".repeat(100));
        assert_eq!(json_fault(quoted.as_bytes()), None);
    }

    #[test]
    fn percent_encoded_nul_is_found() {
        assert!(encoded_has_nul(b"/api/v1/records/a%00b"));
        assert!(encoded_has_nul(b"q=%00"));
        assert!(!encoded_has_nul(b"q=%2500"));
        assert!(!encoded_has_nul("q=华东".as_bytes()));
    }
}
