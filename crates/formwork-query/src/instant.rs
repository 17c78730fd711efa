//! Instants as both databases keep them: UTC, whole microseconds.

use time::{OffsetDateTime, UtcOffset};

/// `t` in UTC, cut to whole microseconds (TIMESTAMPTZ's precision), so every backend returns
/// exactly the instant it was given.
pub fn micros(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// The current instant at the precision both databases keep.
pub fn now() -> OffsetDateTime {
    micros(OffsetDateTime::now_utc())
}

/// `t` as fixed-width RFC 3339 UTC text with six fraction digits, whose text order is time
/// order: how SQLite stores instants.
pub fn utc_text(t: OffsetDateTime) -> String {
    let t = micros(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn utc_text_is_fixed_width_so_text_order_is_time_order() {
        let a = datetime!(2026-11-22 10:08:44.8 +08:00);
        let b = datetime!(2026-11-22 10:08:44.80001 +08:00);
        assert_eq!(utc_text(a), "2026-11-22T02:08:44.800000Z");
        assert_eq!(utc_text(b), "2026-11-22T02:08:44.800010Z");
        assert!(utc_text(a) < utc_text(b));
    }

    #[test]
    fn micros_drops_nanoseconds_and_keeps_the_instant_in_utc() {
        let t = datetime!(2026-01-01 00:00:00.123456789 +08:00);
        assert_eq!(micros(t), datetime!(2025-12-31 16:00:00.123456 UTC));
    }
}
