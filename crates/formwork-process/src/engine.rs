//! The step function: one event in, the next state and the effects out.
//!
//! A step clones the state, moves tokens through automatic nodes until each waits for a person
//! or a timer (or the instance ends), and returns. A failed step returns only the error, so the
//! caller's state stays as it was.

use std::collections::{BTreeMap, VecDeque};

use formwork_model::{AssigneeDef, NodeKind, Outcome};
use time::OffsetDateTime;

use crate::compile::CompiledProcess;
use crate::context::Context;
use crate::effect::{
    CancelReason, Effect, HistoryAction, HistoryEntry, NotifyKind, StopReason, TaskKey, TaskOutcome,
};
use crate::error::EngineError;
use crate::event::Event;
use crate::state::{Frame, JoinArrivals, OpenTask, State, Status, Token, Wait};

/// Applies one event to an instance.
///
/// Returns the new state and the effects the runtime must carry out, in order, in the same
/// transaction that saves the state. `now` is the time of the event; nothing here reads a clock.
pub fn step(
    process: &CompiledProcess,
    state: &State,
    event: Event,
    now: OffsetDateTime,
    ctx: &dyn Context,
) -> Result<(State, Vec<Effect>), EngineError> {
    let mut run = Run {
        p: process,
        ctx,
        now,
        st: state.clone(),
        fx: Vec::new(),
        queue: VecDeque::new(),
        spent: 0,
    };
    match event {
        Event::Start => run.start()?,
        Event::Decide { task, action } => run.decide(task, action)?,
        Event::TimerFired { key } => run.timer_fired(&key)?,
        Event::Withdraw { by } => run.withdraw(by)?,
    }
    run.drain()?;
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
    queue: VecDeque<Move>,
    spent: u32,
}

