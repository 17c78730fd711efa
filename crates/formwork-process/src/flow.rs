//! Parallel blocks at run time: splits start a round ("generation") of their block, joins
//! count the branches of the current round, and a token moving between blocks or branches
//! leaves, abandons or restarts them.
//!
//! The rules, in the words of the node docs (PROCESSES.md):
//! - Leaving a block other than through its join abandons the round: the other branches'
//!   open tasks are cancelled.
//! - Arriving in a block anywhere but through its split (a return into a branch, a return
//!   across branches, an admin's move) starts a new round of the block: the open tasks of the
//!   old round are cancelled as superseded, the entered branch goes on from the node entered,
//!   and every other branch starts again from its beginning. The join waits for the branches
//!   of the new round only.
//! - A branch reaching an end of its own is finished; the join stops waiting for it. When
//!   every branch of a round ended that way, the branch around the block ends too, and at the
//!   top the instance ends with that end's outcome.

use std::collections::BTreeSet;

use formwork_model::Outcome;
use formwork_model::graph::{Block, Scope};

use crate::effect::{CancelReason, HistoryAction, TaskKey};
use crate::engine::{Move, Run};
use crate::error::EngineError;
use crate::state::{Frame, JoinArrivals};

/// Where a round of a block stands after an arrival or a branch end.
enum Round {
    /// Enough branches arrived: the join continues.
    Joined,
    /// Branches of the round are still running.
    Waiting,
    /// Every branch of the round ended on its own; nothing reaches the join.
    Over,
}

