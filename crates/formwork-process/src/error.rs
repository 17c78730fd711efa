//! The one error type of the engine, with variants named for what the caller can do.

use formwork_model::Problem;
use thiserror::Error;

/// Why a process could not be compiled or an event could not be applied.
///
/// A failed [`step`](crate::step) changes nothing: the caller keeps its old state and applies no
/// effects.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EngineError {
    /// The definition cannot run: the problems validation reports for it, with pointers
    /// relative to the process. Fix the definition.
    #[error("the process cannot run: {}", list(problems))]
    Invalid { problems: Vec<Problem> },
    /// The task is unknown, already decided or closed; the runtime answers 409.
    #[error("task {key} is not open")]
    TaskNotOpen { key: String },
    /// The action is not allowed here, e.g. `submit` on an approval or a return to a step
    /// this instance never passed; the runtime answers 422.
    #[error("{action} is not allowed{}: {reason}", at(node.as_deref()))]
    NotAllowed {
        action: &'static str,
        /// The step it was tried at; `None` for instance-wide actions (withdrawal).
        node: Option<String>,
        reason: String,
    },
    /// The instance is not running (not started, ended or stopped); the runtime answers 409.
    #[error("the instance is not running")]
    NotRunning,
    /// `Start` was sent to an instance that has already started.
    #[error("the instance has already started")]
    AlreadyStarted,
    /// The runtime's [`Context`](crate::Context) failed (an expression or a directory look-up).
    /// Nothing was applied, so the step may be retried.
    #[error("at {node}: {message}")]
    Context { node: String, message: String },
    /// More automatic steps than the budget allows in one step: a loop without a person in it.
    #[error(
        "more than {budget} automatic steps in one step (last at {node}): a loop without a person"
    )]
    LoopDetected { node: String, budget: u32 },
    /// The state does not fit this process (saved under another version?) or an invariant broke.
    #[error("the state does not fit the process: {0}")]
    Inconsistent(String),
}

impl EngineError {
    pub(crate) fn inconsistent(reason: impl Into<String>) -> Self {
        EngineError::Inconsistent(reason.into())
    }

    pub(crate) fn not_allowed(
        action: &'static str,
        node: Option<&str>,
        reason: impl Into<String>,
    ) -> Self {
        EngineError::NotAllowed {
            action,
            node: node.map(str::to_owned),
            reason: reason.into(),
        }
    }
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn at(node: Option<&str>) -> String {
    node.map(|n| format!(" at {n}")).unwrap_or_default()
}
