//! A compiled calendar and the arithmetic of working time: is an instant worked, when is the
//! next worked instant, what instant lies N working hours ahead, how much working time lies
//! between two instants.
//!
//! Working time is the union of the working intervals of working days, in Asia/Shanghai time.
//! A day is worked when it is a make-up working day (调休上班), or a working weekday that is not
//! a public holiday.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, macros::offset};

use crate::def::{CalendarDef, DayKind, WorkingHours};
use crate::error::CalendarError;

/// Asia/Shanghai as a fixed offset. China has observed no daylight saving time since 1991, so
/// +08:00 is exact for every instant a deadline can fall on, and no time-zone database is needed.
pub const SHANGHAI: UtcOffset = offset!(+8);

const DAY: Duration = Duration::DAY;

/// How a duration is counted: plain elapsed hours, or only the calendar's working time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineMode {
    /// Every hour counts (nights, weekends, holidays): the default.
    #[default]
    Calendar,
    /// Only working hours of working days count.
    Working,
}

/// A checked calendar, ready for arithmetic. Build once from a [`CalendarDef`], share freely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCalendar {
    /// Indexed by days from Monday.
    weekdays: [bool; 7],
    /// Working intervals as offsets from local midnight: sorted, disjoint, non-empty.
    intervals: Vec<(Duration, Duration)>,
    day_total: Duration,
    special: BTreeMap<Date, (DayKind, String)>,
}

impl WorkCalendar {
    /// Checks `def` and compiles it: weekdays 1–7 and at least one, `HH:MM` intervals in order
    /// without overlap and at least one, each date once and under its own year.
    pub fn new(def: &CalendarDef) -> Result<Self, CalendarError> {
        let mut weekdays = [false; 7];
        for &n in &def.working_weekdays {
            if !(1..=7).contains(&n) {
                return Err(CalendarError::BadWeekday(n));
            }
            weekdays[usize::from(n - 1)] = true;
        }
        if !weekdays.contains(&true) {
            return Err(CalendarError::NoWorkingWeekday);
        }
        let intervals = compile_hours(&def.working_hours)?;
        let mut special = BTreeMap::new();
        let mut years = std::collections::BTreeSet::new();
        for year in &def.years {
            if !years.insert(year.year) {
                return Err(CalendarError::DuplicateYear(year.year));
            }
            for day in &year.days {
                let date = day.date.to_string();
                if day.date.year() != year.year {
                    return Err(CalendarError::WrongYear {
                        date,
                        year: year.year,
                    });
                }
                if special
                    .insert(day.date, (day.kind, day.name.clone()))
                    .is_some()
                {
                    return Err(CalendarError::DuplicateDate { date });
                }
            }
        }
        Ok(Self::from_parts(weekdays, intervals, special))
    }

    fn from_parts(
        weekdays: [bool; 7],
        intervals: Vec<(Duration, Duration)>,
        special: BTreeMap<Date, (DayKind, String)>,
    ) -> Self {
        let day_total = intervals.iter().map(|&(s, e)| e - s).sum();
        Self {
            weekdays,
            intervals,
            day_total,
            special,
        }
    }

    /// Monday to Friday, 09:00–12:00 and 13:00–18:00, with the shipped Chinese schedules.
    pub fn china() -> Self {
        let h = Duration::hours;
        let special = crate::china_schedules()
            .iter()
            .flat_map(|y| &y.days)
            .map(|d| (d.date, (d.kind, d.name.clone())))
            .collect();
        let weekdays = [true, true, true, true, true, false, false];
        Self::from_parts(weekdays, vec![(h(9), h(12)), (h(13), h(18))], special)
    }

    /// Whether `date` is worked: a make-up working day, or a working weekday that is not a
    /// holiday.
    pub fn is_working_day(&self, date: Date) -> bool {
        match self.special.get(&date) {
            Some((DayKind::Workday, _)) => true,
            Some((DayKind::Holiday, _)) => false,
            None => self.weekdays[usize::from(date.weekday().number_days_from_monday())],
        }
    }

