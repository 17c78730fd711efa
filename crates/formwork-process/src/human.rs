//! Human steps (approval and fill): entering one in a new round, opening tasks for its mode,
//! approving and rejecting seats, and settling the step.

use formwork_model::{ApprovalMode, FallbackDef, NodeKind};

use crate::effect::{
    CancelReason, Effect, FallbackApplied, HistoryAction, NotifyKind, StepOutcome, StopReason,
    TaskKey, TaskKind, TaskOutcome,
};
use crate::engine::{Close, Run};
use crate::error::EngineError;
use crate::state::{Frame, HumanStep, OpenTask, Seat, Signer, Token, Verdict, Wait};
use crate::timers::Due;

impl Run<'_> {
    /// Starts a new round of the step: resolves the assignees, applies the fallback when there
    /// are none, and opens the tasks. `in_person`: nobody is skipped as a repeat approver.
    pub(crate) fn enter_human(
        &mut self,
        frames: Vec<Frame>,
        node: usize,
        in_person: bool,
    ) -> Result<(), EngineError> {
        let p = self.p;
        let (rule, mode, fallback) = match &p.def_of(node).kind {
            NodeKind::Approval(a) => (&a.assignee, a.mode, Some(&a.fallback)),
            NodeKind::Fill(f) => (&f.assignee, ApprovalMode::Any, None),
            _ => return Err(EngineError::inconsistent("not a human step")),
        };
        let mut users = self.resolver().assignees(node, rule)?;
        if users.is_empty() {
            let named = match fallback {
                Some(FallbackDef::User { username }) => {
                    self.resolver().user_named(node, username)?
                }
                _ => None,
            };
            let applied = match (fallback, named) {
                (Some(FallbackDef::Skip), _) => FallbackApplied::Skipped,
                (_, Some(user)) => {
                    users.push(user.clone());
                    FallbackApplied::User { user }
                }
                _ => FallbackApplied::Stopped,
            };
            let skip = applied == FallbackApplied::Skipped;
            let stop = applied == FallbackApplied::Stopped;
            let action = HistoryAction::NobodyResolved { fallback: applied };
            self.history(Some(node), None, action);
            if skip {
                return self.complete_step(frames, node, StepOutcome::Approved, false);
            }
            if stop {
                self.stop(node, StopReason::NobodyToAssign);
                return Ok(());
            }
        }
        let round = self.st.next_round(p.id(node));
        let signers = users.into_iter().map(|user| Signer { user, in_person });
        let seats = if mode == ApprovalMode::Sequential {
            vec![seat(signers.collect())]
        } else {
            signers.map(|s| seat(vec![s])).collect()
        };
        let mut step = HumanStep {
            seats,
            round,
            resubmit: false,
        };
        for at in 0..step.seats.len() {
            // Once auto-approvals decide the step, more tasks would only be cancelled again.
            if self.verdict(node, &step.seats).is_some() {
                break;
            }
            self.open_seat(node, round, &mut step.seats[at], false)?;
        }
        let token = Token {
            node: p.id(node).to_owned(),
            frames,
            wait: Wait::Human(step),
        };
        self.settle_or_park(usize::MAX, token)
    }

    /// Gives the task to whoever's turn it is in the seat, auto-approving repeat approvers.
    /// `handover`: the task passes to someone new, whose deadline starts now.
    pub(crate) fn open_seat(
        &mut self,
        node: usize,
        round: u32,
        seat: &mut Seat,
        handover: bool,
    ) -> Result<(), EngineError> {
        let p = self.p;
        let repeat = matches!(&p.def_of(node).kind, NodeKind::Approval(a) if a.auto_approve_repeat);
        while let Some(signer) = seat.chain.get(seat.pos) {
            if repeat && !signer.in_person && self.st.approvers.contains(&signer.user) {
                let user = signer.user.clone();
                self.history(Some(node), None, HistoryAction::AutoApprovedRepeat { user });
                seat.pos += 1;
                continue;
            }
            let user = signer.user.clone();
            let key = TaskKey(format!("{}#{}", p.id(node), self.st.next_seq()));
            let Due { at: due_at, timers } = self.deadline(node, &key, handover)?;
            self.fx.push(Effect::CreateTask {
                key: key.clone(),
                node: p.id(node).to_owned(),
                assignee: user,
                round,
                kind: TaskKind::Step,
                due_at,
            });
            let mut kept = Vec::with_capacity(timers.len());
            for (timer, fire_at) in timers {
                self.fx.push(Effect::ScheduleTimer {
                    key: timer.key.clone(),
                    fire_at,
                    kind: timer.kind,
                });
                kept.push(timer);
            }
            seat.task = Some(OpenTask {
                key,
                due_at,
                timers: kept,
            });
            return Ok(());
        }
        seat.settled = Some(Verdict::Approved);
        Ok(())
    }

    /// How the step stands by its mode: decided one way, the other, or not yet.
    fn verdict(&self, node: usize, seats: &[Seat]) -> Option<Verdict> {
        let (mode, ratio) = match &self.p.def_of(node).kind {
            NodeKind::Approval(a) => (a.mode, a.ratio),
            _ => (ApprovalMode::Any, None),
        };
        let n = seats.len();
        if n == 0 {
            return None;
        }
        let count = |v: Verdict| seats.iter().filter(|s| s.settled == Some(v)).count();
        let (approved, rejected) = (count(Verdict::Approved), count(Verdict::Rejected));
        match mode {
            ApprovalMode::Single | ApprovalMode::Any => seats.iter().find_map(|s| s.settled),
            ApprovalMode::All | ApprovalMode::Sequential if rejected > 0 => Some(Verdict::Rejected),
            ApprovalMode::All | ApprovalMode::Sequential => {
                (approved == n).then_some(Verdict::Approved)
            }
            ApprovalMode::Vote => {
                let share = ratio.unwrap_or(1.0) * n as f64;
                // The epsilon keeps 0.3 × 10 from needing 4 votes through rounding.
                let needed = ((share - 1e-9).ceil() as usize).clamp(1, n);
                if approved >= needed {
                    Some(Verdict::Approved)
                } else if n - rejected < needed {
                    Some(Verdict::Rejected)
                } else {
                    None
                }
            }
        }
    }

    /// Puts the token back if its step is still open, or completes the step.
    pub(crate) fn settle_or_park(&mut self, slot: usize, token: Token) -> Result<(), EngineError> {
        let node = self.p.index(&token.node)?;
        let Wait::Human(step) = &token.wait else {
            return Err(EngineError::inconsistent("not a human step"));
        };
        let Some(verdict) = self.verdict(node, &step.seats) else {
            let at = slot.min(self.st.tokens.len());
            self.st.tokens.insert(at, token);
            return Ok(());
        };
        let Token { frames, wait, .. } = token;
        if let Wait::Human(step) = wait {
            self.leave_step(step, CancelReason::StepDecided);
        }
        let fill = self.is_fill(node);
        let outcome = match (verdict, fill) {
            (Verdict::Approved, false) => StepOutcome::Approved,
            (Verdict::Approved, true) => StepOutcome::Submitted,
            (Verdict::Rejected, false) => StepOutcome::Rejected,
            (Verdict::Rejected, true) => StepOutcome::Withdrawn,
        };
        self.complete_step(frames, node, outcome, true)
    }

    /// Follows the edge for the step's outcome; rejecting or withdrawing without such an edge
    /// ends the instance.
    pub(crate) fn complete_step(
        &mut self,
        frames: Vec<Frame>,
        node: usize,
        outcome: StepOutcome,
        by_people: bool,
    ) -> Result<(), EngineError> {
        let p = self.p;
        if by_people {
            self.st.passed.insert(p.id(node).to_owned());
        }
        self.history(Some(node), None, HistoryAction::StepCompleted { outcome });
        if by_people && !self.is_fill(node) {
            self.fx.push(Effect::Notify {
                user: self.ctx.submitter(),
                kind: NotifyKind::Decision {
                    node: p.id(node).to_owned(),
                    outcome,
                },
            });
        }
        match (p.route(node, outcome), outcome) {
            (Some(to), _) => self.go(frames, to),
            (None, StepOutcome::Rejected) => {
                self.end(formwork_model::Outcome::Rejected, Some(node), None);
            }
            (None, StepOutcome::Withdrawn) => {
                self.end(formwork_model::Outcome::Withdrawn, Some(node), None);
            }
            (None, _) => {
                return Err(EngineError::inconsistent(format!(
                    "{} has no edge for {outcome:?}",
                    p.id(node)
                )));
            }
        }
        Ok(())
    }

    /// Cancels the tasks still open at a step that is being left; returns their keys.
    pub(crate) fn leave_step(&mut self, step: HumanStep, reason: CancelReason) -> Vec<TaskKey> {
        let mut keys = Vec::new();
        for task in step.seats.into_iter().filter_map(|s| s.task) {
            keys.push(task.key.clone());
            self.close_task(task, Close::Cancelled(reason));
        }
        keys
    }

    /// Approves (or, at a fill step, submits) the seat's open task; `by` is `None` when the
    /// engine does it on escalation.
    pub(crate) fn approve(
        &mut self,
        node: usize,
        step: &mut HumanStep,
        at: usize,
        by: Option<String>,
    ) -> Result<(), EngineError> {
        let fill = self.is_fill(node);
        let task = take_task(step, at)?;
        let round = step.round;
        let seat = &mut step.seats[at];
        let outcome = match (fill, by.is_some()) {
            (true, _) => TaskOutcome::Submitted,
            (false, true) => TaskOutcome::Approved,
            (false, false) => TaskOutcome::AutoApproved,
        };
        let key = task.key.clone();
        self.close_task(task, Close::Completed(outcome, by.clone()));
        if let Some(user) = &by {
            self.st.decided = true;
            if !fill {
                self.st.approvers.insert(user.clone());
            }
        }
        self.history(
            Some(node),
            by,
            HistoryAction::Decided { task: key, outcome },
        );
        seat.pos += 1;
        self.open_seat(node, round, seat, false)
    }

    /// Rejects the seat's open task.
    pub(crate) fn reject(
        &mut self,
        node: usize,
        step: &mut HumanStep,
        at: usize,
        by: Option<String>,
    ) -> Result<(), EngineError> {
        let task = take_task(step, at)?;
        let outcome = if by.is_some() {
            TaskOutcome::Rejected
        } else {
            TaskOutcome::AutoRejected
        };
        let key = task.key.clone();
        self.close_task(task, Close::Completed(outcome, by.clone()));
        if by.is_some() {
            self.st.decided = true;
        }
        self.history(
            Some(node),
            by,
            HistoryAction::Decided { task: key, outcome },
        );
        step.seats[at].settled = Some(Verdict::Rejected);
        Ok(())
    }

    /// Withdraws at a fill step: the `on: withdraw` edge, or the end of the instance.
    pub(crate) fn withdraw_fill(
        &mut self,
        node: usize,
        token: Token,
        at: usize,
        by: Option<String>,
    ) -> Result<(), EngineError> {
        let Token { frames, wait, .. } = token;
        let Wait::Human(mut step) = wait else {
            return Err(EngineError::inconsistent("not a human step"));
        };
        let task = take_task(&mut step, at)?;
        let key = task.key.clone();
        self.close_task(task, Close::Completed(TaskOutcome::Withdrawn, by.clone()));
        if by.is_some() {
            self.st.decided = true;
        }
        let outcome = TaskOutcome::Withdrawn;
        self.history(
            Some(node),
            by,
            HistoryAction::Decided { task: key, outcome },
        );
        self.leave_step(step, CancelReason::StepDecided);
        self.complete_step(frames, node, StepOutcome::Withdrawn, true)
    }

    /// Puts `to` in place of whoever's turn it is and gives them the task, due from now.
    pub(crate) fn hand_to(
        &mut self,
        node: usize,
        round: u32,
        seat: &mut Seat,
        to: String,
    ) -> Result<(), EngineError> {
        let signer = Signer {
            user: to,
            in_person: true,
        };
        match seat.chain.get_mut(seat.pos) {
            Some(slot) => *slot = signer,
            None => return Err(EngineError::inconsistent("the seat has nobody to replace")),
        }
        self.open_seat(node, round, seat, true)
    }

    pub(crate) fn is_fill(&self, node: usize) -> bool {
        matches!(self.p.def_of(node).kind, NodeKind::Fill(_))
    }
}

pub(crate) fn seat(chain: Vec<Signer>) -> Seat {
    Seat {
        chain,
        pos: 0,
        settled: None,
        task: None,
    }
}

pub(crate) fn human(token: &mut Token) -> Result<&mut HumanStep, EngineError> {
    match &mut token.wait {
        Wait::Human(step) => Ok(step),
        Wait::Timer { .. } => Err(EngineError::inconsistent("not a human step")),
    }
}

pub(crate) fn take_task(step: &mut HumanStep, at: usize) -> Result<OpenTask, EngineError> {
    step.seats
        .get_mut(at)
        .and_then(|s| s.task.take())
        .ok_or_else(|| EngineError::inconsistent("the seat has no open task"))
}

/// Whether `user` holds a task at this step or waits for a turn in a seat still open, so
/// giving them another would open two tasks for one person in one round.
pub(crate) fn involved(step: &HumanStep, user: &str) -> bool {
    step.seats.iter().any(|s| {
        s.settled.is_none() && s.chain.iter().skip(s.pos).any(|signer| signer.user == user)
    })
}
