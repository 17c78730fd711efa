//! Deadlines (due time, reminder, escalation or timeout) of tasks, `wait` nodes, and firing
//! their timers.
//!
//! Timer keys derive from the task key (`<task>/remind`, `<task>/escalate`, `<task>/timeout`)
//! or from the instance's counter (`<node>#<n>/wait`), so replaying a step schedules the same
//! keys. Hours are counted by [`Context::deadline_after`](crate::Context::deadline_after), in
//! clock or working hours as the node says.

use formwork_model::{Escalation, NodeKind};
use time::{Duration, OffsetDateTime};

use crate::effect::{
    CancelReason, Effect, EscalationApplied, HistoryAction, NotifyKind, StepOutcome, TaskKey,
    TimerKey, TimerKind,
};
use crate::engine::{Close, Run};
use crate::error::EngineError;
use crate::human::{human, involved};
use crate::state::{Frame, TaskTimer, Token, Wait};

/// An overdue task: where it is and who holds it.
struct Overdue {
    node: usize,
    slot: usize,
    at: usize,
    round: u32,
    user: String,
    task: TaskKey,
}

/// When a new task is due and the timers that watch it, each with its firing time.
pub(crate) struct Due {
    pub at: Option<OffsetDateTime>,
    pub timers: Vec<(TaskTimer, OffsetDateTime)>,
}