    /// The holiday or make-up day at `date`, with its name, if the calendar lists one.
    pub fn special_day(&self, date: Date) -> Option<(DayKind, &str)> {
        self.special.get(&date).map(|(k, n)| (*k, n.as_str()))
    }

    /// Whether the calendar lists any holiday or make-up day in `year` (an admin who has not
    /// entered next year's schedule yet sees a warning).
    pub fn has_schedule_for(&self, year: i32) -> bool {
        let (Ok(first), Ok(last)) = (
            Date::from_ordinal_date(year, 1),
            Date::from_ordinal_date(year, time::util::days_in_year(year)),
        ) else {
            return false;
        };
        self.special.range(first..=last).next().is_some()
    }

    /// Whether `at` lies inside a working interval (start inclusive, end exclusive) of a working
    /// day.
    pub fn is_working_time(&self, at: OffsetDateTime) -> bool {
        let (date, t) = local(at);
        self.is_working_day(date) && self.intervals.iter().any(|&(s, e)| s <= t && t < e)
    }

    /// `from` itself when it is working time, else the start of the next working interval.
    pub fn next_working_instant(&self, from: OffsetDateTime) -> OffsetDateTime {
        let (mut date, mut t) = local(from);
        loop {
            if self.is_working_day(date)
                && let Some(&(s, _)) = self.intervals.iter().find(|&&(_, e)| t < e)
            {
                return at_local(date, s.max(t), from.offset());
            }
            let Some(next) = date.next_day() else {
                return far_future();
            };
            (date, t) = (next, Duration::ZERO);
        }
    }

    /// The earliest instant by which `amount` of working time has passed since `from`.
    ///
    /// A deadline that uses up a working interval exactly falls on its end (18:00, not the next
    /// morning). Zero or a negative amount gives `from` unchanged.
    pub fn add_working(&self, from: OffsetDateTime, amount: Duration) -> OffsetDateTime {
        if amount <= Duration::ZERO {
            return from;
        }
        let week_total = self.week_total();
        let (mut date, mut t) = local(from);
        let mut remaining = amount;
        loop {
            if t.is_zero()
                && remaining > week_total
                && let Some(next) = self.plain_week_after(date)
            {
                (date, remaining) = (next, remaining - week_total);
                continue;
            }
            if self.is_working_day(date) {
                for &(s, e) in &self.intervals {
                    let begin = s.max(t);
                    if begin >= e {
                        continue;
                    }
                    if remaining <= e - begin {
                        return at_local(date, begin + remaining, from.offset());
                    }
                    remaining -= e - begin;
                }
            }
            let Some(next) = date.next_day() else {
                return far_future();
            };
            (date, t) = (next, Duration::ZERO);
        }
    }

    /// [`add_working`](Self::add_working) of whole hours.
    pub fn add_working_hours(&self, from: OffsetDateTime, hours: u32) -> OffsetDateTime {
        self.add_working(from, Duration::hours(i64::from(hours)))
    }

    /// [`add_working`](Self::add_working) of whole minutes.
    pub fn add_working_minutes(&self, from: OffsetDateTime, minutes: u32) -> OffsetDateTime {
        self.add_working(from, Duration::minutes(i64::from(minutes)))
    }

    /// The working time between `from` and `to`; zero when `to` is not after `from`.
    pub fn working_between(&self, from: OffsetDateTime, to: OffsetDateTime) -> Duration {
        if to <= from {
            return Duration::ZERO;
        }
        let (mut date, mut t) = local(from);
        let (last, t_last) = local(to);
        let mut total = Duration::ZERO;
        while date <= last {
            if t.is_zero()
                && let Some(next) = self.plain_week_after(date)
                && next <= last
            {
                (date, total) = (next, total + self.week_total());
                continue;
            }
            let limit = if date == last { t_last } else { DAY };
            if self.is_working_day(date) {
                for &(s, e) in &self.intervals {
                    let (begin, end) = (s.max(t), e.min(limit));
                    if begin < end {
                        total += end - begin;
                    }
                }
            }
            let Some(next) = date.next_day() else { break };
            (date, t) = (next, Duration::ZERO);
        }
        total
    }

