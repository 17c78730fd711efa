//! What an admin does to an instance: cancel it, retry the step it stopped at, move it to a
//! node, or give a task to someone else. Each is recorded on the timeline with the admin as
//! the actor.

use formwork_model::Outcome;

use crate::effect::{CancelReason, HistoryAction};
use crate::engine::{Close, Run};
use crate::error::EngineError;
use crate::event::TaskRef;
use crate::human::{human, involved, take_task};
use crate::state::Status;

impl Run<'_> {
    /// Ends a running or stopped instance as `rejected` or `withdrawn`.
    pub(crate) fn cancel(&mut self, by: &str, outcome: Outcome) -> Result<(), EngineError> {
        self.require_live()?;
        if !matches!(outcome, Outcome::Rejected | Outcome::Withdrawn) {
            return Err(EngineError::not_allowed(
                "cancel",
                None,
                "a cancelled instance ends rejected or withdrawn",
            ));
        }
        self.history(
            None,
            Some(by.to_owned()),
            HistoryAction::Cancelled { outcome },
        );
        self.end(outcome, None, Some(by.to_owned()));
        Ok(())
    }

    /// Runs the step a stopped instance stopped at again, with the data and directory as they
    /// are now. Inside a parallel block that starts a new round of it.
    pub(crate) fn retry(&mut self, by: &str) -> Result<(), EngineError> {
        let Status::Stopped { node, .. } = &self.st.status else {
            return Err(EngineError::not_allowed(
                "retry",
                None,
                "only a stopped instance can be retried",
            ));
        };
        let node = self.p.index(node)?;
        self.st.status = Status::Running;
        self.history(Some(node), Some(by.to_owned()), HistoryAction::Retried);
        self.go(Vec::new(), node);
        Ok(())
    }

    /// Moves a running or stopped instance to `target`: every open task is cancelled and the
    /// people at `target` must act in person.
    pub(crate) fn move_to(&mut self, by: &str, target: &str) -> Result<(), EngineError> {
        self.require_live()?;
        let p = self.p;
        let to = p
            .index(target)
            .map_err(|_| EngineError::not_allowed("move", None, "there is no such node"))?;
        if p.block_of_join(to).is_some() {
            return Err(EngineError::not_allowed(
                "move",
                Some(target),
                "a join cannot be moved to",
            ));
        }
        self.close_all(CancelReason::Moved);
        self.st.status = Status::Running;
        let action = HistoryAction::Moved {
            to: target.to_owned(),
        };
        self.history(Some(to), Some(by.to_owned()), action);
        self.go_in_person(Vec::new(), to);
        Ok(())
    }

    /// Gives an open task to `to`, whose deadline starts now.
    pub(crate) fn reassign(
        &mut self,
        by: &str,
        task: &TaskRef,
        to: &str,
    ) -> Result<(), EngineError> {
        self.require_running()?;
        let (slot, at) = self.locate(task)?;
        let node = self.p.index(&task.node)?;
        let mut token = self.st.tokens.remove(slot);
        let step = human(&mut token)?;
        if to.is_empty() || involved(step, to) || step.resubmit {
            self.st.tokens.insert(slot, token);
            return Err(EngineError::not_allowed(
                "reassign",
                Some(&task.node),
                "reassign to someone without a task or turn at this step",
            ));
        }
        let own = take_task(step, at)?;
        let key = own.key.clone();
        self.close_task(own, Close::Cancelled(CancelReason::Reassigned));
        let action = HistoryAction::Reassigned {
            task: key,
            from: task.assignee.clone(),
            to: to.to_owned(),
        };
        self.history(Some(node), Some(by.to_owned()), action);
        let round = step.round;
        self.hand_to(node, round, &mut step.seats[at], to.to_owned())?;
        self.settle_or_park(slot, token)
    }

    fn require_live(&self) -> Result<(), EngineError> {
        match self.st.status {
            Status::Running | Status::Stopped { .. } => Ok(()),
            _ => Err(EngineError::NotRunning),
        }
    }
}
