//! The step function: one event in, the next state and the effects out.
//!
//! A step clones the state, moves tokens through automatic nodes until each waits for a person
//! or a timer (or the instance ends), and returns. A failed step returns only the error, so the
//! caller's state stays as it was.

use std::collections::{BTreeMap, VecDeque};

use formwork_model::{NodeKind, Outcome};
use time::OffsetDateTime;

use crate::compile::CompiledProcess;
use crate::context::{Context, Fields};
use crate::effect::{
    CancelReason, Effect, HistoryAction, HistoryEntry, NotifyKind, StopReason, TaskKey, TaskOutcome,
};
use crate::error::EngineError;
use crate::event::Event;
use crate::resolve::Resolver;
use crate::state::{Frame, OpenTask, State, Status, Token, Wait};

/// Applies one event to an instance.
///
/// Returns the new state and the effects the runtime must carry out, in order, in the same
/// transaction that saves the state. `now` is the time of the event; nothing here reads a clock.
///
/// A loop whose people are all skipped (fallback `skip`, repeat approvers) would run forever;
/// after the process's step budget the event is applied again and the instance stops at the
/// looping node instead, for an admin to look at.
pub fn step(
    process: &CompiledProcess,
    state: &State,
    event: Event,
    now: OffsetDateTime,
    ctx: &dyn Context,
) -> Result<(State, Vec<Effect>), EngineError> {
    let mut run = Run::new(process, state, now, ctx);
    run.handle(&event)?;
    if let Some(looping) = run.drain()? {
        run = Run::new(process, state, now, ctx);
        run.handle(&event)?;
        run.queue.clear();
        run.stop(looping, StopReason::LoopDetected);
    }
    if run.st.status == Status::Running && run.st.tokens.is_empty() {
        return Err(EngineError::inconsistent(
            "the instance would be running without a position",
        ));
    }
    Ok((run.st, run.fx))
}

/// A token on its way to a node, inside one step.
pub(crate) struct Move {
    pub frames: Vec<Frame>,
    pub to: usize,
    /// The people at `to` must act in person (the target of a return or a move), even if
    /// `auto_approve_repeat` would skip them.
    pub in_person: bool,
}

/// How a task is closed.
pub(crate) enum Close {
    Completed(TaskOutcome, Option<String>),
    Cancelled(CancelReason),
}

/// One step in progress: the state being built and the effects so far.
pub(crate) struct Run<'a> {
    pub p: &'a CompiledProcess,
    pub ctx: &'a dyn Context,
    pub now: OffsetDateTime,
    pub st: State,
    pub fx: Vec<Effect>,
    /// Fields set by action nodes in this step, which later expressions must see.
    pub set: Fields,
    pub queue: VecDeque<Move>,
    spent: u32,
}

impl<'a> Run<'a> {
    fn new(
        p: &'a CompiledProcess,
        state: &State,
        now: OffsetDateTime,
        ctx: &'a dyn Context,
    ) -> Self {
        Run {
            p,
            ctx,
            now,
            st: state.clone(),
            fx: Vec::new(),
            set: BTreeMap::new(),
            queue: VecDeque::new(),
            spent: 0,
        }
    }

    fn handle(&mut self, event: &Event) -> Result<(), EngineError> {
        match event {
            Event::Start => self.start(),
            Event::Decide { task, action } => self.decide(task, action),
            Event::TimerFired { key } => self.timer_fired(key),
            Event::Withdraw { by } => self.withdraw(by),
            Event::Cancel { by, outcome } => self.cancel(by, *outcome),
            Event::Retry { by } => self.retry(by),
            Event::MoveTo { by, node } => self.move_to(by, node),
            Event::Reassign { by, task, to } => self.reassign(by, task, to),
        }
    }

    fn start(&mut self) -> Result<(), EngineError> {
        if self.st.status != Status::NotStarted {
            return Err(EngineError::AlreadyStarted);
        }
        self.st.status = Status::Running;
        let start = self.p.start();
        let submitter = self.ctx.submitter();
        self.history(Some(start), Some(submitter), HistoryAction::Started);
        self.go(Vec::new(), start);
        Ok(())
    }

    fn withdraw(&mut self, by: &str) -> Result<(), EngineError> {
        self.require_running()?;
        if self.st.decided {
            return Err(EngineError::not_allowed(
                "withdraw",
                None,
                "someone has already decided",
            ));
        }
        if by != self.ctx.submitter() {
            return Err(EngineError::not_allowed(
                "withdraw",
                None,
                "only the submitter may withdraw",
            ));
        }
        self.end(Outcome::Withdrawn, None, Some(by.to_owned()));
        Ok(())
    }

    pub(crate) fn require_running(&self) -> Result<(), EngineError> {
        match self.st.status {
            Status::Running => Ok(()),
            _ => Err(EngineError::NotRunning),
        }
    }

    /// Queues a token to arrive at `to`.
    pub(crate) fn go(&mut self, frames: Vec<Frame>, to: usize) {
        self.queue.push_back(Move {
            frames,
            to,
            in_person: false,
        });
    }

    /// Queues a token to arrive at `to`, where the people must act in person.
    pub(crate) fn go_in_person(&mut self, frames: Vec<Frame>, to: usize) {
        self.queue.push_back(Move {
            frames,
            to,
            in_person: true,
        });
    }