impl Run<'_> {
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

    fn withdraw(&mut self, by: String) -> Result<(), EngineError> {
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
        self.end(Outcome::Withdrawn, None, Some(by));
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
        self.queue.push_back(Move { frames, to });
    }

    /// Moves queued tokens until every one waits, joined, or the instance is over.
    pub(crate) fn drain(&mut self) -> Result<(), EngineError> {
        while let Some(mv) = self.queue.pop_front() {
            if self.st.status != Status::Running {
                break;
            }
            self.arrive(mv)?;
        }
        self.queue.clear();
        Ok(())
    }

    fn arrive(&mut self, Move { mut frames, to }: Move) -> Result<(), EngineError> {
        let p = self.p;
        self.spent += 1;
        if self.spent > p.budget() {
            return Err(EngineError::LoopDetected {
                node: p.id(to).to_owned(),
                budget: p.budget(),
            });
        }
        // Leaving a parallel region other than through its join abandons that run of it.
        while let Some(top) = frames.last() {
            let split = p.split(p.index(&top.split)?)?;
            if split.region[to] || split.join == to {
                break;
            }
            let generation = top.generation;
            self.abandon(generation)?;
            frames.pop();
        }
        self.check_scopes(&frames, to)?;
        match &p.def_of(to).kind {
            NodeKind::Start => self.go(frames, p.next(to)?),
            NodeKind::End { outcome } => self.end(*outcome, Some(to), None),
            NodeKind::Approval(_) | NodeKind::Fill(_) => self.enter_human(frames, to)?,
            NodeKind::Cc { assignee } => {
                let users = self.assignees(to, assignee)?;
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
            NodeKind::ParallelSplit => {
                let generation = self.st.next_seq();
                let branches: Vec<usize> = p.edges_from(to).map(|(_, b)| b).collect();
                self.history(
                    Some(to),
                    None,
                    HistoryAction::BranchesStarted {
                        branches: p.split(to)?.branches,
                    },
                );
                for (branch, target) in branches.into_iter().enumerate() {
                    let mut inner = frames.clone();
                    inner.push(Frame {
                        split: p.id(to).to_owned(),
                        generation,
                        branch: u32::try_from(branch).unwrap_or(u32::MAX),
                    });
                    self.go(inner, target);
                }
            }
            NodeKind::ParallelJoin => self.join(frames, to)?,
            NodeKind::Action { set } => {
                let mut values = BTreeMap::new();
                for (field, expr) in set {
                    let value = self.ctx.eval(expr).map_err(|m| self.ctx_error(to, m))?;
                    values.insert(field.clone(), value);
                }
                if !values.is_empty() {
                    let fields = values.keys().cloned().collect();
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

    /// The frames must name exactly the regions the node is in (plus the closing one at a join).
    fn check_scopes(&self, frames: &[Frame], to: usize) -> Result<(), EngineError> {
        let p = self.p;
        let splits = frames
            .iter()
            .map(|f| p.index(&f.split))
            .collect::<Result<Vec<_>, _>>()?;
        let ok = match p.split_of_join(to) {
            Some(split) => splits.split_last() == Some((&split, p.scopes(to))),
            None => splits == p.scopes(to),
        };
        if ok {
            Ok(())
        } else {
            Err(EngineError::inconsistent(format!(
                "token frames do not match the parallel regions of {}",
                p.id(to)
            )))
        }
    }

    fn choose(&mut self, frames: Vec<Frame>, node: usize) -> Result<(), EngineError> {
        let p = self.p;
        let mut fallback = None;
        let mut chosen = None;
        for (edge, to) in p.edges_from(node) {
            if edge.default {
                fallback = fallback.or(Some(to));
            } else if let Some(when) = &edge.when
                && self
                    .ctx
                    .eval_bool(when)
                    .map_err(|m| self.ctx_error(node, m))?
            {
                chosen = Some(to);
                break;
            }
        }
        let default = chosen.is_none();
        match chosen.or(fallback) {
            Some(to) => {
                self.history(
                    Some(node),
                    None,
                    HistoryAction::ConditionTaken {
                        to: p.id(to).to_owned(),
                        default,
                    },
                );
                self.go(frames, to);
            }
            None => self.stop(node, StopReason::NoRoute),
        }
        Ok(())
    }

    fn join(&mut self, mut frames: Vec<Frame>, join: usize) -> Result<(), EngineError> {
        let p = self.p;
        let frame = frames.pop().ok_or_else(|| {
            EngineError::inconsistent("a token reached a join outside any branch")
        })?;
        let split = p.split(p.index(&frame.split)?)?;
        let join_id = p.id(join);
        let at = match self
            .st
            .joins
            .iter()
            .position(|j| j.generation == frame.generation)
        {
            Some(at) => at,
            None => {
                self.st.joins.push(JoinArrivals {
                    join: join_id.to_owned(),
                    generation: frame.generation,
                    outer: frames.iter().map(|f| f.generation).collect(),
                    arrived: Default::default(),
                });
                self.st.joins.len() - 1
            }
        };
        let entry = &mut self.st.joins[at];
        if !entry.arrived.insert(frame.branch) {
            return Err(EngineError::inconsistent(format!(
                "branch {} reached {join_id} twice",
                frame.branch
            )));
        }
        if entry.arrived.len() >= split.branches as usize {
            self.st.joins.remove(at);
            self.history(Some(join), None, HistoryAction::Joined);
            self.go(frames, p.next(join)?);
        }
        Ok(())
    }

    /// Cancels every token of one run of a parallel region and forgets its join arrivals.
    fn abandon(&mut self, generation: u64) -> Result<(), EngineError> {
        let in_generation = |frames: &[Frame]| frames.iter().any(|f| f.generation == generation);
        let (gone, kept) = std::mem::take(&mut self.st.tokens)
            .into_iter()
            .partition::<Vec<_>, _>(|t| in_generation(&t.frames));
        self.st.tokens = kept;
        for token in gone {
            let node = self.p.index(&token.node)?;
            let tasks = self.close_token(token, CancelReason::BranchAbandoned);
            if !tasks.is_empty() {
                self.history(Some(node), None, HistoryAction::BranchCancelled { tasks });
            }
        }
        self.st
            .joins
            .retain(|j| j.generation != generation && !j.outer.contains(&generation));
        self.queue.retain(|m| !in_generation(&m.frames));
        Ok(())
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

    fn close_all(&mut self, reason: CancelReason) {
        for token in std::mem::take(&mut self.st.tokens) {
            self.close_token(token, reason);
        }
        self.st.joins.clear();
        self.queue.clear();
    }

    /// Cancels what a token waits for; returns the keys of the tasks it cancelled.
    fn close_token(&mut self, token: Token, reason: CancelReason) -> Vec<TaskKey> {
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

    /// The users an assignee rule names, without duplicates, in rule order.
    pub(crate) fn assignees(
        &self,
        node: usize,
        rule: &AssigneeDef,
    ) -> Result<Vec<String>, EngineError> {
        let mut users = Vec::new();
        for user in self.resolve_rule(node, rule)? {
            if !user.is_empty() && !users.contains(&user) {
                users.push(user);
            }
        }
        Ok(users)
    }

    fn resolve_rule(&self, node: usize, rule: &AssigneeDef) -> Result<Vec<String>, EngineError> {
        match rule {
            AssigneeDef::Submitter => Ok(vec![self.ctx.submitter()]),
            AssigneeDef::Table { rows } => {
                for row in rows {
                    let hit = match &row.when {
                        None => true,
                        Some(when) => self
                            .ctx
                            .eval_bool(when)
                            .map_err(|m| self.ctx_error(node, m))?,
                    };
                    if hit {
                        return self.resolve_rule(node, &row.assignee);
                    }
                }
                Ok(Vec::new())
            }
            other => self.ctx.resolve(other).map_err(|m| self.ctx_error(node, m)),
        }
    }

    pub(crate) fn ctx_error(&self, node: usize, message: String) -> EngineError {
        EngineError::Context {
            node: self.p.id(node).to_owned(),
            message,
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
