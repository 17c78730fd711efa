//! What a person does with their open task: approve, reject, submit, withdraw, return to an
//! earlier step or to the submitter, transfer, add a signer; and the submitter's resubmission
//! of a record returned to them.

use formwork_model::Outcome;

use crate::effect::{CancelReason, Effect, HistoryAction, TaskKey, TaskKind, TaskOutcome};
use crate::engine::{Close, Run};
use crate::error::EngineError;
use crate::event::{Action, TaskRef};
use crate::human::{human, involved, seat, take_task};
use crate::state::{HumanStep, OpenTask, Signer, Token, Wait};

impl Run<'_> {
    /// Applies a person's action to their open task.
    pub(crate) fn decide(&mut self, task: &TaskRef, action: &Action) -> Result<(), EngineError> {
        self.require_running()?;
        let (slot, at) = self.locate(task)?;
        let node = self.p.index(&task.node)?;
        let resubmit = matches!(&self.st.tokens[slot].wait, Wait::Human(s) if s.resubmit);
        let fill = resubmit || self.is_fill(node);
        let fits = match action {
            Action::Approve
            | Action::Reject
            | Action::AddSigner { .. }
            | Action::ReturnToSubmitter => !fill,
            Action::Submit | Action::Withdraw => fill,
            Action::ReturnTo { .. } | Action::Transfer { .. } => !resubmit,
        };
        if !fits {
            let reason = if resubmit {
                "a returned record is resubmitted or withdrawn"
            } else if fill {
                "a fill step is submitted or withdrawn"
            } else {
                "an approval step is approved, rejected or returned"
            };
            return Err(EngineError::not_allowed(
                action.name(),
                Some(&task.node),
                reason,
            ));
        }
        let mut token = self.st.tokens.remove(slot);
        let user = task.assignee.clone();
        if resubmit {
            return self.resubmitted(node, token, at, user, action);
        }
        match action {
            Action::Approve | Action::Submit => {
                self.approve(node, human(&mut token)?, at, Some(user))?;
            }
            Action::Reject => self.reject(node, human(&mut token)?, at, Some(user))?,
            Action::Withdraw => return self.withdraw_fill(node, token, at, Some(user)),
            Action::ReturnTo { node: target } => {
                return self.return_to(node, token, at, user, target);
            }
            Action::ReturnToSubmitter => return self.return_to_submitter(node, token, at, user),
            Action::Transfer { to } => self.transfer(node, human(&mut token)?, at, user, to)?,
            Action::AddSigner {
                user: signer,
                before,
            } => self.add_signer(node, human(&mut token)?, at, user, signer, *before)?,
        }
        self.settle_or_park(slot, token)
    }

    /// Sends the instance back to a human step it passed, or along a drawn `on: return` edge;
    /// tasks still open here are cancelled and the people there must act in person.
    fn return_to(
        &mut self,
        node: usize,
        token: Token,
        at: usize,
        user: String,
        target: &str,
    ) -> Result<(), EngineError> {
        let p = self.p;
        let refuse = |reason: &str| EngineError::not_allowed("return", Some(p.id(node)), reason);
        let target_at = p
            .index(target)
            .map_err(|_| refuse("there is no such step"))?;
        let passed = p.def_of(target_at).kind.is_human() && self.st.passed.contains(target);
        if !passed && !p.return_edge(node, target_at) {
            return Err(refuse("the instance has not passed that step"));
        }
        if p.block_of_join(target_at).is_some() {
            return Err(refuse("a join cannot be returned to"));
        }
        let (frames, mut step) = into_step(token)?;
        let own = take_task(&mut step, at)?;
        let key = own.key.clone();
        self.close_task(
            own,
            Close::Completed(TaskOutcome::Returned, Some(user.clone())),
        );
        self.st.decided = true;
        let action = HistoryAction::Returned {
            task: key,
            to: target.to_owned(),
        };
        self.history(Some(node), Some(user), action);
        self.leave_step(step, CancelReason::Returned);
        // Arriving leaves, abandons or restarts the parallel blocks as the target requires.
        self.go_in_person(frames, target_at);
        Ok(())
    }

    /// Sends the record back to the submitter (退回发起人): to the process's revise step if it
    /// has one, else to the submitter as a resubmission of the whole form at this node.
    fn return_to_submitter(
        &mut self,
        node: usize,
        token: Token,
        at: usize,
        user: String,
    ) -> Result<(), EngineError> {
        let p = self.p;
        let (mut frames, mut step) = into_step(token)?;
        let own = take_task(&mut step, at)?;
        let key = own.key.clone();
        let outcome = TaskOutcome::ReturnedToSubmitter;
        self.close_task(own, Close::Completed(outcome, Some(user.clone())));
        self.st.decided = true;
        self.leave_step(step, CancelReason::Returned);
        let revise = p.revise_step();
        let to = revise.map(|r| p.id(r).to_owned());
        let action = HistoryAction::ReturnedToSubmitter { task: key, to };
        self.history(Some(node), Some(user), action);
        // The whole record is with the submitter: no branch goes on meanwhile.
        while let Some(frame) = frames.pop() {
            self.abandon(frame.generation, CancelReason::Returned)?;
        }
        if let Some(revise) = revise {
            self.go_in_person(frames, revise);
            return Ok(());
        }
        let submitter = self.ctx.submitter();
        let round = self.st.next_round(p.id(node));
        let task_key = TaskKey(format!("{}#{}", p.id(node), self.st.next_seq()));
        self.fx.push(Effect::CreateTask {
            key: task_key.clone(),
            node: p.id(node).to_owned(),
            assignee: submitter.clone(),
            round,
            kind: TaskKind::Resubmit,
            due_at: None,
        });
        let mut waiting = seat(vec![Signer {
            user: submitter,
            in_person: true,
        }]);
        waiting.task = Some(OpenTask {
            key: task_key,
            due_at: None,
            timers: Vec::new(),
        });
        self.st.tokens.push(Token {
            node: p.id(node).to_owned(),
            frames,
            wait: Wait::Human(HumanStep {
                seats: vec![waiting],
                round,
                resubmit: true,
            }),
        });
        Ok(())
    }

    /// The submitter hands a returned record in again (the node's approval starts a new
    /// round, in person) or withdraws it (the instance ends withdrawn).
    fn resubmitted(
        &mut self,
        node: usize,
        token: Token,
        at: usize,
        user: String,
        action: &Action,
    ) -> Result<(), EngineError> {
        let (frames, mut step) = into_step(token)?;
        let task = take_task(&mut step, at)?;
        let key = task.key.clone();
        self.st.decided = true;
        if matches!(action, Action::Withdraw) {
            let by = Some(user.clone());
            self.close_task(task, Close::Completed(TaskOutcome::Withdrawn, by));
            let outcome = TaskOutcome::Withdrawn;
            let decided = HistoryAction::Decided { task: key, outcome };
            self.history(Some(node), Some(user.clone()), decided);
            self.end(Outcome::Withdrawn, Some(node), Some(user));
            return Ok(());
        }
        let by = Some(user.clone());
        self.close_task(task, Close::Completed(TaskOutcome::Submitted, by));
        self.history(
            Some(node),
            Some(user),
            HistoryAction::Resubmitted { task: key },
        );
        self.go_in_person(frames, node);
        Ok(())
    }

    /// Gives the user's task to `to`, who must decide in person; the deadline starts again.
    fn transfer(
        &mut self,
        node: usize,
        step: &mut HumanStep,
        at: usize,
        user: String,
        to: &str,
    ) -> Result<(), EngineError> {
        if to.is_empty() || involved(step, to) {
            return Err(EngineError::not_allowed(
                "transfer",
                Some(self.p.id(node)),
                "transfer to someone without a task or turn at this step",
            ));
        }
        let own = take_task(step, at)?;
        let key = own.key.clone();
        let by = Some(user.clone());
        self.close_task(own, Close::Completed(TaskOutcome::Transferred, by));
        let action = HistoryAction::Transferred {
            task: key,
            from: user.clone(),
            to: to.to_owned(),
        };
        self.history(Some(node), Some(user), action);
        let round = step.round;
        self.hand_to(node, round, &mut step.seats[at], to.to_owned())
    }

    /// Adds `signer` to the user's seat: before the user (who gets a new task afterwards) or
    /// after them.
    fn add_signer(
        &mut self,
        node: usize,
        step: &mut HumanStep,
        at: usize,
        user: String,
        signer: &str,
        before: bool,
    ) -> Result<(), EngineError> {
        if signer.is_empty() || signer == user || involved(step, signer) {
            return Err(EngineError::not_allowed(
                "add_signer",
                Some(self.p.id(node)),
                "add someone who is not signing this step yet",
            ));
        }
        let key = step.seats[at]
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
            user: signer.to_owned(),
            before,
        };
        self.history(Some(node), Some(user), action);
        let round = step.round;
        let seat = &mut step.seats[at];
        let added = Signer {
            user: signer.to_owned(),
            in_person: true,
        };
        if before {
            if let Some(me) = seat.chain.get_mut(seat.pos) {
                me.in_person = true;
            }
            seat.chain.insert(seat.pos, added);
            self.open_seat(node, round, seat, true)
        } else {
            seat.chain.insert(seat.pos + 1, added);
            Ok(())
        }
    }

    /// Finds the token and seat of an open task matching the reference exactly.
    pub(crate) fn locate(&self, task: &TaskRef) -> Result<(usize, usize), EngineError> {
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

/// A human step's token taken apart: its frames and its step.
fn into_step(token: Token) -> Result<(Vec<crate::state::Frame>, HumanStep), EngineError> {
    match token.wait {
        Wait::Human(step) => Ok((token.frames, step)),
        Wait::Timer { .. } => Err(EngineError::inconsistent("not a human step")),
    }
}