    /// Moves queued tokens until every one waits, joined, or the instance is over. Returns the
    /// node where the step budget ran out, if it did.
    fn drain(&mut self) -> Result<Option<usize>, EngineError> {
        while let Some(mv) = self.queue.pop_front() {
            if self.st.status != Status::Running {
                break;
            }
            self.spent += 1;
            if self.spent > self.p.budget() {
                return Ok(Some(mv.to));
            }
            self.arrive(mv)?;
        }
        self.queue.clear();
        Ok(None)
    }

    fn arrive(&mut self, mv: Move) -> Result<(), EngineError> {
        let p = self.p;
        let Move {
            mut frames,
            to,
            in_person,
        } = mv;
        self.fit_frames(&mut frames, to)?;
        match &p.def_of(to).kind {
            NodeKind::Start => self.go(frames, p.next(to)?),
            NodeKind::End { outcome, terminate } => {
                if *terminate || frames.is_empty() {
                    self.end(*outcome, Some(to), None);
                } else {
                    self.end_branch(frames, to, *outcome)?;
                }
            }
            NodeKind::Approval(_) | NodeKind::Fill(_) => self.enter_human(frames, to, in_person)?,
            NodeKind::Cc { assignee } => {
                let users = self.resolver().assignees(to, assignee)?;
                for user in &users {
                    self.fx.push(Effect::Notify {
                        user: user.clone(),
                        kind: NotifyKind::Cc,
                    });
                }
                self.history(Some(to), None, HistoryAction::CcSent { users });
                self.go(frames, p.next(to)?);
            }
            NodeKind::Condition => self.choose(frames, to)?,
            NodeKind::ParallelSplit | NodeKind::InclusiveSplit => self.split(frames, to)?,
            NodeKind::ParallelJoin { .. } => self.join(frames, to)?,
            NodeKind::Action { set } => {
                let values = self.resolver().values(to, set)?;
                if !values.is_empty() {
                    let fields = values.keys().cloned().collect();
                    self.set
                        .extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
                    self.fx.push(Effect::SetFields {
                        node: p.id(to).to_owned(),
                        values,
                    });
                    self.history(Some(to), None, HistoryAction::FieldsSet { fields });
                }
                self.go(frames, p.next(to)?);
            }
            NodeKind::Wait(_) => self.enter_wait(frames, to)?,
        }
        Ok(())
    }

    fn choose(&mut self, frames: Vec<Frame>, node: usize) -> Result<(), EngineError> {
        match self.resolver().choice(node)? {
            Some((to, default)) => {
                let to_id = self.p.id(to).to_owned();
                let taken = HistoryAction::ConditionTaken { to: to_id, default };
                self.history(Some(node), None, taken);
                self.go(frames, to);
            }
            None => self.stop(node, StopReason::NoRoute),
        }
        Ok(())
    }

    /// The record and directory as this step sees them, with the fields set so far.
    pub(crate) fn resolver(&self) -> Resolver<'_> {
        Resolver {
            p: self.p,
            ctx: self.ctx,
            set: &self.set,
        }
    }

    /// Ends the instance: every open task and timer is cancelled.
    pub(crate) fn end(&mut self, outcome: Outcome, node: Option<usize>, actor: Option<String>) {
        self.close_all(CancelReason::InstanceEnded);
        self.st.status = Status::Ended { outcome };
        let submitter = self.ctx.submitter();
        if actor.as_deref() != Some(submitter.as_str()) {
            self.fx.push(Effect::Notify {
                user: submitter,
                kind: NotifyKind::Ended { outcome },
            });
        }
        self.history(node, actor, HistoryAction::Ended { outcome });
        self.fx.push(Effect::Ended { outcome });
    }

    /// Stops the instance in an error state an admin must look at.
    pub(crate) fn stop(&mut self, node: usize, reason: StopReason) {
        self.close_all(CancelReason::InstanceStopped);
        let id = self.p.id(node).to_owned();
        self.st.status = Status::Stopped {
            node: id.clone(),
            reason,
        };
        self.history(Some(node), None, HistoryAction::Stopped { reason });
        self.fx.push(Effect::Stopped { node: id, reason });
    }

    pub(crate) fn close_all(&mut self, reason: CancelReason) {
        for token in std::mem::take(&mut self.st.tokens) {
            self.close_token(token, reason);
        }
        self.st.joins.clear();
        self.queue.clear();
    }

    /// Cancels what a token waits for; returns the keys of the tasks it cancelled.
    pub(crate) fn close_token(&mut self, token: Token, reason: CancelReason) -> Vec<TaskKey> {
        match token.wait {
            Wait::Timer { key, .. } => {
                self.fx.push(Effect::CancelTimer { key });
                Vec::new()
            }
            Wait::Human(step) => step
                .seats
                .into_iter()
                .filter_map(|seat| seat.task)
                .map(|task| {
                    let key = task.key.clone();
                    self.close_task(task, Close::Cancelled(reason));
                    key
                })
                .collect(),
        }
    }

    /// Closes one task and cancels the timers watching it.
    pub(crate) fn close_task(&mut self, task: OpenTask, how: Close) {
        self.fx.push(match how {
            Close::Completed(outcome, by) => Effect::CompleteTask {
                key: task.key,
                outcome,
                by,
            },
            Close::Cancelled(reason) => Effect::CancelTask {
                key: task.key,
                reason,
            },
        });
        for timer in task.timers {
            self.fx.push(Effect::CancelTimer { key: timer.key });
        }
    }

    pub(crate) fn history(
        &mut self,
        node: Option<usize>,
        actor: Option<String>,
        action: HistoryAction,
    ) {
        self.fx.push(Effect::History(HistoryEntry {
            node: node.map(|n| self.p.id(n).to_owned()),
            actor,
            action,
        }));
    }
}
