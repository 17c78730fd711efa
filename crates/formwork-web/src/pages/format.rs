//! Small formatting for people: instants in Beijing time, statuses, sizes, counts.

use time::{OffsetDateTime, UtcOffset};

use crate::i18n::Lang;

/// Asia/Shanghai has no daylight saving time, so a fixed offset is exact.
pub(crate) fn beijing() -> UtcOffset {
    UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// `2026-11-22 10:08` in Beijing time.
pub(crate) fn instant(t: OffsetDateTime) -> String {
    let t = t.to_offset(beijing());
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// A record's or instance's status in words.
pub(crate) fn status(lang: Lang, status: impl Into<String>) -> String {
    let status: String = status.into();
    let key = match status.as_str() {
        "draft" => "status.draft",
        "submitted" => "status.submitted",
        "running" => "status.running",
        "in_review" => "status.in_review",
        "approved" => "status.approved",
        "rejected" => "status.rejected",
        "returned" => "status.returned",
        "withdrawn" => "status.withdrawn",
        "completed" => "status.completed",
        "stopped" => "status.stopped",
        "deleted" => "status.deleted",
        _ => return status,
    };
    lang.message(key, &[])
}

/// The statuses a list can be filtered by.
pub(crate) const FILTER_STATUSES: &[&str] = &[
    "submitted",
    "in_review",
    "approved",
    "returned",
    "rejected",
    "withdrawn",
    "completed",
];

/// `1,234,567`: a count with thousands separators (the same in both languages).
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `12.3 KB`.
pub(crate) fn size(bytes: i64) -> String {
    let bytes = bytes.max(0) as f64;
    if bytes < 1024.0 {
        format!("{bytes} B")
    } else if bytes < 1024.0 * 1024.0 {
        format!("{:.1} KB", bytes / 1024.0)
    } else {
        format!("{:.1} MB", bytes / 1024.0 / 1024.0)
    }
}

/// A count of tasks, `99+` when the page only looked at the first hundred.
pub(crate) fn count(n: usize) -> String {
    if n >= formwork_runtime::TASK_COUNT_CAP as usize {
        "99+".to_owned()
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_shown_in_beijing_time() {
        let t = time::macros::datetime!(2026-11-22 02:08:44 UTC);
        assert_eq!(instant(t), "2026-11-22 10:08");
        let late = time::macros::datetime!(2026-12-31 16:30:00 UTC);
        assert_eq!(instant(late), "2027-01-01 00:30");
    }

    #[test]
    fn sizes_and_counts_read_well() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(2048), "2.0 KB");
        assert_eq!(count(3), "3");
        assert_eq!(count(100), "99+");
    }
}
