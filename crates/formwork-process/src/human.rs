//! Human steps (approval and fill): opening tasks for a mode, deciding, returning,
//! transferring and adding signers.

use formwork_model::{ApprovalMode, FallbackDef, NodeKind};

use crate::effect::{
    CancelReason, Effect, FallbackApplied, HistoryAction, NotifyKind, StepOutcome, StopReason,
    TaskKey, TaskOutcome,
};
use crate::engine::{Close, Run};
use crate::error::EngineError;
use crate::event::{Action, TaskRef};
use crate::state::{Frame, HumanStep, OpenTask, Seat, Signer, Token, Verdict, Wait};
use crate::timers::Due;

impl Run<'_> {
    /// Resolves the assignees, applies the fallback when there are none, and opens the tasks.
    pub(crate) fn enter_human(
        &mut self,
        frames: Vec<Frame>,
        node: usize,
    ) -> Result<(), EngineError> {
        let p = self.p;
        let (rule, mode, fallback) = match &p.def_of(node).kind {
            NodeKind::Approval(a) => (&a.assignee, a.mode, Some(&a.fallback)),
            NodeKind::Fill(f) => (&f.assignee, ApprovalMode::Any, None),
            _ => return Err(EngineError::inconsistent("not a human step")),
        };
        let mut users = self.assignees(node, rule)?;
        if users.is_empty() {
            match fallback {
                Some(FallbackDef::Skip) => {
                    let fallback = FallbackApplied::Skipped;
                    self.history(Some(node), None, HistoryAction::NobodyResolved { fallback });
                    return self.complete_step(frames, node, StepOutcome::Approved, false);
                }
                Some(FallbackDef::User { username }) => {
                    let fallback = FallbackApplied::User {
                        username: username.clone(),
                    };
                    self.history(Some(node), None, HistoryAction::NobodyResolved { fallback });
                    users.push(username.clone());
                }
                Some(FallbackDef::Stop) | None => {
                    let fallback = FallbackApplied::Stopped;
                    self.history(Some(node), None, HistoryAction::NobodyResolved { fallback });
                    self.stop(node, StopReason::NobodyToAssign);
                    return Ok(());
                }
            }
        }
        let signers = users.into_iter().map(|user| Signer {
            user,
            in_person: false,
        });
        let seats = if mode == ApprovalMode::Sequential {
            vec![seat(signers.collect())]
        } else {
            signers.map(|s| seat(vec![s])).collect()
        };
        let mut step = HumanStep { seats };
        for at in 0..step.seats.len() {
            // Once auto-approvals decide the step, more tasks would only be cancelled again.
            if self.verdict(node, &step.seats).is_some() {
                break;
            }
            self.open_seat(node, &mut step.seats[at])?;
        }
        let token = Token {
            node: p.id(node).to_owned(),
            frames,
            wait: Wait::Human(step),
        };
        self.settle_or_park(usize::MAX, token)
    }

    /// Gives the task to whoever's turn it is in the seat, auto-approving repeat approvers.
    fn open_seat(&mut self, node: usize, seat: &mut Seat) -> Result<(), EngineError> {
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
            let Due { at: due_at, timers } = self.deadline(node, &key)?;
            self.fx.push(Effect::CreateTask {
                key: key.clone(),
                node: p.id(node).to_owned(),
                assignee: user,
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
    fn complete_step(
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
                    "{} has no approve/submit edge",
                    p.id(node)
                )));
            }
        }
        Ok(())
    }

    /// Cancels the tasks still open at a step that is being left.
    fn leave_step(&mut self, step: HumanStep, reason: CancelReason) {
        for task in step.seats.into_iter().filter_map(|s| s.task) {
            self.close_task(task, Close::Cancelled(reason));
        }
    }

    /// Applies a person's action to their open task.
    pub(crate) fn decide(&mut self, task: TaskRef, action: Action) -> Result<(), EngineError> {
        self.require_running()?;
        let (slot, at) = self.locate(&task)?;
        let node = self.p.index(&task.node)?;
        let fill = self.is_fill(node);
        let fits = match &action {
            Action::Approve | Action::Reject | Action::AddSigner { .. } => !fill,
            Action::Submit | Action::Withdraw => fill,
            Action::ReturnTo { .. } | Action::Transfer { .. } => true,
        };
        if !fits {
            let reason = if fill {
                "a fill step is submitted or withdrawn"
            } else {
                "an approval step is approved or rejected"
            };
            return Err(EngineError::not_allowed(
                action.name(),
                Some(&task.node),
                reason,
            ));
        }
        let mut token = self.st.tokens.remove(slot);
        let user = task.assignee;
        match action {
            Action::Approve | Action::Submit => {
                self.approve(node, human(&mut token)?, at, Some(user))?;
            }
            Action::Reject => self.reject(node, human(&mut token)?, at, Some(user))?,
            Action::Withdraw => return self.withdraw_fill(node, token, at, Some(user)),
            Action::ReturnTo { node: target } => {
                return self.return_to(node, token, at, user, target);
            }
            Action::Transfer { to } => self.transfer(node, human(&mut token)?, at, user, to)?,
            Action::AddSigner {
                user: signer,
                before,
            } => self.add_signer(node, human(&mut token)?, at, user, signer, before)?,
        }
        self.settle_or_park(slot, token)
    }

    /// Sends the instance back to a human step it passed, or along a drawn `on: return` edge;
    /// tasks still open here are cancelled.
    fn return_to(
        &mut self,
        node: usize,
        token: Token,
        at: usize,
        user: String,
        target: String,
    ) -> Result<(), EngineError> {
        let p = self.p;
        let refuse = |reason: &str| EngineError::not_allowed("return", Some(p.id(node)), reason);
        let target_at = p
            .index(&target)
            .map_err(|_| refuse("there is no such step"))?;
        let passed = p.def_of(target_at).kind.is_human() && self.st.passed.contains(&target);
        if !passed && !p.return_edge(node, target_at) {
            return Err(refuse("the instance has not passed that step"));
        }
        let splits = token
            .frames
            .iter()
            .map(|f| p.index(&f.split))
            .collect::<Result<Vec<_>, _>>()?;
        if !splits.starts_with(p.scopes(target_at)) {
            return Err(refuse("cannot return into a parallel branch from outside"));
        }
        let Token { frames, wait, .. } = token;
        let Wait::Human(mut step) = wait else {
            return Err(EngineError::inconsistent("not a human step"));
        };
        let own = take_task(&mut step, at)?;
        let key = own.key.clone();
        let by = Some(user.clone());
        self.close_task(own, Close::Completed(TaskOutcome::Returned, by));
        self.st.decided = true;
        let action = HistoryAction::Returned {
            task: key,
            to: target,
        };
        self.history(Some(node), Some(user), action);
        self.leave_step(step, CancelReason::Returned);
        // Moving the token abandons any parallel region the target lies outside of.
        self.go(frames, target_at);
        Ok(())
    }

    /// Gives the user's task to `to`, who must decide in person.
    fn transfer(
        &mut self,
        node: usize,
        step: &mut HumanStep,
        at: usize,
        user: String,
        to: String,
    ) -> Result<(), EngineError> {
        if to.is_empty() || to == user || has_open(step, &to) {
            return Err(EngineError::not_allowed(
                "transfer",
                Some(self.p.id(node)),
                "transfer to someone without a task at this step",
            ));
        }
        let own = take_task(step, at)?;
        let key = own.key.clone();
        let by = Some(user.clone());
        self.close_task(own, Close::Completed(TaskOutcome::Transferred, by));
        let action = HistoryAction::Transferred {
            task: key,
            from: user.clone(),
            to: to.clone(),
        };
        self.history(Some(node), Some(user), action);
        self.hand_to(node, &mut step.seats[at], to)
    }

    /// Adds `signer` to the user's seat: before the user (who gets a new task afterwards) or
    /// after them.
    fn add_signer(
        &mut self,
        node: usize,
        step: &mut HumanStep,
        at: usize,
        user: String,
        signer: String,
        before: bool,
    ) -> Result<(), EngineError> {
        let seat = &step.seats[at];
        if signer.is_empty()
            || signer == user
            || has_open(step, &signer)
            || seat.chain.iter().skip(seat.pos).any(|s| s.user == signer)
        {
            return Err(EngineError::not_allowed(
                "add_signer",
                Some(self.p.id(node)),
                "add someone who is not signing this step yet",
            ));
        }
        let key = seat
            .task
            .as_ref()
            .map(|t| t.key.clone())
            .ok_or_else(|| EngineError::inconsistent("the seat has no open task"))?;
        if before {
            let own = take_task(step, at)?;
            let by = Some(user.clone());
            self.close_task(own, Close::Completed(TaskOutcome::SignerAddedBefore, by));
        }
        let action = HistoryAction::SignerAdded {
            task: key,
            user: signer.clone(),
            before,
        };
        self.history(Some(node), Some(user), action);
        let seat = &mut step.seats[at];
        let added = Signer {
            user: signer,
            in_person: true,
        };
        if before {
            if let Some(me) = seat.chain.get_mut(seat.pos) {
                me.in_person = true;
            }
            seat.chain.insert(seat.pos, added);
            self.open_seat(node, seat)
        } else {
            seat.chain.insert(seat.pos + 1, added);
            Ok(())
        }
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
        self.open_seat(node, seat)
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

    /// Puts `to` in place of whoever's turn it is and gives them the task.
    pub(crate) fn hand_to(
        &mut self,
        node: usize,
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
        self.open_seat(node, seat)
    }

    pub(crate) fn is_fill(&self, node: usize) -> bool {
        matches!(self.p.def_of(node).kind, NodeKind::Fill(_))
    }

    /// Finds the token and seat of an open task matching the reference exactly.
    fn locate(&self, task: &TaskRef) -> Result<(usize, usize), EngineError> {
        for (slot, token) in self.st.tokens.iter().enumerate() {
            let Wait::Human(step) = &token.wait else {
                continue;
            };
            for (at, seat) in step.seats.iter().enumerate() {
                if seat.task.as_ref().is_some_and(|t| t.key == task.key)
                    && token.node == task.node
                    && seat.current() == Some(task.assignee.as_str())
                {
                    return Ok((slot, at));
                }
            }
        }
        Err(EngineError::TaskNotOpen {
            key: task.key.0.clone(),
        })
    }
}

fn seat(chain: Vec<Signer>) -> Seat {
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

fn take_task(step: &mut HumanStep, at: usize) -> Result<OpenTask, EngineError> {
    step.seats
        .get_mut(at)
        .and_then(|s| s.task.take())
        .ok_or_else(|| EngineError::inconsistent("the seat has no open task"))
}

fn has_open(step: &HumanStep, user: &str) -> bool {
    step.seats
        .iter()
        .any(|s| s.task.is_some() && s.current() == Some(user))
}
