//! The admin's list of internal hosts outbound requests may reach (an on-premise ERP, a local
//! mail relay). An entry is `host` (any port) or `host:port`; IPv6 literals are written
//! `[::1]:8080` or bare `::1`. Only the host as written in the URL is matched, so a public name
//! that happens to resolve to an internal address is still refused.

use crate::net::error::NetError;

/// Named hosts (or IP literals) allowed to resolve to internal addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    host: String,
    port: Option<u16>,
}

impl Allowlist {
    /// Parses entries as an admin writes them (config, admin page); blank entries are skipped.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, NetError> {
        let mut out = Vec::with_capacity(entries.len());
        for raw in entries {
            let raw = raw.as_ref().trim();
            if raw.is_empty() {
                continue;
            }
            out.push(parse_entry(raw).ok_or_else(|| NetError::BadAllowlistEntry {
                entry: raw.to_owned(),
            })?);
        }
        Ok(Self { entries: out })
    }

    /// Whether `host` (as in a URL: a name, an IPv4 literal or a bracketed IPv6 literal) on
    /// `port` is listed.
    pub fn permits(&self, host: &str, port: u16) -> bool {
        let host = normalize(host);
        self.entries
            .iter()
            .any(|e| e.host == host && e.port.is_none_or(|p| p == port))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn parse_entry(raw: &str) -> Option<Entry> {
    let (host, port) = if let Some(rest) = raw.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?.parse().ok()?)),
        }
    } else if raw.matches(':').count() > 1 {
        (raw, None)
    } else {
        match raw.split_once(':') {
            Some((host, port)) => (host, Some(port.parse().ok()?)),
            None => (raw, None),
        }
    };
    let host = normalize(host);
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
    valid.then_some(Entry { host, port })
}

/// Lower case, no IPv6 brackets, no trailing dot; IP literals in their canonical form (as URLs
/// hold them).
fn normalize(host: &str) -> String {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => host.trim_end_matches('.').to_ascii_lowercase(),
    }
}
