//! Firing due timers (reminders, escalations, the end of a wait): each timer is consumed by
//! exactly one step, whatever the number of servers and however late they catch up.
//!
//! The step that fires a timer marks it fired in its own transaction, and only if it has not
//! fired yet; a server that loses that race finds the timer gone from the instance's state
//! and stops.

use std::collections::HashMap;

use formwork_process::{Event, TimerKey};
use formwork_store::{StoreError, TaskId, Timer};
use time::OffsetDateTime;

use super::pipeline::{self, StepInput};
use super::{Attempt, MAX_ATTEMPTS, backoff};
use crate::{Runtime, RuntimeError, RuntimeResult};

/// Timers looked at per batch.
const BATCH: u32 = 100;

/// Batches one call works through at most, so a call always ends.
const MAX_BATCHES: u32 = 50;

/// What one call of [`Runtime::fire_due_timers`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimerRun {
    /// Timers whose step ran here.
    pub fired: u32,
    /// Timers another server fired, or that the instance no longer wanted.
    pub skipped: u32,
    /// Timers whose step failed; they stay due and are tried again next time.
    pub failed: u32,
}

/// How one timer went.
pub(crate) enum Fired {
    Here,
    Elsewhere,
}

impl Runtime {
    /// Fires every timer due at `now`, each once. Safe to call from several servers at once
    /// and again after a restart: a timer that fired is never fired again.
    pub async fn fire_due_timers(&self, now: OffsetDateTime) -> RuntimeResult<TimerRun> {
        let mut run = TimerRun::default();
        let mut failed: Vec<String> = Vec::new();
        for _ in 0..MAX_BATCHES {
            let due = self.store.due_timers(now, BATCH).await?;
            let full = due.len() == BATCH as usize;
            let mut progressed = false;
            for timer in &due {
                if failed.contains(&timer.id) {
                    continue;
                }
                match self.fire(timer, now).await {
                    Ok(Fired::Here) => {
                        run.fired += 1;
                        progressed = true;
                    }
                    Ok(Fired::Elsewhere) => {
                        run.skipped += 1;
                        progressed = true;
                    }
                    Err(e) => {
                        tracing::warn!(timer = %timer.key, instance = %timer.instance_id, error = %e, "timer failed");
                        run.failed += 1;
                        failed.push(timer.id.clone());
                    }
                }
            }
            if !full || !progressed {
                break;
            }
        }
        Ok(run)
    }

    pub(crate) async fn fire(&self, timer: &Timer, now: OffsetDateTime) -> RuntimeResult<Fired> {
        for n in 0..MAX_ATTEMPTS {
            if n > 0 {
                backoff(n).await;
            }
            match self.try_fire(timer, now).await {
                Ok(fired) => return Ok(fired),
                Err(Attempt::Stale) => {}
                Err(Attempt::Failed(e)) => return Err(e),
            }
        }
        Err(RuntimeError::Conflict(format!(
            "timer {} kept racing",
            timer.key
        )))
    }

    async fn try_fire(&self, timer: &Timer, now: OffsetDateTime) -> Result<Fired, Attempt> {
        let loaded = match self.load_instance(&timer.instance_id).await {
            Ok(loaded) => loaded,
            // The record was deleted: nobody will act on its process again.
            Err(RuntimeError::NotFound(_)) => return Ok(Fired::Elsewhere),
            Err(e) => return Err(e.into()),
        };
        let wanted = loaded.state.timers().iter().any(|(k, _)| k.0 == timer.key);
        let task_ids: HashMap<String, TaskId> = self
            .store
            .tasks_of_instance(&loaded.instance.id)
            .await?
            .into_iter()
            .map(|t| (t.key, t.id))
            .collect();
        let event = Event::TimerFired {
            key: TimerKey(timer.key.clone()),
        };
        let input = StepInput {
            fired_timer: Some(timer.key.clone()),
            task_ids,
            ..loaded.step_input(loaded.record.data.clone(), event, now)?
        };
        let calendar = self.work_calendar().await?;
        let mut built = pipeline::run(&loaded.dir, &calendar, input)?;
        // Hook: overdue-rule jobs for new tasks, `record.updated` for changed data.
        self.loaded_step_events(&loaded, &mut built.write, now)
            .await?;
        match self.store.apply_step(built.write, None).await {
            Ok(_) if wanted => Ok(Fired::Here),
            Ok(_) => Ok(Fired::Elsewhere),
            // The instance no longer wanted the timer: whoever moved it on consumed it.
            Err(StoreError::Conflict(_)) if !wanted => Ok(Fired::Elsewhere),
            Err(StoreError::Conflict(_)) => Err(Attempt::Stale),
            Err(e) => Err(e.into()),
        }
    }
}
