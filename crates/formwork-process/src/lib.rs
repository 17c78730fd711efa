//! The approval engine of Formwork: a pure state machine over a compiled process graph.
//!
//! Compile a [`ProcessDef`](formwork_model::ProcessDef) once with [`CompiledProcess::compile`]
//! (the same structural analysis `formwork app validate` runs), then drive each instance with
//! [`step`]: the runtime loads the instance's [`State`], passes an [`Event`], the time and a
//! [`Context`] over the record and the directory, and gets back the next state and the
//! [`Effect`]s to apply in the same transaction. [`predict`] walks the road ahead without
//! changing anything. No I/O, no clock; users are ids throughout.

mod admin;
mod compile;
mod context;
mod decide;
mod effect;
mod engine;
mod error;
mod event;
mod flow;
mod human;
mod predict;
mod resolve;
mod state;
mod timers;

pub use compile::{CompiledProcess, DEFAULT_STEP_BUDGET};
pub use context::{Context, Fields, hours_after};
pub use effect::{
    CancelReason, Effect, EscalationApplied, FallbackApplied, HistoryAction, HistoryEntry,
    NotifyKind, StepOutcome, StopReason, TaskKey, TaskKind, TaskOutcome, TimerKey, TimerKind,
};
pub use engine::step;
pub use error::EngineError;
pub use event::{Action, Event, TaskRef};
pub use predict::{PredictedStep, predict};
pub use state::{
    Frame, HumanStep, JoinArrivals, OpenTask, Seat, Signer, State, Status, TaskTimer, Token,
    Verdict, Wait,
};
