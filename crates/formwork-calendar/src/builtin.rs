//! The officially published Chinese schedules this build ships, read from
//! `data/cn-holidays.json` (extracted from PyPI's `chinesecalendar` by
//! `scripts/extract_holidays.py`; the file records the package version).

use std::sync::LazyLock;

use serde::Deserialize;

use crate::def::YearSchedule;

/// Where the shipped dates come from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScheduleSource {
    /// `PyPI`.
    pub registry: String,
    /// `chinesecalendar`.
    pub package: String,
    /// The package version the dates were extracted from.
    pub version: String,
    /// The script that extracted them.
    pub extracted_by: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Shipped {
    source: ScheduleSource,
    years: Vec<YearSchedule>,
}

static SHIPPED: LazyLock<Shipped> = LazyLock::new(|| {
    // The file is part of the build and `tests/shipped.rs` reads it, so a broken edit fails
    // the tests rather than a running server.
    #[allow(clippy::expect_used)]
    serde_json::from_str(include_str!("../data/cn-holidays.json"))
        .expect("data/cn-holidays.json is valid")
});

/// The shipped years' holidays and 调休 make-up working days (2025 and 2026), oldest first.
pub fn china_schedules() -> &'static [YearSchedule] {
    &SHIPPED.years
}

/// The package and version the shipped schedules were extracted from.
pub fn china_schedule_source() -> &'static ScheduleSource {
    &SHIPPED.source
}