impl Run<'_> {
    /// Fits a token's frames to the blocks `to` lies in (and to its own block, at a join).
    pub(crate) fn fit_frames(
        &mut self,
        frames: &mut Vec<Frame>,
        to: usize,
    ) -> Result<(), EngineError> {
        let p = self.p;
        let scopes = p.scopes(to);
        let own = p.block_of_join(to);
        let mut keep = 0;
        while let Some(frame) = frames.get(keep) {
            let block = p.frame_block(frame)?;
            let fits = match scopes.get(keep) {
                Some(scope) => {
                    scope.block == block && (!scope.fixed || scope.branch == frame.branch)
                }
                None => own == Some(block),
            };
            if !fits {
                break;
            }
            keep += 1;
        }
        while frames.len() > keep {
            let Some(frame) = frames.pop() else { break };
            let block = p.frame_block(&frame)?;
            let reason = if scopes.iter().any(|s| s.block == block) {
                CancelReason::Superseded
            } else {
                CancelReason::BranchAbandoned
            };
            self.abandon(frame.generation, reason)?;
        }
        for scope in scopes.iter().skip(keep) {
            let frame = self.restart_block(frames, *scope)?;
            frames.push(frame);
        }
        if let Some(block) = own {
            let top = frames.last().map(|f| p.frame_block(f)).transpose()?;
            if top != Some(block) {
                return Err(EngineError::inconsistent(format!(
                    "a token reached join {} from outside its block",
                    p.id(to)
                )));
            }
        }
        Ok(())
    }

    /// Starts a new round of a block entered in the middle, at branch `scope.branch`: the
    /// other branches start from their first node. Returns the entering token's frame.
    fn restart_block(&mut self, outer: &[Frame], scope: Scope) -> Result<Frame, EngineError> {
        let p = self.p;
        let block = p.block(scope.block);
        let mut started = self.branches_taken(block)?;
        started.insert(scope.branch);
        let generation = self.open_round(block, outer, &started);
        let again = HistoryAction::BranchesStarted {
            branches: u32::try_from(started.len()).unwrap_or(u32::MAX),
            again: true,
        };
        self.history(Some(block.split), None, again);
        let split = p.id(block.split).to_owned();
        for &branch in started.iter().filter(|&&b| b != scope.branch) {
            self.queue_branch(outer, &split, generation, branch, block);
        }
        Ok(Frame {
            split,
            generation,
            branch: scope.branch,
        })
    }

    /// A token arrives at a split: a new round of its block starts the branches taken.
    pub(crate) fn split(&mut self, frames: Vec<Frame>, node: usize) -> Result<(), EngineError> {
        let p = self.p;
        let Some(b) = p.block_of_split(node) else {
            return Err(EngineError::inconsistent(format!(
                "{} has no join",
                p.id(node)
            )));
        };
        let block = p.block(b);
        let started = self.branches_taken(block)?;
        let generation = self.open_round(block, &frames, &started);
        let branches = u32::try_from(started.len()).unwrap_or(u32::MAX);
        let action = HistoryAction::BranchesStarted {
            branches,
            again: false,
        };
        self.history(Some(node), None, action);
        let split = p.id(node).to_owned();
        for &branch in &started {
            self.queue_branch(&frames, &split, generation, branch, block);
        }
        Ok(())
    }

    /// The branches the block's split starts now.
    fn branches_taken(&self, block: &Block) -> Result<BTreeSet<u32>, EngineError> {
        Ok(self.resolver().branches(block.split)?.into_iter().collect())
    }

    /// Records a new round of `block` starting `started`; returns its generation.
    fn open_round(&mut self, block: &Block, outer: &[Frame], started: &BTreeSet<u32>) -> u64 {
        let generation = self.st.next_seq();
        let all = started.len() == block.heads.len();
        self.st.joins.push(JoinArrivals {
            join: self.p.id(block.join).to_owned(),
            generation,
            outer: outer.iter().map(|f| f.generation).collect(),
            arrived: BTreeSet::new(),
            started: if all {
                BTreeSet::new()
            } else {
                started.clone()
            },
            ended: BTreeSet::new(),
        });
        generation
    }

    fn queue_branch(
        &mut self,
        outer: &[Frame],
        split: &str,
        generation: u64,
        branch: u32,
        block: &Block,
    ) {
        let mut frames = Vec::with_capacity(outer.len() + 1);
        frames.extend_from_slice(outer);
        frames.push(Frame {
            split: split.to_owned(),
            generation,
            branch,
        });
        if let Some(&head) = block.heads.get(branch as usize) {
            self.go(frames, head);
        }
    }

    /// A token arrives at a join: one more branch of its round is in.
    pub(crate) fn join(&mut self, mut frames: Vec<Frame>, join: usize) -> Result<(), EngineError> {
        let p = self.p;
        let frame = frames.pop().ok_or_else(|| {
            EngineError::inconsistent("a token reached a join outside any branch")
        })?;
        let at = self.round_at(&frame, join, &frames)?;
        if !self.st.joins[at].arrived.insert(frame.branch) {
            return Err(EngineError::inconsistent(format!(
                "branch {} reached {} twice",
                frame.branch,
                p.id(join)
            )));
        }
        match self.settle_round(at, join)? {
            Round::Joined => self.joined(frames, join, frame.generation)?,
            Round::Waiting => {}
            Round::Over => return Err(EngineError::inconsistent("an arrived round is over")),
        }
        Ok(())
    }

    /// A branch reached an end of its own: the join stops waiting for it.
    pub(crate) fn end_branch(
        &mut self,
        mut frames: Vec<Frame>,
        node: usize,
        outcome: Outcome,
    ) -> Result<(), EngineError> {
        self.history(Some(node), None, HistoryAction::BranchEnded { outcome });
        while let Some(frame) = frames.pop() {
            let block = self.p.frame_block(&frame)?;
            let join = self.p.block(block).join;
            let at = self.round_at(&frame, join, &frames)?;
            self.st.joins[at].ended.insert(frame.branch);
            match self.settle_round(at, join)? {
                Round::Joined => return self.joined(frames, join, frame.generation),
                Round::Waiting => return Ok(()),
                Round::Over => {
                    self.st.joins.remove(at);
                }
            }
        }
        self.end(outcome, Some(node), None);
        Ok(())
    }

    /// The join continues: branches still running are not needed any more.
    fn joined(
        &mut self,
        frames: Vec<Frame>,
        join: usize,
        generation: u64,
    ) -> Result<(), EngineError> {
        self.abandon(generation, CancelReason::JoinSatisfied)?;
        self.history(Some(join), None, HistoryAction::Joined);
        self.go(frames, self.p.next(join)?);
        Ok(())
    }

    /// The position of the round `frame` belongs to in `st.joins`, recorded now if a state
    /// saved before rounds were recorded at the split lacks it.
    fn round_at(
        &mut self,
        frame: &Frame,
        join: usize,
        outer: &[Frame],
    ) -> Result<usize, EngineError> {
        if let Some(at) = self
            .st
            .joins
            .iter()
            .position(|j| j.generation == frame.generation)
        {
            return Ok(at);
        }
        self.st.joins.push(JoinArrivals {
            join: self.p.id(join).to_owned(),
            generation: frame.generation,
            outer: outer.iter().map(|f| f.generation).collect(),
            arrived: BTreeSet::new(),
            started: BTreeSet::new(),
            ended: BTreeSet::new(),
        });
        Ok(self.st.joins.len() - 1)
    }

    fn settle_round(&self, at: usize, join: usize) -> Result<Round, EngineError> {
        let round = &self.st.joins[at];
        let block = self
            .p
            .block_of_join(join)
            .map(|b| self.p.block(b))
            .ok_or_else(|| EngineError::inconsistent("a join without a block"))?;
        let live: BTreeSet<u32> = if round.started.is_empty() {
            (0..block.branches()).collect()
        } else {
            round.started.clone()
        };
        let live = live.difference(&round.ended).count();
        let need = match block.required {
            Some(required) => (required.max(1) as usize).min(live),
            None => live,
        };
        let arrived = round.arrived.len();
        Ok(if live == 0 {
            Round::Over
        } else if arrived >= need {
            Round::Joined
        } else {
            Round::Waiting
        })
    }

    /// Cancels every token of one round of a block (and of the blocks inside it) and forgets
    /// their join arrivals.
    pub(crate) fn abandon(
        &mut self,
        generation: u64,
        reason: CancelReason,
    ) -> Result<(), EngineError> {
        let in_round = |frames: &[Frame]| frames.iter().any(|f| f.generation == generation);
        let (gone, kept) = std::mem::take(&mut self.st.tokens)
            .into_iter()
            .partition::<Vec<_>, _>(|t| in_round(&t.frames));
        self.st.tokens = kept;
        for token in gone {
            let node = self.p.index(&token.node)?;
            let tasks: Vec<TaskKey> = self.close_token(token, reason);
            if !tasks.is_empty() {
                self.history(
                    Some(node),
                    None,
                    HistoryAction::BranchCancelled { tasks, reason },
                );
            }
        }
        self.st
            .joins
            .retain(|j| j.generation != generation && !j.outer.contains(&generation));
        self.queue.retain(|m: &Move| !in_round(&m.frames));
        Ok(())
    }
}
