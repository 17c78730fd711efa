//! The road ahead: the human steps an instance will still pass if every upcoming step
//! approves, with the people who would get them, worked out without changing anything.
//!
//! The walk starts where the instance waits (after the steps waiting now, which the runtime
//! shows as current) or, for an instance not started yet, at the start node, so a designer can
//! simulate a submission. Conditions are evaluated over the current data, with the values that
//! `action` nodes on the way would set; parallel branches are all walked, an inclusive split
//! takes the branches whose conditions hold, and each node is predicted at most once, so loops
//! end.

use std::collections::BTreeMap;

use formwork_model::{ApprovalMode, FallbackDef, NodeKind, Text};
use serde::{Deserialize, Serialize};

use crate::compile::CompiledProcess;
use crate::context::{Context, Fields};
use crate::effect::StepOutcome;
use crate::error::EngineError;
use crate::resolve::Resolver;
use crate::state::{State, Status, Wait};

/// One human step still ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PredictedStep {
    pub node: String,
    pub name: Option<Text>,
    /// The user ids the step would go to, in rule order; empty when nobody resolves and the
    /// step's fallback would stop the instance.
    pub assignees: Vec<String>,
    /// How several assignees decide (`single`, `all`, `any`, `sequential`, `vote`); fill
    /// steps say `any`.
    pub mode: ApprovalMode,
}

/// The human steps ahead of `state`, in the order the walk meets them (each parallel branch
/// in turn, then what follows its join). Nothing is changed and no effect is produced.
pub fn predict(
    process: &CompiledProcess,
    state: &State,
    ctx: &dyn Context,
) -> Result<Vec<PredictedStep>, EngineError> {
    let mut walk = Walk {
        p: process,
        ctx,
        set: BTreeMap::new(),
        seen: vec![false; process.def().nodes.len()],
        stack: Vec::new(),
        joins: Vec::new(),
        out: Vec::new(),
    };
    match &state.status {
        Status::NotStarted => walk.stack.push(process.start()),
        Status::Running => {
            for token in state.tokens.iter().rev() {
                let node = process.index(&token.node)?;
                match &token.wait {
                    Wait::Human(step) if step.resubmit => walk.stack.push(node),
                    Wait::Human(_) => {
                        walk.seen[node] = true;
                        walk.after_step(node)?;
                    }
                    Wait::Timer { .. } => walk.stack.push(process.next(node)?),
                }
            }
        }
        Status::Ended { .. } | Status::Stopped { .. } => {}
    }
    walk.run()?;
    Ok(walk.out)
}

struct Walk<'a> {
    p: &'a CompiledProcess,
    ctx: &'a dyn Context,
    set: Fields,
    seen: Vec<bool>,
    /// Nodes still to walk; the top is walked first.
    stack: Vec<usize>,
    /// Joins reached, continued once nothing else is left to walk.
    joins: Vec<usize>,
    out: Vec<PredictedStep>,
}

impl Walk<'_> {
    fn run(&mut self) -> Result<(), EngineError> {
        loop {
            while let Some(node) = self.stack.pop() {
                self.visit(node)?;
            }
            // The innermost join first: its continuation may reach the outer one.
            let p = self.p;
            let Some(at) = (0..self.joins.len()).max_by_key(|&i| p.scopes(self.joins[i]).len())
            else {
                return Ok(());
            };
            let join = self.joins.swap_remove(at);
            self.stack.push(p.next(join)?);
        }
    }

    fn visit(&mut self, node: usize) -> Result<(), EngineError> {
        let p = self.p;
        let kind = &p.def_of(node).kind;
        if let NodeKind::ParallelJoin { .. } = kind {
            if !std::mem::replace(&mut self.seen[node], true) {
                self.joins.push(node);
            }
            return Ok(());
        }
        if std::mem::replace(&mut self.seen[node], true) {
            return Ok(());
        }
        match kind {
            NodeKind::Start | NodeKind::Cc { .. } | NodeKind::Wait(_) => {
                self.stack.push(p.next(node)?);
            }
            NodeKind::End { .. } | NodeKind::ParallelJoin { .. } => {}
            NodeKind::Approval(_) | NodeKind::Fill(_) => self.human(node)?,
            NodeKind::Condition => {
                if let Some((to, _)) = self.resolver().choice(node)? {
                    self.stack.push(to);
                }
            }
            NodeKind::ParallelSplit | NodeKind::InclusiveSplit => {
                let taken = self.resolver().branches(node)?;
                let heads: Vec<usize> = p.edges_from(node).map(|(_, to)| to).collect();
                let taken = taken
                    .into_iter()
                    .filter_map(|b| heads.get(b as usize).copied());
                self.stack.extend(taken.rev());
            }
            NodeKind::Action { set } => {
                let values = self.resolver().values(node, set)?;
                self.set.extend(values);
                self.stack.push(p.next(node)?);
            }
        }
        Ok(())
    }

    fn human(&mut self, node: usize) -> Result<(), EngineError> {
        let p = self.p;
        let def = p.def_of(node);
        let (rule, mode, fallback) = match &def.kind {
            NodeKind::Approval(a) => (&a.assignee, a.mode, Some(&a.fallback)),
            NodeKind::Fill(f) => (&f.assignee, ApprovalMode::Any, None),
            _ => return Err(EngineError::inconsistent("not a human step")),
        };
        let mut assignees = self.resolver().assignees(node, rule)?;
        if assignees.is_empty() {
            match fallback {
                Some(FallbackDef::Skip) => return self.after_step(node),
                Some(FallbackDef::User { username }) => {
                    assignees.extend(self.resolver().user_named(node, username)?);
                }
                Some(FallbackDef::Stop) | None => {}
            }
        }
        self.out.push(PredictedStep {
            node: def.id.clone(),
            name: def.name.clone(),
            assignees,
            mode,
        });
        self.after_step(node)
    }

    /// Goes on as if the step at `node` approved (or was submitted).
    fn after_step(&mut self, node: usize) -> Result<(), EngineError> {
        let outcome = if matches!(self.p.def_of(node).kind, NodeKind::Fill(_)) {
            StepOutcome::Submitted
        } else {
            StepOutcome::Approved
        };
        if let Some(to) = self.p.route(node, outcome) {
            self.stack.push(to);
        }
        Ok(())
    }

    fn resolver(&self) -> Resolver<'_> {
        Resolver {
            p: self.p,
            ctx: self.ctx,
            set: &self.set,
        }
    }
}