    /// `from` plus `amount`, counted as `mode` says.
    pub fn add(
        &self,
        mode: DeadlineMode,
        from: OffsetDateTime,
        amount: Duration,
    ) -> OffsetDateTime {
        match mode {
            DeadlineMode::Working => self.add_working(from, amount),
            DeadlineMode::Calendar => from.checked_add(amount).unwrap_or_else(far_future),
        }
    }

    /// The time from `from` to `to` counted as `mode` says; zero when `to` is not after `from`.
    pub fn elapsed(
        &self,
        mode: DeadlineMode,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Duration {
        match mode {
            DeadlineMode::Working => self.working_between(from, to),
            DeadlineMode::Calendar => (to - from).max(Duration::ZERO),
        }
    }

    /// The working time of a week with no special day.
    fn week_total(&self) -> Duration {
        let days = self.weekdays.iter().filter(|&&w| w).count();
        self.day_total * u32::try_from(days).unwrap_or(7)
    }

    /// The date a week after `date` when the seven days from `date` hold no special day, so
    /// the whole week can be counted at once.
    fn plain_week_after(&self, date: Date) -> Option<Date> {
        let next = date.checked_add(Duration::weeks(1))?;
        self.special
            .range(date..next)
            .next()
            .is_none()
            .then_some(next)
    }
}

impl Default for WorkCalendar {
    /// The same as [`WorkCalendar::china`].
    fn default() -> Self {
        Self::china()
    }
}

/// The local date of `at` and its time since local midnight.
fn local(at: OffsetDateTime) -> (Date, Duration) {
    let l = at.to_offset(SHANGHAI);
    (l.date(), l.time() - Time::MIDNIGHT)
}

fn at_local(date: Date, since_midnight: Duration, offset: UtcOffset) -> OffsetDateTime {
    PrimitiveDateTime::new(date, Time::MIDNIGHT)
        .assume_offset(SHANGHAI)
        .checked_add(since_midnight)
        .map_or_else(far_future, |at| at.to_offset(offset))
}

/// What a deadline past the representable range saturates to, instead of panicking.
fn far_future() -> OffsetDateTime {
    PrimitiveDateTime::MAX.assume_utc()
}

fn compile_hours(hours: &[WorkingHours]) -> Result<Vec<(Duration, Duration)>, CalendarError> {
    if hours.is_empty() {
        return Err(CalendarError::NoWorkingHours);
    }
    let mut out: Vec<(Duration, Duration)> = Vec::with_capacity(hours.len());
    for (i, h) in hours.iter().enumerate() {
        let (s, e) = (time_of_day(&h.start)?, time_of_day(&h.end)?);
        if e <= s {
            return Err(CalendarError::EmptyInterval {
                start: h.start.clone(),
                end: h.end.clone(),
            });
        }
        if let Some(&(_, prev_end)) = out.last()
            && s < prev_end
        {
            let prev = &hours[i - 1];
            return Err(CalendarError::Overlap {
                first: format!("{}–{}", prev.start, prev.end),
                second: format!("{}–{}", h.start, h.end),
            });
        }
        out.push((s, e));
    }
    Ok(out)
}

/// `"HH:MM"` as time since midnight; `"24:00"` is the end of the day.
fn time_of_day(text: &str) -> Result<Duration, CalendarError> {
    let bad = || CalendarError::BadTime(text.to_owned());
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(h) || !two_digits(m) {
        return Err(bad());
    }
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 24 || m > 59 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(Duration::hours(h) + Duration::minutes(m))
}
