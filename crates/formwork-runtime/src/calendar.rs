//! The working-time calendar as admins keep it: stored as one settings document, seeded with
//! the schedules this build ships (China's 2025 and 2026 holidays and 调休 days), compiled once
//! and kept for a short while, so each deadline costs no read.
//!
//! Deadlines count plain or working hours with [`Runtime::deadline_after`]; process nodes reach
//! it through the engine's `Context::deadline_after`, rules through their own `calendar`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration as StdDuration, Instant};

use formwork_calendar::{
    CalendarDef, DeadlineMode, ScheduleFormat, WorkCalendar, parse_year_schedule,
};
use formwork_model::HoursKind;
use time::{Duration, OffsetDateTime};

use crate::accounts::problem;
use crate::policy::Caller;
use crate::{Runtime, RuntimeError, RuntimeResult};

/// The settings key the calendar is saved under.
pub const CALENDAR_KEY: &str = "calendar";

/// How long a compiled calendar is used before the saved one is read again: an edit on one
/// instance reaches the others within this.
const KEEP_FOR: StdDuration = StdDuration::from_secs(30);

/// The compiled calendar, shared by the use cases of one runtime.
#[derive(Default)]
pub(crate) struct CalendarCache {
    held: Mutex<Option<(Instant, Arc<WorkCalendar>)>>,
}

impl CalendarCache {
    fn get(&self) -> Option<Arc<WorkCalendar>> {
        let held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.as_ref()
            .filter(|(at, _)| at.elapsed() < KEEP_FOR)
            .map(|(_, c)| c.clone())
    }

    fn put(&self, calendar: Arc<WorkCalendar>) {
        *self.held.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((Instant::now(), calendar));
    }
}

/// The calendar as an admin sees it.
#[derive(Debug, Clone)]
pub struct CalendarSettings {
    pub def: CalendarDef,
    /// When and by whom it was last saved; `None` while the shipped calendar is in use.
    pub updated_at: Option<OffsetDateTime>,
    pub updated_by: Option<String>,
    /// Years from this one to next whose holidays are not entered yet (deadlines in them count
    /// weekdays only).
    pub missing_years: Vec<i32>,
}

/// How hours of a rule or node are counted, as the calendar counts them.
pub fn deadline_mode(kind: HoursKind) -> DeadlineMode {
    match kind {
        HoursKind::Calendar => DeadlineMode::Calendar,
        HoursKind::Working => DeadlineMode::Working,
    }
}

fn require_admin(caller: &Caller) -> RuntimeResult<()> {
    if caller.user.is_admin {
        Ok(())
    } else {
        Err(RuntimeError::Forbidden)
    }
}

fn invalid_calendar(e: &formwork_calendar::CalendarError) -> RuntimeError {
    RuntimeError::Invalid {
        problems: vec![problem(
            "/calendar",
            e.code(),
            &e.message("zh-CN"),
            &e.message("en"),
        )],
    }
}

impl Runtime {
    /// The saved calendar definition, or the shipped one when none was saved.
    async fn calendar_def(&self) -> RuntimeResult<(CalendarDef, Option<formwork_store::Setting>)> {
        match self.store.get_setting(CALENDAR_KEY).await? {
            Some(saved) => {
                let def = serde_json::from_str(&saved.value)
                    .map_err(|e| RuntimeError::Internal(format!("saved calendar: {e}")))?;
                Ok((def, Some(saved)))
            }
            None => Ok((CalendarDef::china(), None)),
        }
    }

    /// The working-time calendar, compiled (read again at most every 30 s).
    pub async fn work_calendar(&self) -> RuntimeResult<Arc<WorkCalendar>> {
        if let Some(calendar) = self.calendar.get() {
            return Ok(calendar);
        }
        let (def, _) = self.calendar_def().await?;
        let calendar =
            Arc::new(WorkCalendar::new(&def).map_err(|e| {
                RuntimeError::Internal(format!("saved calendar: {}", e.message("en")))
            })?);
        self.calendar.put(calendar.clone());
        Ok(calendar)
    }

    /// When something given at `from` with `hours` to do it is due, counting `kind` hours.
    pub async fn deadline_after(
        &self,
        from: OffsetDateTime,
        hours: u32,
        kind: HoursKind,
    ) -> RuntimeResult<OffsetDateTime> {
        let calendar = self.work_calendar().await?;
        Ok(calendar.add(deadline_mode(kind), from, Duration::hours(i64::from(hours))))
    }

    /// The calendar for the admin page and API.
    pub async fn calendar_settings(
        &self,
        caller: &Caller,
        now: OffsetDateTime,
    ) -> RuntimeResult<CalendarSettings> {
        require_admin(caller)?;
        let (def, saved) = self.calendar_def().await?;
        Ok(settings_view(def, saved, now))
    }

    /// Checks and saves a whole calendar definition.
    pub async fn save_calendar(
        &self,
        caller: &Caller,
        def: CalendarDef,
        now: OffsetDateTime,
    ) -> RuntimeResult<CalendarSettings> {
        require_admin(caller)?;
        let calendar = WorkCalendar::new(&def).map_err(|e| invalid_calendar(&e))?;
        let text = serde_json::to_string(&def)
            .map_err(|e| RuntimeError::Internal(format!("calendar: {e}")))?;
        let saved = self
            .store
            .put_setting(CALENDAR_KEY, &text, &caller.user.id)
            .await?;
        self.calendar.put(Arc::new(calendar));
        Ok(settings_view(def, Some(saved), now))
    }

    /// Puts one year's holidays and make-up days (CSV or JSON lines, see
    /// `formwork_calendar::parse_year_schedule`) in place of what the calendar had for it.
    pub async fn import_calendar_year(
        &self,
        caller: &Caller,
        year: i32,
        text: &str,
        source: Option<String>,
        now: OffsetDateTime,
    ) -> RuntimeResult<CalendarSettings> {
        require_admin(caller)?;
        let schedule = parse_year_schedule(year, text, ScheduleFormat::detect(text), source)
            .map_err(|e| RuntimeError::Invalid {
                problems: vec![problem(
                    &format!("/lines/{}", e.line),
                    e.code(),
                    &e.message("zh-CN"),
                    &e.message("en"),
                )],
            })?;
        let (mut def, _) = self.calendar_def().await?;
        def.replace_year(schedule);
        self.save_calendar(caller, def, now).await
    }
}

fn settings_view(
    def: CalendarDef,
    saved: Option<formwork_store::Setting>,
    now: OffsetDateTime,
) -> CalendarSettings {
    let year = now.to_offset(formwork_calendar::SHANGHAI).year();
    let missing_years = match WorkCalendar::new(&def) {
        Ok(c) => (year..=year + 1)
            .filter(|y| !c.has_schedule_for(*y))
            .collect(),
        Err(_) => Vec::new(),
    };
    CalendarSettings {
        def,
        updated_at: saved.as_ref().map(|s| s.updated_at),
        updated_by: saved.map(|s| s.updated_by),
        missing_years,
    }
}
