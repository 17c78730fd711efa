//! The approval engine of Formwork: a pure state machine over a compiled process graph.
//!
//! Compile a [`ProcessDef`](formwork_model::ProcessDef) once with [`CompiledProcess::compile`],
//! then drive each instance with [`step`]: the runtime loads the instance's [`State`], passes
//! an [`Event`], the time and a [`Context`] over the record and the directory, and gets back the
//! next state and the [`Effect`]s to apply in the same transaction. No I/O, no clock.

mod compile;
mod context;
mod effect;
mod engine;
mod error;
mod event;
mod human;
mod state;
mod timers;

pub use compile::{CompiledProcess, DEFAULT_STEP_BUDGET};
pub use context::Context;
pub use effect::{
    CancelReason, Effect, EscalationApplied, FallbackApplied, HistoryAction, HistoryEntry,
    NotifyKind, StepOutcome, StopReason, TaskKey, TaskOutcome, TimerKey, TimerKind,
};
pub use engine::step;
pub use error::EngineError;
pub use event::{Action, Event, TaskRef};
pub use state::{
    Frame, HumanStep, JoinArrivals, OpenTask, Seat, Signer, State, Status, TaskTimer, Token,
    Verdict, Wait,
};