impl Run<'_> {
    /// The due time of a new task at `node` and the timers to schedule for it.
    ///
    /// A task handed to someone new (transfer, reassignment, an added signer) never inherits
    /// a due time already past: its deadline counts from now, and a field's date that has
    /// passed gives it none, so it cannot escalate the moment it arrives.
    pub(crate) fn deadline(
        &self,
        node: usize,
        key: &TaskKey,
        handover: bool,
    ) -> Result<Due, EngineError> {
        let none = || Due {
            at: None,
            timers: Vec::new(),
        };
        let Some(deadline) = self.p.def_of(node).kind.deadline() else {
            return Ok(none());
        };
        let after = |hours| self.ctx.deadline_after(self.now, hours, deadline.calendar);
        let mut due = match (&deadline.until_field, deadline.hours) {
            (Some(field), _) => self
                .ctx
                .field_instant(field, &self.set)
                .map_err(|m| self.resolver().error(node, m))?,
            (None, Some(hours)) => Some(after(hours)),
            (None, None) => None,
        };
        if handover && due.is_some_and(|at| at <= self.now) {
            due = deadline.hours.map(after);
        }
        let Some(due) = due else {
            return Ok(none());
        };
        let mut timers = Vec::new();
        if let Some(before) = deadline.remind_before_hours {
            let at = due.checked_sub(Duration::hours(i64::from(before)));
            // A reminder whose time has already passed would only arrive with the task.
            if let Some(at) = at.filter(|at| *at > self.now) {
                let key = TimerKey(format!("{key}/remind"));
                let kind = TimerKind::Reminder;
                timers.push((TaskTimer { key, kind }, at));
            }
        }
        if self.p.has_timeout(node) {
            let key = TimerKey(format!("{key}/timeout"));
            let kind = TimerKind::Timeout;
            timers.push((TaskTimer { key, kind }, due));
        } else if deadline.escalate.is_some() {
            let key = TimerKey(format!("{key}/escalate"));
            let kind = TimerKind::Escalation;
            timers.push((TaskTimer { key, kind }, due));
        }
        Ok(Due {
            at: Some(due),
            timers,
        })
    }

    /// Parks the token until the wait is over, or moves on at once if it already is.
    pub(crate) fn enter_wait(
        &mut self,
        frames: Vec<Frame>,
        node: usize,
    ) -> Result<(), EngineError> {
        let p = self.p;
        let NodeKind::Wait(wait) = &p.def_of(node).kind else {
            return Err(EngineError::inconsistent("not a wait node"));
        };
        let until = match (&wait.until_field, wait.hours) {
            (Some(field), _) => self
                .ctx
                .field_instant(field, &self.set)
                .map_err(|m| self.resolver().error(node, m))?,
            (None, Some(hours)) => Some(self.ctx.deadline_after(self.now, hours, wait.calendar)),
            (None, None) => None,
        };
        match until {
            Some(until) if until > self.now => {
                let key = TimerKey(format!("{}#{}/wait", p.id(node), self.st.next_seq()));
                self.fx.push(Effect::ScheduleTimer {
                    key: key.clone(),
                    fire_at: until,
                    kind: TimerKind::WaitEnd,
                });
                self.history(Some(node), None, HistoryAction::WaitStarted { until });
                self.st.tokens.push(Token {
                    node: p.id(node).to_owned(),
                    frames,
                    wait: Wait::Timer {
                        key,
                        fire_at: until,
                    },
                });
            }
            _ => {
                self.history(Some(node), None, HistoryAction::WaitEnded);
                self.go(frames, p.next(node)?);
            }
        }
        Ok(())
    }

    /// Handles a due timer; a timer the instance no longer wants does nothing.
    pub(crate) fn timer_fired(&mut self, key: &TimerKey) -> Result<(), EngineError> {
        let p = self.p;
        if self.require_running().is_err() {
            return Ok(());
        }
        let waiting = self
            .st
            .tokens
            .iter()
            .position(|t| matches!(&t.wait, Wait::Timer { key: k, .. } if k == key));
        if let Some(slot) = waiting {
            let token = self.st.tokens.remove(slot);
            let node = p.index(&token.node)?;
            self.history(Some(node), None, HistoryAction::WaitEnded);
            self.go(token.frames, p.next(node)?);
            return Ok(());
        }
        let Some((slot, at, kind)) = self.find_task_timer(key) else {
            return Ok(());
        };
        let mut token = self.st.tokens.remove(slot);
        let node = p.index(&token.node)?;
        let step = human(&mut token)?;
        let round = step.round;
        let seat = &mut step.seats[at];
        let user = seat.current().unwrap_or_default().to_owned();
        let Some(task) = seat.task.as_mut() else {
            return Err(EngineError::inconsistent("the timer's task is not open"));
        };
        task.timers.retain(|t| &t.key != key);
        let (task_key, due_at) = (task.key.clone(), task.due_at);
        if kind == TimerKind::Timeout {
            return self.time_out(node, token);
        }
        match kind {
            TimerKind::Reminder => {
                self.fx.push(Effect::Notify {
                    user: user.clone(),
                    kind: NotifyKind::Reminder {
                        task: task_key.clone(),
                        due_at,
                    },
                });
                let action = HistoryAction::Reminded {
                    task: task_key,
                    user,
                };
                self.history(Some(node), None, action);
            }
            TimerKind::Escalation => {
                let due = Overdue {
                    node,
                    slot,
                    at,
                    round,
                    user,
                    task: task_key,
                };
                return self.escalate(token, due);
            }
            TimerKind::WaitEnd | TimerKind::Timeout => {
                return Err(EngineError::inconsistent("a task has a wait timer"));
            }
        }
        self.settle_or_park(slot, token)
    }

    /// Applies the deadline's escalation to an overdue task.
    fn escalate(&mut self, mut token: Token, due: Overdue) -> Result<(), EngineError> {
        let p = self.p;
        let Overdue {
            node,
            slot,
            at,
            round,
            user,
            task,
        } = due;
        let escalate = p
            .def_of(node)
            .kind
            .deadline()
            .and_then(|d| d.escalate.as_ref());
        let escalated = |applied| HistoryAction::Escalated {
            task: task.clone(),
            user: user.clone(),
            applied,
        };
        match escalate {
            None => {}
            Some(Escalation::NotifyHead) => {
                let head = self
                    .ctx
                    .head_of(&user)
                    .map_err(|m| self.resolver().error(node, m))?;
                if let Some(head) = &head {
                    self.fx.push(Effect::Notify {
                        user: head.clone(),
                        kind: NotifyKind::Escalation {
                            task: task.clone(),
                            assignee: user.clone(),
                        },
                    });
                }
                self.history(
                    Some(node),
                    None,
                    escalated(EscalationApplied::NotifiedHead { head }),
                );
            }
            Some(Escalation::Reassign { username }) => {
                let to = self.resolver().user_named(node, username)?;
                let step = human(&mut token)?;
                let free = to.clone().filter(|to| !involved(step, to));
                let applied = match &free {
                    Some(to) => EscalationApplied::Reassigned { to: to.clone() },
                    None => EscalationApplied::NotReassigned {
                        to: to.unwrap_or_else(|| username.clone()),
                    },
                };
                self.history(Some(node), None, escalated(applied));
                if let Some(to) = free {
                    let seat = &mut step.seats[at];
                    if let Some(task) = seat.task.take() {
                        self.close_task(task, Close::Cancelled(CancelReason::Reassigned));
                    }
                    self.hand_to(node, round, seat, to)?;
                }
            }
            Some(Escalation::AutoApprove) => {
                self.history(Some(node), None, escalated(EscalationApplied::AutoApproved));
                self.approve(node, human(&mut token)?, at, None)?;
            }
            Some(Escalation::AutoReject) => {
                self.history(Some(node), None, escalated(EscalationApplied::AutoRejected));
                if self.is_fill(node) {
                    return self.withdraw_fill(node, token, at, None);
                }
                self.reject(node, human(&mut token)?, at, None)?;
            }
        }
        self.settle_or_park(slot, token)
    }

    /// The deadline came before anyone decided: the step's tasks are withdrawn and the token
    /// takes the `on: timeout` edge (a deferred choice that the clock won).
    fn time_out(&mut self, node: usize, token: Token) -> Result<(), EngineError> {
        let Token { frames, wait, .. } = token;
        let Wait::Human(step) = wait else {
            return Err(EngineError::inconsistent("not a human step"));
        };
        let tasks = self.leave_step(step, CancelReason::TimedOut);
        self.history(Some(node), None, HistoryAction::TimedOut { tasks });
        self.complete_step(frames, node, StepOutcome::TimedOut, false)
    }

    fn find_task_timer(&self, key: &TimerKey) -> Option<(usize, usize, TimerKind)> {
        self.st.tokens.iter().enumerate().find_map(|(slot, token)| {
            let Wait::Human(step) = &token.wait else {
                return None;
            };
            step.seats.iter().enumerate().find_map(|(at, seat)| {
                let task = seat.task.as_ref()?;
                let timer = task.timers.iter().find(|t| &t.key == key)?;
                Some((slot, at, timer.kind))
            })
        })
    }
}
